from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CitizensConfig(AppConfig):
    name = "anmin.citizens"
    verbose_name = _("群众账号")

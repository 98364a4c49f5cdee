from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatrolConfig(AppConfig):
    name = "anmin.patrol"
    verbose_name = _("警情研判与巡控")

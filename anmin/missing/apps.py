from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MissingConfig(AppConfig):
    name = "anmin.missing"
    verbose_name = _("走失与被拐")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "anmin.incidents"
    verbose_name = _("110 警情")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PropertyConfig(AppConfig):
    name = "anmin.property"
    verbose_name = _("涉案财物")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "anmin.cases"
    verbose_name = _("执法办案")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "anmin.supervision"
    verbose_name = _("执法监督")

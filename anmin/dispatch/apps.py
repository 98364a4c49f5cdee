from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "anmin.dispatch"
    verbose_name = _("可视化调度")

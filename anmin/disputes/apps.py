from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisputesConfig(AppConfig):
    name = "anmin.disputes"
    verbose_name = _("矛盾纠纷与走访")

    def ready(self):
        from anmin.disputes import receivers  # noqa: F401 - connects the incident listener

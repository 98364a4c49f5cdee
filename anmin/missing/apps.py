from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MissingConfig(AppConfig):
    name = "anmin.missing"
    verbose_name = _("走失与被拐")

    def ready(self):
        # The broadcast follows the case through its signals; the case workflow never imports it.
        from anmin.missing import broadcast, signals

        signals.case_opened.connect(broadcast.on_case_opened, dispatch_uid="missing.broadcast.opened")
        signals.case_found.connect(broadcast.on_case_found, dispatch_uid="missing.broadcast.found")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "anmin.supervision"
    verbose_name = _("执法监督")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from anmin.cases import signals as case_signals
        from anmin.supervision import receivers
        from anmin.supervision.calendar import calendar_cache
        from anmin.supervision.deadlines import rule_cache
        from anmin.supervision.models import CalendarDay, TimeLimitExtension, TimeLimitRule

        # A corrected holiday or rule must count from the next request on, not after the TTL.
        watched = ((calendar_cache, CalendarDay), (rule_cache, TimeLimitRule), (rule_cache, TimeLimitExtension))
        for cache, model in watched:
            post_save.connect(cache.clear, sender=model, dispatch_uid=f"{cache.name}-{model.__name__}")
            post_delete.connect(cache.clear, sender=model, dispatch_uid=f"{cache.name}-del-{model.__name__}")

        # Clocks start and stop with the case system's events (anmin.supervision.clocks).
        case_signals.case_opened.connect(receivers.on_case_opened, dispatch_uid="supervision-case-opened")
        case_signals.case_transitioned.connect(receivers.on_case_transitioned, dispatch_uid="supervision-case-moved")
        case_signals.measure_changed.connect(receivers.on_measure_changed, dispatch_uid="supervision-measure")
        case_signals.approval_decided.connect(receivers.on_approval_decided, dispatch_uid="supervision-extension")

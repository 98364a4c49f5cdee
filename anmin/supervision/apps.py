from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "anmin.supervision"
    verbose_name = _("执法监督")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from anmin.supervision.calendar import calendar_cache
        from anmin.supervision.deadlines import rule_cache
        from anmin.supervision.models import CalendarDay, TimeLimitExtension, TimeLimitRule

        # A corrected holiday or rule must count from the next request on, not after the TTL.
        watched = ((calendar_cache, CalendarDay), (rule_cache, TimeLimitRule), (rule_cache, TimeLimitExtension))
        for cache, model in watched:
            post_save.connect(cache.clear, sender=model, dispatch_uid=f"{cache.name}-{model.__name__}")
            post_delete.connect(cache.clear, sender=model, dispatch_uid=f"{cache.name}-del-{model.__name__}")

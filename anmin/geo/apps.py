from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeoConfig(AppConfig):
    name = "anmin.geo"
    verbose_name = _("地理网格")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from anmin.geo.models import ArrivalTarget, target_cache

        post_save.connect(target_cache.clear, sender=ArrivalTarget, dispatch_uid="target-cache")
        post_delete.connect(target_cache.clear, sender=ArrivalTarget, dispatch_uid="target-cache-del")

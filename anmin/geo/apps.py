from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeoConfig(AppConfig):
    name = "anmin.geo"
    verbose_name = _("地理网格")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from anmin.geo.layers import layers_cache
        from anmin.geo.models import ArrivalTarget, GridCell, cell_cache, target_cache
        from anmin.org.models import Organization

        post_save.connect(target_cache.clear, sender=ArrivalTarget, dispatch_uid="target-cache")
        post_delete.connect(target_cache.clear, sender=ArrivalTarget, dispatch_uid="target-cache-del")
        for model in (GridCell, Organization):
            post_save.connect(cell_cache.clear, sender=model, dispatch_uid=f"cell-cache-{model.__name__}")
            post_delete.connect(cell_cache.clear, sender=model, dispatch_uid=f"cell-cache-del-{model.__name__}")
            # The map layers draw each station's cells under its name.
            post_save.connect(layers_cache.clear, sender=model, dispatch_uid=f"layers-cache-{model.__name__}")
            post_delete.connect(layers_cache.clear, sender=model, dispatch_uid=f"layers-cache-del-{model.__name__}")

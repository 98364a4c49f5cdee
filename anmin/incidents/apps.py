from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "anmin.incidents"
    verbose_name = _("110 警情")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from anmin.incidents.actions import lookup_cache
        from anmin.incidents.categories import category_cache
        from anmin.incidents.models import Category
        from anmin.org.models import Organization

        for model in (Category, Organization):
            post_save.connect(lookup_cache.clear, sender=model, dispatch_uid=f"lookup-cache-{model.__name__}")
            post_delete.connect(lookup_cache.clear, sender=model, dispatch_uid=f"lookup-cache-del-{model.__name__}")
        post_save.connect(category_cache.clear, sender=Category, dispatch_uid="category-cache")
        post_delete.connect(category_cache.clear, sender=Category, dispatch_uid="category-cache-del")

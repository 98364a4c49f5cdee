from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "anmin.org"
    verbose_name = _("组织机构与警员")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from anmin.org.models import ApiToken, Officer, Organization, token_cache

        # A changed officer (role, unit, deactivated) or token must not be served from the cache.
        for model in (ApiToken, Officer, Organization):
            post_save.connect(token_cache.clear, sender=model, dispatch_uid=f"token-cache-{model.__name__}")
            post_delete.connect(token_cache.clear, sender=model, dispatch_uid=f"token-cache-del-{model.__name__}")

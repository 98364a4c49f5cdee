from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AddressesConfig(AppConfig):
    name = "anmin.addresses"
    verbose_name = _("标准地址库")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from anmin.addresses.match import invalidate
        from anmin.addresses.models import Address

        # Edits one at a time (the admin); the loader and the import write in bulk and call it themselves.
        post_save.connect(invalidate, sender=Address, dispatch_uid="address-index")
        post_delete.connect(invalidate, sender=Address, dispatch_uid="address-index-del")

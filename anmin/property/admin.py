"""涉案财物 in the admin: read-only, because every change goes through the actions, which keep the
custody chain and the audit trail."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from anmin.core.pii import admin_masked
from anmin.property.models import CustodyEvent, ItemPhoto, PropertyApproval, SeizedItem


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CustodyEventInline(admin.TabularInline):
    model = CustodyEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "kind",
        "at",
        "actor",
        "from_status",
        "to_status",
        "location",
        "counterpart",
        "note",
        "approval",
    )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ItemPhotoInline(admin.TabularInline):
    # No file link: the admin would point at MEDIA_URL, which serves nothing; photos are downloaded
    # through the scoped API.
    model = ItemPhoto
    extra = 0
    can_delete = False
    fields = readonly_fields = ("content_type", "size", "sha256", "caption", "uploaded_by", "uploaded_at")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SeizedItem)
class SeizedItemAdmin(ReadOnlyAdmin):
    list_display = ("label_code", "case", "kind", "description", "quantity", "unit", "status", "location", "seized_at")
    list_filter = ("status", "kind")
    search_fields = ("label_code", "description", "case__number")
    list_select_related = ("case",)
    date_hierarchy = "seized_at"
    # The owner's name and ID number stay out of the admin as they are out of the API: masked, and
    # in full only through the audited "显示" on the case's property page.
    exclude = ("owner_name", "owner_id_number")
    readonly_fields = ("masked_owner_name", "masked_owner_id_number")
    inlines = [ItemPhotoInline, CustodyEventInline]
    masked_owner_name = admin_masked("property_item.owner_name", _("持有人/所有人"))
    masked_owner_id_number = admin_masked("property_item.owner_id_number", _("持有人身份证号码"))


@admin.register(CustodyEvent)
class CustodyEventAdmin(ReadOnlyAdmin):
    list_display = ("item", "kind", "at", "actor", "from_status", "to_status", "location", "counterpart")
    list_filter = ("kind",)
    search_fields = ("item__label_code",)
    list_select_related = ("item", "actor")


@admin.register(PropertyApproval)
class PropertyApprovalAdmin(ReadOnlyAdmin):
    list_display = ("item", "action", "status", "requested_by", "requested_at", "decided_by", "executed_at")
    list_filter = ("status", "action")
    search_fields = ("item__label_code",)
    list_select_related = ("item", "requested_by", "decided_by")

from django.contrib import admin

from anmin.core.duties import may
from anmin.core.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only, for the audit administrator (the audit viewer is the place to read the trail; this
    list is the raw table). No one adds, changes or deletes entries here: the trail is only ever
    appended to, and purged by `anmin audit purge` after the retention period."""

    list_display = ("seq", "at", "actor_label", "action", "object_type", "object_id", "result")
    list_filter = ("action", "result")
    search_fields = ("actor_label", "object_id")

    def has_module_permission(self, request):
        return may(request.user, "view", "core.auditentry")

    def has_view_permission(self, request, obj=None):
        return may(request.user, "view", "core.auditentry")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

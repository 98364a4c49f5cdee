from django.contrib import admin

from anmin.cases.models import ApprovalRequest, Case, CaseEvent


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    readonly_fields = ("action", "label", "from_status", "to_status", "at", "actor", "note")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: cases change only through actions, which keep the timeline and the trail."""

    list_display = ("number", "kind", "title", "status", "organization", "lead_investigator", "accepted_at")
    list_filter = ("kind", "status")
    search_fields = ("number", "title")
    list_select_related = ("organization", "lead_investigator")
    inlines = [CaseEventInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(admin.ModelAdmin):
    list_display = ("case", "label", "status", "requested_by", "requested_at", "decided_by")
    list_filter = ("status", "transition")
    list_select_related = ("case", "requested_by", "decided_by")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from anmin.cases.models import ApprovalRequest, Case, CaseEvent, CaseStatus


def status_label(value: str) -> str:
    return str(CaseStatus(value).label) if value in CaseStatus.values else value


class CaseEventInline(admin.TabularInline):
    """The timeline by its Chinese names: the step's label, not its code; statuses by their labels."""

    model = CaseEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ("label", "from_status_label", "to_status_label", "at", "actor", "note")

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("原状态"))
    def from_status_label(self, event) -> str:
        return status_label(event.from_status)

    @admin.display(description=_("新状态"))
    def to_status_label(self, event) -> str:
        return status_label(event.to_status)


class TransitionFilter(admin.SimpleListFilter):
    """申请事项 by name (立案, 拘留…), not by its code."""

    title = _("申请事项")
    parameter_name = "transition"

    def lookups(self, request, model_admin):
        pairs = model_admin.get_queryset(request).order_by("transition").values_list("transition", "label").distinct()
        return list(dict(pairs).items())

    def queryset(self, request, queryset):
        return queryset.filter(transition=self.value()) if self.value() else queryset


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
    list_filter = ("status", TransitionFilter)
    exclude = ("transition",)  # the code of what `label` names
    list_select_related = ("case", "requested_by", "decided_by")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from anmin.core.pii import admin_masked, scrub
from anmin.incidents.models import Category, Incident, IncidentEvent


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "klass", "parent", "serious_violence", "active")
    list_filter = ("klass", "serious_violence", "active")
    search_fields = ("code", "name")


class IncidentEventInline(admin.TabularInline):
    model = IncidentEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ("kind", "at", "actor", "unit_label", "detail_masked")

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("说明"))
    def detail_masked(self, obj) -> str:
        return scrub(obj.detail)


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    """Read-only: incidents change only through actions, which keep the timeline and the trail."""

    list_display = ("number", "received_at", "category", "station", "status", "priority")
    list_filter = ("status", "category__klass", "priority")
    search_fields = ("number", "address")
    list_select_related = ("category", "station")
    inlines = [IncidentEventInline]
    # The caller's number and name are shown masked; the full value only through "显示" on the
    # incident page, which is audited.
    exclude = ("caller_phone", "caller_name")
    readonly_fields = ("masked_caller_phone", "masked_caller_name")
    masked_caller_phone = admin_masked("incident.caller_phone", _("报警电话"))
    masked_caller_name = admin_masked("incident.caller_name", _("报警人"))

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

from django.contrib import admin

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
    readonly_fields = ("kind", "at", "actor", "unit_label", "detail")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    """Read-only: incidents change only through actions, which keep the timeline and the trail."""

    list_display = ("number", "received_at", "category", "station", "status", "priority")
    list_filter = ("status", "category__klass", "priority")
    search_fields = ("number", "address")
    list_select_related = ("category", "station")
    inlines = [IncidentEventInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from anmin.core.pii import admin_masked
from anmin.services.models import Application, ApplicationEvent, Material, ServiceItem


class MaterialInline(admin.TabularInline):
    model = Material
    extra = 1


@admin.register(ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin):
    """The catalogue is configured here by staff: materials inline, the form as a JSON list."""

    list_display = ("code", "name", "department", "time_limit_days", "province_wide", "active")
    list_filter = ("active", "province_wide", "department")
    search_fields = ("code", "name")
    inlines = [MaterialInline]


class EventInline(admin.TabularInline):
    model = ApplicationEvent
    extra = 0
    can_delete = False
    readonly_fields = ("kind", "at", "officer", "note")


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    """Read-only: applications change only through the queue's actions (audited)."""

    list_display = ("number", "item", "department", "status", "submitted_at", "due_at")
    list_filter = ("status", "item")
    search_fields = ("number",)
    inlines = [EventInline]
    # The applicant is shown masked; what they filled in (which may hold ID and phone numbers) is
    # read on the staff application page, not here.
    exclude = ("applicant_name", "form_data", "citizen")
    readonly_fields = ("masked_applicant_name",)
    masked_applicant_name = admin_masked("application.applicant_name", _("申请人姓名"))

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

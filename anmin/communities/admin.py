"""The admin shows communities and their leads read-only: they are kept through the pages and the
API, whose actions check the station and write the audit trail; the admin's own saves would do
neither. Personal data appears masked (the admin offers no 显示)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from anmin.communities.models import Community, Lead, LeadSource
from anmin.core.pii import admin_masked


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Community)
class CommunityAdmin(ReadOnly):
    list_display = ("name", "kind", "station", "officer", "households")
    list_filter = ("kind",)
    search_fields = ("name",)
    fields = ("name", "kind", "station", "officer", "lat", "lon", "radius_m", "households", "created_at")


@admin.register(LeadSource)
class LeadSourceAdmin(ReadOnly):
    list_display = ("name", "community", "key_prefix", "active", "last_used_at")
    fields = ("name", "community", "key_prefix", "active", "created_at", "last_used_at")


@admin.register(Lead)
class LeadAdmin(ReadOnly):
    list_display = ("occurred_at", "community", "kind", "status", "masked_person_name")
    list_filter = ("kind", "status")
    fields = ("community", "source", "kind", "occurred_at", "description", "masked_person_name", "status", "note")
    readonly_fields = ("masked_person_name",)
    masked_person_name = admin_masked("community_lead.person_name", _("人员姓名"))

from django.contrib import admin

from anmin.dispatch.models import Unit


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("callsign", "kind", "organization", "status", "home_post")
    list_filter = ("kind", "status")
    search_fields = ("callsign",)
    autocomplete_fields = ("organization", "home_post", "members")
    readonly_fields = ("status", "current_incident", "position_at")

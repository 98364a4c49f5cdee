from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from anmin.dispatch.models import Unit

# The crew table Django makes for Unit.members has no names of its own ("Unit-officer relationship",
# "Unit_members object (8)"); the admin lists its rows when an officer or a unit is to be deleted.
Crew = Unit.members.through
Crew._meta.verbose_name = _("警力组员")
Crew._meta.verbose_name_plural = _("警力组员")
Crew.__str__ = lambda crew: f"{crew.unit} · {crew.officer}"


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("callsign", "kind", "organization", "status", "home_post")
    list_filter = ("kind", "status")
    search_fields = ("callsign",)
    autocomplete_fields = ("organization", "home_post", "members")
    readonly_fields = ("status", "current_incident", "position_at")

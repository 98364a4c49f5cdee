"""Admin of missing-person cases and clues: read-only. A case changes only through its actions
(opened, clue, found, closed — each audited and announced to the broadcast); the admin shows the
person's name and a clue's provider masked, and never the photo (served to officers in scope only)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from anmin.core.pii import admin_masked
from anmin.missing.models import Clue, MissingCase


class _ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ClueInline(_ReadOnly, admin.TabularInline):
    model = Clue
    extra = 0
    fields = ("at", "source", "masked_author", "text", "seen_at", "says_found", "pfif_id")
    readonly_fields = fields
    masked_author = admin_masked("missing_clue.author", _("提供人"))


@admin.register(MissingCase)
class MissingCaseAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("number", "category", "station", "source", "status", "may_publish", "created_at")
    list_filter = ("status", "category", "source", "may_publish")
    search_fields = ("number",)
    exclude = ("full_name", "photo", "created_by", "incident", "report")
    readonly_fields = ("masked_name",)
    masked_name = admin_masked("missing_case.name", _("姓名"))
    inlines = [ClueInline]
    list_select_related = ("station",)

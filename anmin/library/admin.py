from django.contrib import admin, messages
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from anmin.core.errors import ActionError
from anmin.library.actions import PublishCase, WithdrawCase
from anmin.library.models import Tag, TypicalCase


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    """The tag vocabulary: renaming a tag here re-indexes every case filed under it."""

    list_display = ("name", "case_count")
    search_fields = ("name",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(case_count=Count("cases"))

    @admin.display(description=_("案例数"), ordering="case_count")
    def case_count(self, obj):
        return obj.case_count

    def has_delete_permission(self, request, obj=None):
        # Deleting would silently take the tag off published guidance; rename or merge instead.
        return False


@admin.register(TypicalCase)
class TypicalCaseAdmin(admin.ModelAdmin):
    """Read-only but for publishing and withdrawing, which go through the actions (checks, audit)."""

    list_display = ("title", "status", "category", "author", "published_at", "updated_at")
    list_filter = ("status", "tags")
    search_fields = ("title",)
    list_select_related = ("category", "author")
    readonly_fields = (
        "title",
        "summary",
        "key_points",
        "legal_basis",
        "tags",
        "category",
        "source_case",
        "status",
        "published_at",
        "published_by",
        "author",
        "created_at",
        "updated_at",
    )
    actions = ["publish", "withdraw"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def _run(self, request, queryset, action, done) -> None:
        count = 0
        for case in queryset:
            try:
                action(case=case, by=request.user).execute()
                count += 1
            except ActionError as exc:
                self.message_user(request, f"{case.title}：{exc.message}", messages.ERROR)
        if count:
            self.message_user(request, done % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("发布所选典型案例"))
    def publish(self, request, queryset):
        self._run(request, queryset, PublishCase, _("已发布 %(count)s 个典型案例"))

    @admin.action(description=_("撤回所选典型案例"))
    def withdraw(self, request, queryset):
        self._run(request, queryset, WithdrawCase, _("已撤回 %(count)s 个典型案例"))

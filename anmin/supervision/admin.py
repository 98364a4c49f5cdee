"""Administrators keep the time-limit rules and the holiday calendar in step with the law.

These are configuration tables, not case data: editing them through the admin (with Django's
model permissions) is the intended way, like the 警情类别代码表.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from anmin.supervision.models import (
    CalendarDay,
    Clock,
    ClockNotice,
    InspectionDismissal,
    TimeLimitExtension,
    TimeLimitRule,
)


class TimeLimitExtensionInline(admin.TabularInline):
    model = TimeLimitExtension
    extra = 0
    fields = ("position", "code", "name", "mode", "amount", "unit", "requires", "approver", "citation", "note")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A prerequisite must be another extension of the same rule.
        if db_field.name == "requires":
            rule_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            extensions = TimeLimitExtension.objects
            kwargs["queryset"] = extensions.filter(rule_id=rule_id) if rule_id else extensions.none()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(TimeLimitRule)
class TimeLimitRuleAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "case_kind",
        "limit",
        "extends_past_holiday",
        "citation",
        "active",
    )
    list_display_links = ("code", "name")
    list_filter = ("case_kind", "unit", "extends_past_holiday", "active")
    search_fields = ("code", "name", "citation", "note")
    fieldsets = (
        (None, {"fields": ("code", "name", "case_kind", "active")}),
        (_("期限"), {"fields": ("start_event", "end_event", "amount", "unit", "extends_past_holiday", "warn_before")}),
        (_("依据"), {"fields": ("citation", "note")}),
    )
    inlines = [TimeLimitExtensionInline]

    @admin.display(description=_("期限"))
    def limit(self, obj: TimeLimitRule) -> str:
        return f"{obj.amount}{obj.get_unit_display()}"


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "weekday", "kind", "name", "source")
    list_filter = ("kind", "name")
    search_fields = ("name", "source")
    date_hierarchy = "date"

    @admin.display(description=_("星期"))
    def weekday(self, obj: CalendarDay) -> str:
        return "一二三四五六日"[obj.date.weekday()]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Case data written by actions and the scan: the admin may look, never edit (an edited clock
    or a deleted dismissal would have no audit entry)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Clock)
class ClockAdmin(ReadOnlyAdmin):
    list_display = ("case", "rule", "measure", "started_at", "due_at", "state", "stopped_at")
    list_filter = ("state", "rule")
    search_fields = ("case__number",)
    list_select_related = ("case", "rule", "measure__person")
    date_hierarchy = "due_at"


@admin.register(ClockNotice)
class ClockNoticeAdmin(ReadOnlyAdmin):
    list_display = ("recipient", "clock", "state", "created_at", "read_at")
    list_filter = ("state",)
    list_select_related = ("recipient", "clock__case", "clock__rule")


@admin.register(InspectionDismissal)
class InspectionDismissalAdmin(ReadOnlyAdmin):
    list_display = ("kind", "incident", "case", "reason", "by", "at")
    list_filter = ("kind",)
    list_select_related = ("incident", "case", "by")

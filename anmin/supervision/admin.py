"""Administrators keep the time-limit rules and the holiday calendar in step with the law.

These are configuration tables, not case data: editing them through the admin (with Django's
model permissions) is the intended way, like the 警情类别代码表.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anmin.core.errors import ActionError
from anmin.core.pii import mask_name
from anmin.supervision import calendar, holidays
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


class CalendarLoadForm(forms.Form):
    """A year's arrangement as a file: CSV (date,kind,name) or JSON, see `anmin.supervision.holidays`."""

    file = forms.FileField(label=_("放假安排文件（CSV 或 JSON）"), max_length=200)
    source = forms.CharField(
        label=_("依据"), max_length=200, required=False, help_text=_("如：国务院办公厅关于2027年部分节假日安排的通知")
    )


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "weekday", "kind", "name", "source")
    list_filter = ("kind", "name")
    search_fields = ("name", "source")
    date_hierarchy = "date"
    change_list_template = "admin/supervision/calendarday/change_list.html"

    def get_urls(self):
        load = self.admin_site.admin_view(self.load_view)
        return [path("load/", load, name="supervision_calendarday_load"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        # Tell whoever keeps the calendar (法制) which coming years still count as plain Monday–Friday.
        missing = calendar.unloaded_coming_years(timezone.localdate())
        if missing:
            messages.warning(
                request,
                _("%(years)s 年的法定节假日安排尚未导入，期限暂按周一至周五计算：请导入国务院办公厅的放假安排。")
                % {"years": "、".join(map(str, missing))},
            )
        return super().changelist_view(request, extra_context)

    def load_view(self, request):
        if not self.has_add_permission(request) or not self.has_delete_permission(request):
            raise PermissionDenied
        form = CalendarLoadForm(request.POST or None, request.FILES or None)
        status = 200
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                rows = holidays.parse(upload.read(holidays.MAX_BYTES + 1), upload.name)
                result = holidays.load(rows, source=form.cleaned_data["source"] or upload.name, by=request.user)
            except ActionError as error:
                form.add_error("file", error.message)
            else:
                messages.success(
                    request,
                    _("已导入 %(years)s 年的 %(days)s 个日期，重新计算了 %(clocks)s 个暂按周一至周五计算的期限")
                    % {
                        "years": "、".join(map(str, result["years"])),
                        "days": result["days"],
                        "clocks": result["clocks"],
                    },
                )
                return redirect("admin:supervision_calendarday_changelist")
        if request.method == "POST":
            status = 400
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": _("导入法定节假日安排"),
        }
        return TemplateResponse(request, "admin/supervision/calendarday/load.html", context, status=status)

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
    list_display = ("case", "rule", "measure_masked", "started_at", "due_at", "state", "stopped_at")
    list_filter = ("state", "rule")
    search_fields = ("case__number",)
    list_select_related = ("case", "rule", "measure__person")
    date_hierarchy = "due_at"
    # A measure reads "拘留 王某": the person's name masked here, as on every page.
    exclude = ("measure",)
    readonly_fields = ("measure_masked",)

    @admin.display(description=_("强制措施"))
    def measure_masked(self, obj) -> str:
        if obj.measure_id is None:
            return "-"
        return f"{obj.measure.get_kind_display()} {mask_name(obj.measure.person.name)}"


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

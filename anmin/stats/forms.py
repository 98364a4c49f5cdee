"""The query strings of the statistics pages and API, read through one form.

A report's parameters arrive from the builder's form, from drill-down links, from the exports, from
the dashboard and from `GET /api/v1/stats/…`; all of them go through `ReportForm`, so a value the
builder refuses is refused the same way everywhere (`period=9999` used to be a 500 on some screens
and not others). Messages name the query parameter (`period「2026-13」…`), because the API returns
them as they are and a clerk who typed the URL by hand sees which word was wrong.
"""

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anmin.core.errors import ActionError
from anmin.core.forms import MAX_ID, MAX_OFFSET, first_error
from anmin.stats import periods, report

#: The report's parameters, in the order the builder shows them (and the first error is reported).
FIELDS = ("metric", "period", "compare", "group_by", "class", "category", "group", "org", "grid", "rank")
TRUE = ("1", "on", "true", "yes")
#: How an H3 cell index is written (links and older clients send the grid by it).
H3_INDEX = re.compile(r"[0-9a-f]{15}")
FALSE = ("", "0", "off", "false", "no")


class Choice(forms.ChoiceField):
    """One of a fixed set of codes; the refusal names the parameter and, where useful, the choices."""

    def __init__(self, *, codes, message, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(choices=[(code, code) for code in codes], **kwargs)
        self.codes = tuple(codes)
        self.message = message

    def validate(self, value):
        if value and not self.valid_value(value):
            choices = "、".join(code for code in self.codes if code)
            raise ValidationError(str(self.message) % {"value": value[:40], "choices": choices}, code="invalid_choice")


class Flag(forms.Field):
    """A yes/no switch from a link or a checkbox (1, on, true / 0, off, false or absent)."""

    def to_python(self, value) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value or "").strip().lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        raise ValidationError(_("应为 1 或 0"), code="invalid")


class PeriodField(forms.CharField):
    """A period as `periods.parse` reads it (2021, 2021-Q1, …), within the years it allows."""

    def __init__(self, *, param: str = "period", **kwargs):
        self.param = param
        kwargs.setdefault("required", False)  # parse() says "请指定统计期间" itself, naming the field
        super().__init__(**kwargs)

    def clean(self, value) -> periods.Period:
        text = super().clean(value)  # strips, and refuses NUL characters
        try:
            return periods.parse(text, self.param)
        except ActionError as exc:
            raise ValidationError(exc.message, code=exc.code) from None


class ReportForm(forms.Form):
    """A report's question: metric, period, 同比/环比, grouping, filters and ranking (for `user`)."""

    metric = Choice(codes=tuple(report.METRICS), message=gettext_lazy("metric「%(value)s」不存在，可选：%(choices)s"))
    period = PeriodField()
    compare = Choice(codes=("yoy", "pop"), message=gettext_lazy("compare 应为 yoy（同比）或 pop（环比）"))
    group_by = Choice(
        codes=tuple(report.GROUP_BY), message=gettext_lazy("group_by「%(value)s」无效，可选：%(choices)s")
    )
    # "class" is a keyword: the field is added under that name in __init__.
    category = forms.CharField(required=False)
    group = Choice(
        codes=tuple(report.CATEGORY_GROUPS), message=gettext_lazy("group「%(value)s」无效，可选：%(choices)s")
    )
    org = forms.CharField(required=False)
    grid = forms.CharField(required=False)
    rank = Flag(required=False)

    def __init__(self, data=None, *, user, **kwargs):
        from anmin.incidents.models import IncidentClass

        super().__init__(data, **kwargs)
        self.user = user
        self.fields["class"] = Choice(
            codes=tuple(IncidentClass.values), message=gettext_lazy("class「%(value)s」不是警情类别")
        )
        self.order_fields(FIELDS)

    def clean_category(self) -> str:
        from anmin.incidents.models import Category

        code = self.cleaned_data["category"]
        if code and not Category.objects.filter(code=code).exists():
            raise ValidationError(_("category「%(value)s」不在警情类别代码表中") % {"value": code[:40]})
        return code

    def clean_org(self) -> int | None:
        """An organization of the user's subtree, by code or by id."""
        from anmin.org.models import Organization

        text = self.cleaned_data["org"]
        if not text:
            return None
        match = Q(code=text)
        # A longer number is no row's id (and int() refuses more than 4,300 digits).
        if text.isascii() and text.isdigit() and len(text) <= 19 and 1 <= int(text) <= MAX_ID:
            match |= Q(pk=int(text))
        found = Organization.objects.visible_to(self.user).filter(match).values_list("pk", flat=True).first()
        if found is None:
            raise ValidationError(_("org「%(value)s」不存在或不在本单位管辖范围") % {"value": text[:40]})
        return found

    def clean_grid(self) -> str:
        """A grid cell of the user's scope, by its name (河西所第17网格) or, as links and older
        clients send it, by its H3 index; the report keeps the index."""
        from anmin.geo.models import GridCell

        text = self.cleaned_data["grid"]
        if not text:
            return ""
        cells = GridCell.objects.visible_to(self.user)
        found = list(cells.filter(Q(name=text) | Q(h3=text)).values_list("h3", flat=True)[:2])
        if not found:
            raise ValidationError(_("grid「%(value)s」不存在或不在本单位管辖范围") % {"value": text[:40]})
        org = self.cleaned_data.get("org")
        if len(found) > 1 and org:  # two stations with the same short name: the unit chosen says which
            from anmin.org.models import Organization

            path = Organization.objects.get(pk=org).path
            found = list(cells.filter(name=text, jurisdiction__path__startswith=path).values_list("h3", flat=True)[:2])
        if len(found) != 1:
            raise ValidationError(_("grid「%(value)s」有同名网格，请先选择单位（org）") % {"value": text[:40]})
        return found[0]

    def clean(self) -> dict[str, Any]:
        """The combinations the rollups cannot answer, each refused naming the parameter to change."""
        data = super().clean()
        if self.errors:
            return data  # a combination check on a refused value would only add noise
        metric = report.METRICS[data["metric"] or "incidents"]
        group_by, grid = data["group_by"], data["grid"]
        filters = {"class": data["class"], "category": data["category"], "group": data["group"], "grid": grid}
        try:
            periods.baseline(data["period"], data["compare"] or None)
        except ActionError as exc:  # a 同比/环比 that would step before the first year
            self.add_error(exc.field, exc.message)
            return data
        if metric.family != "survey" and group_by in report.SURVEY_ONLY_GROUPS:
            self.add_error("group_by", _("只有满意度指标可按民警或服务事项分组"))
        elif metric.family == "survey":
            if group_by in ("class", "category", "grid"):
                self.add_error("group_by", _("满意度按单位、民警或服务事项分组"))
            for name in ("class", "category", "group", "grid"):
                if filters[name]:
                    self.add_error(name, _("满意度指标不能按 %(field)s 筛选") % {"field": name})
                    break
        elif metric.family == "case" and (grid or group_by == "grid"):
            field = "group_by" if group_by == "grid" else "grid"
            self.add_error(field, _("案件按办案单位统计，不能按网格分组或筛选"))
        elif metric.numerator in ("arrived", "on_time", "arrival_micros") and (grid or group_by == "grid"):
            # The grid rollups count incidents only; arrivals are kept per station.
            field = "group_by" if group_by == "grid" else "grid"
            self.add_error(field, _("到场指标按派出所统计，不能按网格分组或筛选"))
        elif metric.family == "community" and (group_by in ("class", "category", "grid") or any(filters.values())):
            # Counted per 小区 from its records: by unit only, over every class that counts.
            self.add_error("group_by", _("零发案小区率只能按单位分组，不能按类别或网格分组、筛选"))
        elif metric.family == "cell" and group_by in ("category", "grid"):
            self.add_error("group_by", _("零发案网格占比可按单位或警情类别分组"))
        elif (grid or group_by == "grid") and (data["category"] or data["group"] or metric.serious_only):
            self.add_error("category", _("按网格统计只能按警情类别（class）筛选"))
        elif metric.family == "cell" and (data["category"] or data["group"] or metric.serious_only):
            self.add_error("category", _("零发案网格占比只能按警情类别（class）筛选"))
        return data

    def query(self) -> report.Query:
        """The valid form as the report engine's Query."""
        data = self.cleaned_data
        return report.Query(
            metric=report.METRICS[data["metric"] or "incidents"],
            period=data["period"],
            compare=data["compare"] or None,
            group_by=data["group_by"],
            klass=data["class"],
            category=data["category"],
            group=data["group"],
            org=data["org"],
            grid=data["grid"],
        )

    def values(self) -> dict[str, str]:
        """What the user sent, to show in the form again (a refused value included, to correct it);
        a grid cell a link named by its H3 index is shown by its name."""
        from anmin.geo.models import GridCell

        values = {name: str(self[name].value() or "").strip() for name in FIELDS if name != "rank"}
        if H3_INDEX.fullmatch(values["grid"]):  # an index, and nothing a database would refuse (NUL)
            name = GridCell.objects.visible_to(self.user).filter(h3=values["grid"]).values_list("name", flat=True)
            values["grid"] = name.first() or values["grid"]
        return values


class RecordsForm(ReportForm):
    """The drill-down: a report's question plus which figure (row key, baseline or current, part)."""

    key = forms.CharField(required=False, max_length=64)
    baseline = Flag(required=False)
    part = Choice(codes=report.PARTS, message=gettext_lazy("part 应为 numerator 或 denominator"))
    page = forms.IntegerField(required=False, min_value=1, max_value=MAX_OFFSET)

    def clean_key(self) -> str:
        return self.cleaned_data["key"] or "total"

    def clean_part(self) -> str:
        return self.cleaned_data["part"] or "value"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors and data["baseline"] and not data["compare"]:
            self.add_error("baseline", _("未指定对比方式（compare），没有基期数据"))
        return data


class PackForm(forms.Form):
    """The standard pack's period (a week or a month code; empty: the last complete one). Which of
    the two it must be depends on the pack, so `pack.pack_period` parses it."""

    period = forms.CharField(required=False, max_length=40)


class DashboardForm(forms.Form):
    """The dashboard's period (empty: the default); its figures are compared 同比, so that must exist."""

    period = forms.CharField(required=False)

    def clean_period(self) -> periods.Period | None:
        text = self.cleaned_data["period"]
        if not text:
            return None
        try:
            period = periods.parse(text, "period")
            periods.same_period_last_year(period, "period")
        except ActionError as exc:
            raise ValidationError(exc.message, code=exc.code) from None
        return period


def error_of(form: forms.BaseForm) -> ActionError:
    """The form's first error as an ActionError; a message that does not name its parameter (Django's
    own, such as "Null characters are not allowed") is prefixed with it."""
    error = first_error(form)
    if error.field and error.field not in error.message:
        return ActionError(f"{error.field}：{error.message}", field=error.field, code=error.code)
    return error


def read(form_class: type[ReportForm], data, user) -> ReportForm:
    """`form_class` bound to `data`, valid, or the ActionError (status 400) naming the parameter."""
    form = form_class(data, user=user)
    if not form.is_valid():
        raise error_of(form)
    return form

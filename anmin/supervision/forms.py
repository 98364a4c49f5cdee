"""Forms of the supervision screens: the board's drill-down query, the inspection page's filter and
a dismissal on it, the clock forms of the case page and marking reminders read.

Units travel in links by their 机构代码 (12 digits), which officers know and read, never by the
database id: a link someone copies into a report must not carry an internal id.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anmin.cases.forms import LocalDateTimeField, PageField, choice
from anmin.core.forms import MAX_ID, IdField
from anmin.org.models import Organization
from anmin.supervision.models import RUNNING_STATES

#: The units a list can be narrowed to: the levels that handle cases and own incidents.
FILTER_KINDS = (Organization.Kind.BUREAU, Organization.Kind.BRANCH, Organization.Kind.STATION)


class UnitField(forms.CharField):
    """A unit by its 机构代码; a bare id is still read, so links made before the codes keep working."""

    default_error_messages = {"invalid": _("应为12位机构代码")}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 19)
        kwargs.setdefault("label", _("单位"))
        super().__init__(**kwargs)

    def to_python(self, value) -> str:
        text = super().to_python(value)
        if text and not (text.isascii() and text.isdigit() and (len(text) == 12 or 1 <= int(text) <= MAX_ID)):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return text


def unit_lookup(value: str) -> Q:
    """The filter that finds the unit a UnitField value names."""
    return Q(code=value) if len(value) == 12 else Q(pk=int(value))


def unit_choices(user) -> list[tuple[str, str]]:
    """(code, name indented by level) of the units the user may narrow a list to, in tree order."""
    units = list(Organization.objects.visible_to(user).filter(kind__in=FILTER_KINDS).order_by("code"))
    top = min((u.path.count("/") for u in units), default=0)
    return [(u.code, "\u3000" * (u.path.count("/") - top) + u.name) for u in units]


class ClockListForm(forms.Form):
    """The clocks behind one number of the board: `?org=<机构代码>&state=overdue|due_soon|normal`."""

    org = UnitField()
    state = forms.ChoiceField(choices=[(state.value, state.label) for state in RUNNING_STATES], label=_("时限状态"))
    page = PageField()


class InspectionQueryForm(forms.Form):
    """The inspection page's query string: one unit (its subtree) and a page for each of the two lists."""

    org = UnitField(required=False)
    incident_page = PageField(label=_("有警无案页码"))
    case_page = PageField(label=_("久未流转页码"))

    def __init__(self, data, *, user):
        super().__init__(data)
        self.user = user

    def clean_org(self) -> Organization | None:
        value = self.cleaned_data["org"]
        if not value:
            return None
        unit = Organization.objects.visible_to(self.user).filter(unit_lookup(value)).first()
        if unit is None:
            raise ValidationError(_("不存在或不在本单位管辖范围"), code="not_found")
        return unit


class DismissForm(forms.Form):
    """排除 one row of the inspection page: an incident with no case, or an idle case."""

    kind = forms.ChoiceField(
        choices=[("incident", _("警情")), ("case", _("案件"))],
        # No label: the message says what is wrong on its own.
        error_messages={"required": _("未知的巡查项"), "invalid_choice": _("未知的巡查项")},
    )
    item = IdField(label=_("巡查项"))
    reason = forms.CharField(required=False, label=_("排除理由"))


class ExtendForm(forms.Form):
    """申请延长办案期限."""

    code = choice(_("延长情形"))
    reason = forms.CharField(required=False, label=_("理由"))


class CompleteForm(forms.Form):
    """记录完成 of a clock that stops by hand; the time defaults to now."""

    # No label: the message names the field already.
    at = LocalDateTimeField(required=False, error_messages={"invalid": _("完成时间格式无效")})
    note = forms.CharField(required=False, label=_("说明"))


class ReadForm(forms.Form):
    """Mark one reminder read, or all of them when no `notice` is sent."""

    notice = IdField(required=False, label=_("提醒"))


class NoticeListForm(forms.Form):
    page = PageField()

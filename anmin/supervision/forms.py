"""Forms of the supervision screens: the board's drill-down query, a dismissal on the inspection
page, the clock forms of the case page and marking reminders read."""

from django import forms
from django.utils.translation import gettext_lazy as _

from anmin.cases.forms import LocalDateTimeField, PageField
from anmin.core.forms import IdField
from anmin.supervision.models import RUNNING_STATES


class ClockListForm(forms.Form):
    """The clocks behind one number of the board: `?org=<unit id>&state=overdue|due_soon|normal`."""

    org = IdField(label=_("单位"))
    state = forms.ChoiceField(choices=[(state.value, state.label) for state in RUNNING_STATES], label=_("时限状态"))
    page = PageField()


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

    code = forms.CharField(required=False, label=_("延长情形"))
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

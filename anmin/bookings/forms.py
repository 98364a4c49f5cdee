"""Forms of the booking pages, one per operation. Ids are bounded (`IdField`), dates are real dates
in a year the calendar can step around; text is bounded and free of NUL. What the values mean (a
time range, a capacity, an ID number) is checked by the actions, which the API calls too."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from anmin.bookings.models import ExamBooking, Subject
from anmin.core.forms import IdField

#: Text fields the actions check further (times, numbers, names) arrive as typed, up to this long.
SHORT = 40


def _chosen(message) -> IdField:
    """An id picked from a list on the page: anything but one of them means none was picked (the
    message says so, without a label: it names the field already)."""
    return IdField(error_messages=dict.fromkeys(("required", "invalid", "min_value", "max_value"), message))


class DayField(forms.DateField):
    """A day (YYYY-MM-DD) whose neighbours exist: the pages link to the day before and after."""

    def validate(self, value) -> None:
        super().validate(value)
        if value and not 1000 <= value.year <= 9998:
            raise ValidationError(_("日期超出范围"), code="out_of_range")


class DayForm(forms.Form):
    """The day a page shows (`?date=2026-05-01`)."""

    date = DayField(label=_("日期"), required=False)


class BookForm(forms.Form):
    """窗口预约: a slot of the office and what the visit is about."""

    slot = _chosen(_("请选择预约时段"))
    purpose = forms.CharField(label=_("办理事项"), required=False, max_length=100)
    date = DayField(required=False)


class SubjectForm(forms.Form):
    """约考: which subject's sessions to list."""

    subject = forms.ChoiceField(label=_("考试科目"), required=False, choices=Subject.choices)


class SeatForm(forms.Form):
    """约考: ask for a seat in a session."""

    session = _chosen(_("请选择考试场次"))


class OfficeForm(forms.Form):
    """开设网点."""

    organization = _chosen(_("请选择所属单位"))
    name = forms.CharField(label=_("名称"), required=False, max_length=200)
    address = forms.CharField(label=_("地址"), required=False, max_length=400)


class SlotsForm(forms.Form):
    """Create the slots of a range of days."""

    first_day = DayField(label=_("开始日期"), required=False)
    last_day = DayField(label=_("结束日期"), required=False)
    start = forms.CharField(label=_("开始时间"), required=False, max_length=SHORT)
    end = forms.CharField(label=_("结束时间"), required=False, max_length=SHORT)
    minutes = forms.CharField(label=_("每段分钟数"), required=False, max_length=SHORT)
    capacity = forms.CharField(label=_("每段人数"), required=False, max_length=SHORT)
    working_days_only = forms.BooleanField(required=False)


class MarkForm(forms.Form):
    """到场 / 爽约 at the counter."""

    status = forms.CharField(label=_("状态"), required=False, max_length=SHORT)


class ApplicantForm(forms.Form):
    """车管所 受理 of a driving-licence applicant."""

    organization = _chosen(_("请选择受理单位"))
    id_number = forms.CharField(label=_("公民身份号码"), required=False, max_length=SHORT)
    name = forms.CharField(label=_("姓名"), required=False, max_length=60)
    licence_class = forms.CharField(label=_("准驾车型"), required=False, max_length=SHORT)
    accepted_on = DayField(label=_("受理日期"), required=False)


class SessionForm(forms.Form):
    """开设考试场次."""

    venue = _chosen(_("请选择考场"))
    subject = forms.CharField(label=_("考试科目"), required=False, max_length=SHORT)
    date = DayField(label=_("考试日期"), required=False)
    start = forms.CharField(label=_("开考时间"), required=False, max_length=SHORT)
    seats = forms.CharField(label=_("考位数"), required=False, max_length=SHORT)
    opens_at = forms.CharField(label=_("预约开始"), required=False, max_length=SHORT)
    closes_at = forms.CharField(label=_("预约截止"), required=False, max_length=SHORT)


def results_form_class(bookings: list[ExamBooking]) -> type[forms.Form]:
    """成绩公布: one `result-<id>` choice per allocated seat shown on the page (PublishResults says
    which one is missing)."""
    choices = [("", "—"), *[c for c in ExamBooking.Result.choices if c[0]]]
    fields = {f"result-{b.pk}": forms.ChoiceField(required=False, choices=choices) for b in bookings}
    return type("ResultsForm", (forms.Form,), fields)

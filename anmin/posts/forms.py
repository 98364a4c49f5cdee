"""The posts pages' input: one form per operation; the actions check the values' meaning."""

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anmin.core.forms import text
from anmin.org.models import Officer
from anmin.posts.models import CheckRecord, WantedEntry

MAX_PERIOD_DAYS = 92


def officers_for(post) -> "forms.ModelChoiceField.queryset":
    root = post.organization.station() or post.organization
    return Officer.objects.filter(organization__path__startswith=root.path, is_active=True).order_by("badge_number")


class RosterForm(forms.Form):
    """排班: a week from `week_start`, on the post's shift pattern."""

    week_start = forms.DateField(label=_("起始日期"))
    leader = forms.ModelChoiceField(queryset=Officer.objects.none(), required=False, label=_("带班民警"))
    officers = forms.ModelMultipleChoiceField(queryset=Officer.objects.none(), required=False, label=_("值班民警"))
    auxiliaries = text(label=_("辅警"), max_length=200)

    def __init__(self, *args, post, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = officers_for(post)
        self.fields["officers"].queryset = officers_for(post)


class ChangeShiftForm(RosterForm):
    """调班: the same people fields, for one shift."""

    week_start = None


class CheckForm(forms.Form):
    """核查登记 on the shift page (the phone): ID number and/or plate; the action validates both."""

    id_number = text(label=_("身份证号码"), max_length=30)
    plate = text(label=_("号牌号码"), max_length=20)
    vehicle_type = forms.ChoiceField(
        label=_("车辆类型"), choices=[("", "—")] + CheckRecord.VehicleType.choices, required=False
    )
    result = forms.ChoiceField(label=_("核查结果"), choices=CheckRecord.Result.choices)
    note = text(label=_("备注"), max_length=400)


class HitForm(forms.Form):
    """比中处置."""

    handling = forms.ChoiceField(label=_("处置方式"), choices=CheckRecord.Handling.choices)
    note = text(label=_("处置说明"), max_length=400)


class WantedForm(forms.Form):
    """布控名单 entry."""

    kind = forms.ChoiceField(label=_("类型"), choices=WantedEntry.Kind.choices)
    id_number = text(label=_("身份证号码"), max_length=30)
    plate = text(label=_("号牌号码"), max_length=20)
    reason = text(label=_("事由"), max_length=400)
    active = forms.BooleanField(label=_("有效"), required=False)


class PeriodForm(forms.Form):
    """A report period; the last 7 days by default."""

    start = forms.DateField(label=_("开始日期"), required=False)
    end = forms.DateField(label=_("结束日期"), required=False)

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(days=6)
        if start > end:
            raise ValidationError({"start": _("开始日期不能晚于结束日期")})
        if (end - start).days >= MAX_PERIOD_DAYS:
            raise ValidationError({"start": _("统计期最长 %(days)s 天") % {"days": MAX_PERIOD_DAYS}})
        data["start"], data["end"] = start, end
        return data

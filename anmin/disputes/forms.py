"""The 枫桥 pages' input: one form per operation; the actions check what the forms cannot."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from anmin.core.forms import IdField, text
from anmin.disputes.models import DisputeKind, DisputeParty, Risk, Source, Status, TransferBody

#: How many party rows the register form offers (more are added through the API).
PARTY_ROWS = 3
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class MonthField(forms.CharField):
    """A month as YYYY-MM, cleaned to (year, month)."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        match = MONTH.match(value)
        if not match:
            raise forms.ValidationError(_("月份格式应为 YYYY-MM，如 2026-12"), code="invalid")
        return int(match.group(1)), int(match.group(2))


class DisputeFilterForm(forms.Form):
    """The register's filters; `month` with `figure` is the monthly report's drill-down."""

    status = forms.ChoiceField(label=_("状态"), choices=[("", _("全部"))] + Status.choices, required=False)
    kind = forms.ChoiceField(label=_("类型"), choices=[("", _("全部"))] + DisputeKind.choices, required=False)
    risk = forms.ChoiceField(label=_("风险"), choices=[("", _("全部"))] + Risk.choices, required=False)
    station = forms.IntegerField(label=_("派出所"), required=False, min_value=1, max_value=2**63 - 1)
    month = MonthField(label=_("月份"), required=False, max_length=7)
    figure = forms.ChoiceField(
        label=_("指标"),
        required=False,
        choices=[
            ("", ""),
            ("found", _("排查发现")),
            ("resolved", _("化解")),
            ("transferred", _("移交")),
            ("repeat", _("重复纠纷地址")),
        ],
    )
    flagged = forms.BooleanField(label=_("仅风险预警"), required=False)


class PrefillForm(forms.Form):
    """The register form opened from an incident (?incident=) or a visit (?visit=)."""

    incident = IdField(label=_("来源警情"), required=False)
    visit = IdField(label=_("来源走访"), required=False)


class DisputeForm(forms.Form):
    """排查登记 on the page: the dispute and up to PARTY_ROWS parties."""

    kind = forms.ChoiceField(label=_("纠纷类型"), choices=DisputeKind.choices)
    risk = forms.ChoiceField(label=_("风险等级"), choices=Risk.choices, initial=Risk.LOW)
    source = forms.ChoiceField(label=_("来源"), choices=Source.choices, initial=Source.WALK_IN)
    incident = IdField(label=_("来源警情"), required=False)
    visit = IdField(label=_("来源走访"), required=False)
    referral_number = text(label=_("12345工单号"), max_length=30)
    address = text(label=_("纠纷地点"), max_length=200)
    community = IdField(label=_("社区"), required=False, widget=forms.Select)
    description = forms.CharField(label=_("纠纷简况"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    source_person = forms.BooleanField(label=_("将报警人/走访对象列为当事人"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(PARTY_ROWS):
            self.fields[f"party{n}_role"] = forms.ChoiceField(
                label=_("身份"), choices=DisputeParty.Role.choices, required=False
            )
            self.fields[f"party{n}_name"] = text(label=_("当事人姓名"), max_length=30)
            self.fields[f"party{n}_phone"] = text(label=_("联系电话"), max_length=20)
            self.fields[f"party{n}_id_number"] = text(label=_("身份证号码"), max_length=18)

    def party_rows(self):
        return [
            [self[f"party{n}_role"], self[f"party{n}_name"], self[f"party{n}_phone"], self[f"party{n}_id_number"]]
            for n in range(PARTY_ROWS)
        ]

    def parties(self) -> list[dict]:
        d = self.cleaned_data
        return [
            {
                "role": d[f"party{n}_role"],
                "name": d[f"party{n}_name"],
                "phone": d[f"party{n}_phone"],
                "id_number": d[f"party{n}_id_number"],
            }
            for n in range(PARTY_ROWS)
            if d.get(f"party{n}_name")
        ]


class MediationForm(forms.Form):
    held_at = forms.DateTimeField(label=_("调解时间"), required=False)
    mediator = forms.CharField(label=_("调解人"), max_length=60)
    result = forms.CharField(label=_("调解情况"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class AgreementForm(forms.Form):
    agreement = forms.CharField(label=_("协议内容"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))


class TransferForm(forms.Form):
    transfer_body = forms.ChoiceField(label=_("移交机构类别"), choices=TransferBody.choices)
    transfer_to = forms.CharField(label=_("接收单位"), max_length=80)


class FollowUpForm(forms.Form):
    holds = forms.TypedChoiceField(
        label=_("协议履行/化解稳定"),
        choices=[("yes", _("是")), ("no", _("否"))],
        coerce=lambda v: v == "yes",
    )
    result = forms.CharField(label=_("回访情况"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class EmptyForm(forms.Form):
    """受理 and 办结 take nothing but the press of the button."""


STEP_FORMS = {
    "accept": EmptyForm,
    "mediate": MediationForm,
    "agree": AgreementForm,
    "transfer": TransferForm,
    "follow_up": FollowUpForm,
    "close": EmptyForm,
}


class ReportForm(forms.Form):
    month = MonthField(label=_("月份"), required=False, max_length=7)
    format = forms.ChoiceField(label=_("格式"), required=False, choices=[("", "HTML"), ("xlsx", "Excel")])


class VisitForm(forms.Form):
    """访民 from the phone: whom (masked once stored), where, what was raised."""

    plan = IdField(label=_("走访计划"), required=False)
    person_name = forms.CharField(label=_("走访对象"), max_length=30)
    person_phone = text(label=_("联系电话"), max_length=20)
    address = forms.CharField(label=_("地点"), max_length=200)
    lat = forms.FloatField(label=_("纬度"), required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lon = forms.FloatField(label=_("经度"), required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    raised = text(label=_("反映问题"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class VisitPlanForm(forms.Form):
    officer = IdField(label=_("社区民警"), widget=forms.Select)
    community = IdField(label=_("社区"), required=False, widget=forms.Select)
    targets = forms.CharField(label=_("走访对象"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    planned_count = forms.IntegerField(label=_("计划走访数"), min_value=1, max_value=999, initial=1)
    due_date = forms.DateField(label=_("完成期限"))


class VisitTaskForm(forms.Form):
    description = forms.CharField(label=_("事项"), max_length=500)
    due_date = forms.DateField(label=_("完成期限"))

"""What the command-centre and phone pages accept: one form per operation.

The forms check types and bounds (ids, coordinates, the intake token); what a value means (a
category code, a reason, a feedback result) is checked by the action, which the API shares, so both
entry points give the same message for the same mistake.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from anmin.core.forms import IdField, IdListField
from anmin.dispatch.actions import MAX_UNITS_PER_DISPATCH
from anmin.incidents.actions import MAX_INTAKE_KEY, valid_intake_key


class CoordinateField(forms.FloatField):
    """A latitude or longitude in degrees (Django's FloatField already refuses inf and nan)."""

    default_error_messages = {
        "required": _("缺少坐标"),
        "invalid": _("坐标应为数字"),
        "min_value": _("坐标超出范围"),
        "max_value": _("坐标超出范围"),
    }

    def __init__(self, limit: float, **kwargs):
        kwargs.setdefault("widget", forms.HiddenInput)
        super().__init__(min_value=-limit, max_value=limit, **kwargs)


# --- the board ------------------------------------------------------------------------------------


class BoardForm(forms.Form):
    """`/board/?incident=…`: the incident to open in the side pane."""

    incident = IdField(required=False, label=_("警情"))


class MapForm(forms.Form):
    """`board/map.json?static=1`: include the posts and patrol lines (asked for once per page)."""

    static = forms.BooleanField(required=False)


class GridBoxForm(forms.Form):
    """The map's visible box, for the grid cells in it."""

    south = CoordinateField(90)
    west = CoordinateField(180)
    north = CoordinateField(90)
    east = CoordinateField(180)


class PlacesForm(forms.Form):
    """The gazetteer look-up: the first 40 characters typed are enough to find a place."""

    q = forms.CharField(required=False)

    def clean_q(self) -> str:
        return self.cleaned_data["q"][:40]


# --- intake ---------------------------------------------------------------------------------------


class IntakeKeyField(forms.CharField):
    """The intake form's one-time token: a resubmitted form is answered with its first incident."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, max_length=MAX_INTAKE_KEY, **kwargs)

    def validate(self, value):
        super().validate(value)
        if value and not valid_intake_key(value):
            raise ValidationError(_("表单令牌无效，请刷新页面后重新提交"), code="invalid")


class IntakeForm(forms.Form):
    """接警: the call-taker's form. The call's fields are read as text and checked by ReceiveCall."""

    caller_phone = forms.CharField(required=False, strip=False, label=_("报警电话"))
    caller_name = forms.CharField(required=False, strip=False, label=_("报警人"))
    address = forms.CharField(required=False, strip=False, label=_("地址"))
    lat = forms.CharField(required=False, label=_("纬度"))
    lon = forms.CharField(required=False, label=_("经度"))
    # A code, "0601 家庭纠纷" as the list fills it in, a name or part of one (殴打): ReceiveCall reads
    # it (anmin.incidents.categories), so the page and the API accept and refuse the same values.
    category = forms.CharField(required=False, label=_("警情类别"))
    priority = forms.CharField(required=False, label=_("等级"))
    description = forms.CharField(required=False, strip=False, label=_("简要警情"))
    merge_into = IdField(required=False, label=_("合并到"))
    force_new = forms.BooleanField(required=False)
    token = IntakeKeyField(label=_("表单令牌"))

    CALL_FIELDS = ("category", "lat", "lon", "address", "caller_phone", "caller_name", "description", "priority")

    def call_data(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in self.CALL_FIELDS}


class IntakePageForm(forms.Form):
    """`/intake/?last=…`: the incident just recorded, linked above the empty form."""

    last = IdField(required=False, label=_("上一警情"))


# --- the incident panel -----------------------------------------------------------------------------


class DispatchForm(forms.Form):
    """派警: the units ticked in the panel."""

    unit_ids = IdListField(required=False, max_items=MAX_UNITS_PER_DISPATCH, label=_("警力"))


class ReasonForm(forms.Form):
    """撤销 or 重新打开: the reason, which the action requires and bounds."""

    reason = forms.CharField(required=False, label=_("原因"))


class RevealForm(forms.Form):
    """查看完整号码: nothing to fill in; the viewing itself is what gets audited."""


# --- the officer's phone --------------------------------------------------------------------------


class UnitForm(forms.Form):
    """Which of the officer's units the page is for (an officer may crew more than one)."""

    unit = IdField(required=False, label=_("警力"))


class StepForm(UnitForm):
    """出警 / 到场 / 开始处置 / 处置完毕: the step is in the URL."""


class FeedbackForm(UnitForm):
    """处警反馈: result code and account, checked by SubmitFeedback."""

    result = forms.CharField(required=False, label=_("处警结果"))
    text = forms.CharField(required=False, strip=False, label=_("反馈内容"))


class StatusForm(UnitForm):
    """上线 / 下线."""

    status = forms.CharField(required=False, label=_("状态"))


class PositionForm(UnitForm):
    """The position the phone reports (WGS-84)."""

    lat = CoordinateField(90, label=_("纬度"))
    lon = CoordinateField(180, label=_("经度"))

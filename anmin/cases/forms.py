"""Forms of the case pages, one per operation: every value is typed and bounded here, so a tampered
hidden id ("abc", 2^70) is a 400 naming the field instead of a ValueError or an OverflowError deep in
the ORM. The actions still own the rules of the domain (which transition, which kind, which role);
these forms only make sure that what reaches them is text, a bounded id or a real file.

Two fields are shared with the apps above cases (reviews, supervision, property): `BadgeListField`
for 警号 typed in a box and `LocalDateTimeField` for `<input type="datetime-local">`.
"""

import re
from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from anmin.cases.lifecycle import CaseKind, CaseStatus
from anmin.core.forms import MAX_OFFSET, IdField, text

#: Officers type 警号 separated by commas of either width or by spaces.
BADGE_SEPARATORS = re.compile(r"[,，、\s]+")
#: A year outside this range cannot be converted to UTC and back on every database (year 1 in
#: Beijing time is year 0 in UTC, which Python's datetime cannot hold).
MIN_YEAR, MAX_YEAR = 1000, 9998


class BadgeListField(forms.CharField):
    """警号 typed as one line ("0123, 0456，0789"): a list of badge numbers in the order typed."""

    def __init__(self, *, max_items: int = 50, **kwargs):
        self.max_items = max_items
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value) -> list[str]:
        text = super().to_python(value)
        badges = [badge for badge in BADGE_SEPARATORS.split(text) if badge]
        if len(badges) > self.max_items:
            raise ValidationError(_("最多 %(n)s 项") % {"n": self.max_items}, code="too_many")
        return badges

    def validate(self, value) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")

    def run_validators(self, value) -> None:
        # The validators of CharField (length, null characters) apply to each badge, not to the list.
        for badge in value:
            super().run_validators(badge)


class LocalDateTimeField(forms.DateTimeField):
    """An `<input type="datetime-local">` value, read in the server's time zone (Beijing time)."""

    def to_python(self, value) -> datetime | None:
        result = super().to_python(value)
        if result is not None and not MIN_YEAR <= result.year <= MAX_YEAR:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return result


def choice(label) -> forms.CharField:
    """A value picked from a `<select>` whose first option is an empty 请选择: required, so a form
    sent without a choice is refused naming the field (类别：请选择) instead of taking whatever
    option came first (a wooden stick was once registered as 现金 that way)."""
    return forms.CharField(label=label, error_messages={"required": _("请选择")})


class PageField(forms.IntegerField):
    """The page of a paginated list (1 … 2^63−1; the paginator shows the last page past the end)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_OFFSET)
        kwargs.setdefault("label", _("页码"))
        super().__init__(**kwargs)


class CaseFilterForm(forms.Form):
    """案件列表's query string."""

    q = text(label=_("案件编号或名称"))
    kind = forms.ChoiceField(required=False, choices=[("", _("全部")), *CaseKind.choices], label=_("类型"))
    status = forms.ChoiceField(required=False, choices=[("", _("全部")), *CaseStatus.choices], label=_("状态"))
    page = PageField()

    def clean_q(self) -> str:
        # Case numbers and the start of a title are short; a longer query is cut, as it always was.
        return self.cleaned_data["q"][:40]


class IncidentQueryForm(forms.Form):
    """受案登记 opened from an incident: `?incident=ID`."""

    incident = IdField(required=False, label=_("来源警情"))


class OpenCaseForm(forms.Form):
    """受案登记."""

    incident = IdField(required=False, label=_("来源警情"))
    kind = choice(_("案件类型"))
    title = text(label=_("案件名称"))
    cause = text(label=_("案由"))
    category = text(label=_("案件类别"))
    summary = text(label=_("简要案情"), strip=False)


class TransitionForm(forms.Form):
    """办理: one lifecycle step, and the reason an approval needs."""

    action = text(label=_("操作"))
    reason = text(label=_("理由 / 说明"))


class PersonForm(forms.Form):
    """登记涉案人员."""

    role = choice(_("身份"))
    name = text(label=_("姓名"))
    id_number = text(label=_("身份证号码"))
    phone = text(label=_("联系电话"))
    address = text(label=_("住址"))


class RevealForm(forms.Form):
    """显示完整身份证号码 of one person of the case."""

    person = IdField(label=_("涉案人员"))


class MeasureForm(forms.Form):
    """采取强制措施."""

    person = IdField(label=_("对象"), error_messages={"required": _("请选择")})
    kind = choice(_("措施"))
    reason = text(label=_("理由"))


class EndMeasureForm(forms.Form):
    """解除强制措施."""

    measure = IdField(label=_("强制措施"))
    note = text(label=_("说明"))


class UploadForm(forms.Form):
    """上传案件材料. The file is checked by its content in the action (check_upload), so an empty or
    mislabelled file gets that check's precise message rather than the form's generic one."""

    kind = choice(_("类别"))
    title = text(label=_("名称"))
    file = forms.FileField(required=False, allow_empty_file=True, label=_("文件"))


class HelpersForm(forms.Form):
    """协办民警, by 警号."""

    badges = BadgeListField(label=_("协办民警"))


class DecisionForm(forms.Form):
    """审批: approve or reject, with a note (required to reject; the action says so)."""

    decision = forms.ChoiceField(
        choices=[("approve", _("批准")), ("reject", _("不批准"))],
        label=_("审批结果"),
        error_messages={"required": _("请选择批准或不批准"), "invalid_choice": _("请选择批准或不批准")},
    )
    note = text(label=_("审批意见"))

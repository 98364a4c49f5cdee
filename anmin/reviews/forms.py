"""Forms of the two case-page forms this app adds: 评查 (one deduction and note per rubric item)
and 集体议案 (attendees by 警号, the chair first)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from anmin.cases.forms import BadgeListField, LocalDateTimeField
from anmin.reviews.models import Rubric

#: No rubric item is worth more than the full score; a larger number is a typing error, refused here
#: before it reaches the database as an integer it cannot hold.
MAX_DEDUCTION = 1000


class ReviewForm(forms.Form):
    """评查: `deduct-<code>` and `note-<code>` for each item of the rubric (blank = no finding)."""

    summary = forms.CharField(required=False, strip=False, label=_("评查意见"))

    def __init__(self, *args, rubric: Rubric, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(rubric.items.all())
        for item in self.items:
            invalid = _("“%(item)s”的扣分应为整数") % {"item": item.text}
            too_much = _("“%(item)s”最多扣 %(max)s 分") % {"item": item.text, "max": item.max_deduction}
            # No label: the messages name the item already.
            self.fields[f"deduct-{item.code}"] = forms.IntegerField(
                required=False,
                min_value=0,
                max_value=MAX_DEDUCTION,
                error_messages={"invalid": invalid, "min_value": invalid, "max_value": too_much},
            )
            self.fields[f"note-{item.code}"] = forms.CharField(required=False, label=_("问题描述"))

    def findings(self) -> list[dict]:
        """The findings for ReviewCase, in the rubric's order (its own checks apply to each)."""
        return [
            {
                "item": item.code,
                "deduction": self.cleaned_data[f"deduct-{item.code}"],
                "note": self.cleaned_data[f"note-{item.code}"],
            }
            for item in self.items
            if self.cleaned_data[f"deduct-{item.code}"] is not None
        ]


class DeliberationForm(forms.Form):
    """集体议案."""

    # No label: the messages name the field already.
    held_at = LocalDateTimeField(error_messages={"required": _("请填写议案时间"), "invalid": _("请填写议案时间")})
    badges = BadgeListField(label=_("参加人员警号"))
    question = forms.CharField(required=False, label=_("议题"))
    decision = forms.CharField(required=False, label=_("决定"))
    dissent = forms.CharField(required=False, label=_("不同意见"))
    location = forms.CharField(required=False, label=_("地点"))

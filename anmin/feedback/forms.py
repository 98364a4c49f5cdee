"""Forms of the satisfaction pages: the answer by link (public), the phone 回访, the queues'
filters and closing a follow-up. They bound what arrives; `clean_answer` and the actions say what
is wrong with a rating or a reason, the same way to the page and to the API."""

from django import forms
from django.utils.translation import gettext_lazy as _

from anmin.core.forms import StringListField


class AnswerForm(forms.Form):
    """满意度评价: rating, the reasons of a 不满意, a comment."""

    rating = forms.CharField(label=_("评价"), required=False, max_length=40)
    reasons = StringListField(label=_("原因"), max_items=20, max_length=40)
    comment = forms.CharField(label=_("意见建议"), required=False, max_length=2000)


class CallbackForm(AnswerForm):
    """电话回访: the answer and when the call was made (empty: now)."""

    # No label: the message names the field already.
    called_at = forms.DateTimeField(
        required=False,
        error_messages={"invalid": _("回访时间格式应为 年-月-日 时:分")},
    )

    def clean_called_at(self):
        value = self.cleaned_data["called_at"]
        if value is not None and not 2000 <= value.year <= 9998:
            raise forms.ValidationError(_("回访时间格式应为 年-月-日 时:分"), code="out_of_range")
        return value


class CallbackQueueForm(forms.Form):
    """回访队列: `all=1` lists every unanswered survey."""

    all = forms.BooleanField(required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=10**9)


class FollowUpsForm(forms.Form):
    """不满意整改: `closed=1` lists the closed ones."""

    closed = forms.BooleanField(required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=10**9)


class CloseFollowUpForm(forms.Form):
    """办结 a follow-up with what was checked and done."""

    note = forms.CharField(label=_("核查整改情况"), required=False, max_length=4000)

"""Forms of the portal's own pages (sign-in by SMS code, real-name verification and its change) and
of the staff page that reviews identity changes.

The forms bound what arrives (lengths, no NUL, one value per field); what a value means (a mobile
number, a six-digit code, a 居民身份证号码) is checked by the action, which says it the same way to a
page and to the API.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from anmin.core.forms import IdField

#: A `next` address longer than this is not one of ours.
MAX_NEXT = 2000


class NextForm(forms.Form):
    """Where to go after signing in or verifying (checked against the host by the view)."""

    next = forms.CharField(required=False, max_length=MAX_NEXT)


class RequestCodeForm(forms.Form):
    """获取验证码."""

    phone = forms.CharField(label=_("手机号码"), required=False, max_length=20)


class SignInForm(RequestCodeForm):
    """登录: the phone number and the code sent to it."""

    code = forms.CharField(label=_("验证码"), required=False, max_length=20)


class RealNameForm(forms.Form):
    """实名认证: 姓名 and 居民身份证号码."""

    name = forms.CharField(label=_("姓名"), required=False, max_length=60)
    id_number = forms.CharField(label=_("公民身份号码"), required=False, max_length=30)


class IdentityChangeForm(RealNameForm):
    """实名信息变更申请: the new 姓名 and 公民身份号码, why, and the 派出所 that will review it."""

    station = IdField(label=_("办理派出所"), widget=forms.Select)
    reason = forms.CharField(label=_("变更原因"), required=False, max_length=1000)


class ReviewIdentityChangeForm(forms.Form):
    """审核: approve or refuse, with the officer's note (required to refuse)."""

    decision = forms.ChoiceField(
        label=_("审核结果"), choices=[("approve", _("通过")), ("refuse", _("不通过"))], required=True
    )
    note = forms.CharField(label=_("审核意见"), required=False, max_length=1000)


class IdentityChangesForm(forms.Form):
    """The staff list's filter: pending (default) or reviewed, and the page."""

    reviewed = forms.BooleanField(required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=10**6)

"""Forms of the portal's own pages: sign-in by SMS code and real-name verification.

The forms bound what arrives (lengths, no NUL, one value per field); what a value means (a mobile
number, a six-digit code, a 居民身份证号码) is checked by the action, which says it the same way to a
page and to the API.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

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

"""Forms of the portal's own pages: sign-in by SMS code and real-name verification.

The forms bound what arrives (lengths, no NUL, one value per field); what a value means (a mobile
number, a six-digit code, a 居民身份证号码) is checked by the action, which says it the same way to a
page and to the API.
"""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from anmin.core.forms import first_error


def valid(form: forms.BaseForm) -> dict[str, Any]:
    """The bound form's cleaned data, or its first error as an ActionError naming the field.

    Unlike `anmin.core.forms.clean` it takes the bound form, so a page shown again after the
    error can put back the values that were valid (`form.cleaned_data`).
    """
    if not form.is_valid():
        raise first_error(form)
    return form.cleaned_data


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


class StringListField(forms.Field):
    """Repeated text fields (`missing=身份证&missing=照片`): each at most `max_length`, no NUL."""

    widget = forms.MultipleHiddenInput

    def __init__(self, *, max_items: int = 50, max_length: int = 100, **kwargs):
        self.max_items, self.max_length = max_items, max_length
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value) -> list[str]:
        if value in self.empty_values:
            return []
        values = [value] if isinstance(value, str) else list(value)
        if len(values) > self.max_items:
            raise ValidationError(_("最多 %(n)s 项") % {"n": self.max_items}, code="too_many")
        for text in values:
            if "\x00" in text:
                raise ValidationError(_("不能包含空字符"), code="null_characters_not_allowed")
            if len(text) > self.max_length:
                raise ValidationError(_("每项最多 %(n)s 个字") % {"n": self.max_length}, code="max_length")
        return [text.strip() for text in values]

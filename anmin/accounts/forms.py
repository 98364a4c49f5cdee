"""Input of the account security pages."""

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordChangeForm
from django.utils.translation import gettext_lazy as _


class OwnPasswordForm(PasswordChangeForm):
    """Old password, new password twice; the new one through AUTH_PASSWORD_VALIDATORS (Django's
    SetPasswordForm checks them and the match, and names the second field in any error)."""

    error_messages = {
        "password_incorrect": _("原密码不正确。"),
        "password_mismatch": _("两次输入的新密码不一致。"),
    }

    old_password = forms.CharField(
        label=_("原密码"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    new_password1 = forms.CharField(
        label=_("新密码"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("再次输入新密码"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.fields["new_password1"].help_text = "；".join(password_validation.password_validators_help_texts())

    def save(self, commit=True):  # pragma: no cover - the view runs ChangeOwnPassword instead
        raise NotImplementedError("use anmin.accounts.actions.ChangeOwnPassword")


class CodeForm(forms.Form):
    """A six-digit code from the authenticator app, or a recovery code."""

    code = forms.CharField(
        label=_("验证码"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True, "spellcheck": "false"}
        ),
    )


class OfficerForm(forms.Form):
    """The officer whose second factor the security administrator resets, named as on his badge."""

    officer = forms.CharField(label=_("警号或用户名"), max_length=150)
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)

"""Input of the staff pages of the org app: the sign-in form."""

from django import forms
from django.utils.translation import gettext_lazy as _


class LoginForm(forms.Form):
    """警号或用户名, 密码 and, once sign-in failures have piled up, the image challenge's answer.

    Only the shape of the input is checked here; whether it signs anyone in is `anmin.org.auth.attempt`.
    """

    username = forms.CharField(
        label=_("警号或用户名"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    # Bounded: a password hasher fed megabytes is a denial of service of its own.
    password = forms.CharField(
        label=_("密码"),
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    challenge = forms.CharField(
        label=_("验证码"),
        required=False,
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )

    def __init__(self, *args, request=None, **kwargs):
        # LoginView hands the request to its form; this one does not need it.
        super().__init__(*args, **kwargs)

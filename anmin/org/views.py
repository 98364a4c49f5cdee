from django import forms
from django.contrib import auth
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from anmin.org.models import Role


class BadgeLoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("警号或用户名"), max_length=150, widget=forms.TextInput(attrs={"autofocus": True})
    )

    error_messages = {
        "invalid_login": _("警号/用户名或密码错误。连续输错多次账号将被锁定。"),
        "inactive": _("该账号已停用。"),
        "locked": _("连续登录失败次数过多，账号已临时锁定，请稍后再试或联系管理员。"),
    }

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            if getattr(self.request, "anmin_locked", False):
                raise forms.ValidationError(self.error_messages["locked"], code="locked") from None
            raise


class LoginView(auth_views.LoginView):
    form_class = BadgeLoginForm
    template_name = "org/login.html"
    redirect_authenticated_user = True


@require_POST
def logout_view(request):
    auth.logout(request)
    return redirect("org:login")


@login_required
def home(request):
    """Send each role to the screen it works in: crews to the phone page, the rest to the board."""
    user = request.user
    if user.role in (Role.PATROL, Role.TRAFFIC) and user.units.exists():
        return redirect("dispatch:phone")
    if user.can_command or user.sees_everything:
        return redirect("dispatch:board")
    if user.units.exists():
        return redirect("dispatch:phone")
    return redirect("dispatch:board")

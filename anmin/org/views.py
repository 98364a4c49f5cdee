from django.contrib import auth
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from anmin.accounts.flow import finish_login
from anmin.core.audit import security_event
from anmin.org import challenge
from anmin.org.auth import Outcome, attempt
from anmin.org.forms import LoginForm
from anmin.org.models import Role

# One message for a wrong password and for a name that is no account: the page must not tell which.
INVALID_LOGIN = _("警号/用户名或密码错误。")


class LoginView(auth_views.LoginView):
    """The staff sign-in page: 警号 or username and password, through the throttle
    (anmin.org.auth.attempt); the session itself starts in anmin.accounts.flow.finish_login."""

    form_class = LoginForm
    template_name = "org/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.is_valid():
            return self.page(form, status=400)
        data = form.cleaned_data
        result = attempt(request, data["username"], data["password"], data["challenge"])
        if result.user is not None:
            return finish_login(request, result.user, redirect_to=self.get_success_url())
        if result.outcome is Outcome.WAIT:
            form.add_error(None, gettext("请稍后再试（%(seconds)s 秒）") % {"seconds": result.wait})
            response = self.page(form, status=429, challenge=result.challenge)
            response["Retry-After"] = str(result.wait)
            return response
        if result.outcome is Outcome.CHALLENGE:
            form.add_error("challenge", _("请输入图片中的验证码。"))
        elif result.outcome is Outcome.CHALLENGE_FAILED:
            form.add_error("challenge", _("验证码错误，请看新图片重新输入。"))
        else:
            form.add_error(None, INVALID_LOGIN)
        return self.page(form, status=400, challenge=result.challenge)

    def page(self, form, *, status: int, challenge: bool = False):
        return self.render_to_response(self.get_context_data(form=form, challenge=challenge), status=status)


@never_cache
@require_GET
def challenge_image(request):
    """The image challenge of the sign-in page: a new one at each request, never cached (never_cache
    sends no-store)."""
    return HttpResponse(challenge.issue(request), content_type="image/png")


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        security_event("auth.logout", request=request, actor=request.user, obj=request.user)
    auth.logout(request)
    return redirect("org:login")


@login_required
def home(request):
    """Send each role to the screen it works in: crews to the phone page, the audit administrator to
    the trail, the security administrator to the accounts, the rest to the board."""
    user = request.user
    if user.role == Role.AUDITOR:
        return redirect("audit:trail")
    if user.role == Role.SECURITY_ADMIN:
        return redirect("admin:index")
    if user.role in (Role.PATROL, Role.TRAFFIC) and user.units.exists():
        return redirect("dispatch:phone")
    if user.can_command or user.sees_everything:
        return redirect("dispatch:board")
    if user.units.exists():
        return redirect("dispatch:phone")
    return redirect("dispatch:board")

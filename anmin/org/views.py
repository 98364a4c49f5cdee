from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import auth
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from anmin.accounts.flow import finish_login
from anmin.core.audit import security_event
from anmin.org import challenge
from anmin.org.auth import Outcome, attempt
from anmin.org.forms import LoginForm
from anmin.org.models import Organization, Role, scope_path

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


def landing(user, has_units: Callable[[], bool] | None = None) -> str:
    """The address of the screen each role works in, where sign-in, the brand link and 工作台 lead:
    the leader's 驾驶舱, the legal officer's 执法监督, the statistician's 统计, a crew's phone page,
    the command centre's board, a station's board on its own queue, the audit administrator's trail
    and the security administrator's accounts. A role whose screen the officer cannot open (no unit,
    no crew) falls through to the board or, for those who may not command, the cases. `has_units`
    answers whether the officer is in a crew when the caller knows already (the menu does)."""
    in_crew = has_units or user.units.exists
    role = user.role
    if role == Role.AUDITOR:
        return reverse("audit:trail")
    if role == Role.SECURITY_ADMIN:
        return reverse("admin:index")
    placed = scope_path(user) is not None
    if role == Role.LEADER and placed:
        return reverse("stats:dashboard")
    if role == Role.LEGAL and placed:
        return reverse("supervision:dashboard")
    if role == Role.STATISTICIAN and placed:
        return reverse("stats:builder")
    if role in (Role.PATROL, Role.TRAFFIC) and in_crew():
        return reverse("dispatch:phone")
    org = user.organization
    if role == Role.STATION and org is not None and org.kind == Organization.Kind.STATION:
        # The station's own queue: the board's filter by 机构代码 (anmin.dispatch.queue.QueueForm).
        return reverse("dispatch:board") + "?" + urlencode({"station": org.code})
    if user.can_command or user.sees_everything:
        return reverse("dispatch:board")
    if in_crew():
        return reverse("dispatch:phone")
    return reverse("cases:list")


@login_required
def home(request):
    """首页/工作台: send the officer to the screen their role works in (`landing`)."""
    return redirect(landing(request.user))

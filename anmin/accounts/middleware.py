"""Staff sessions end after SESSION_IDLE_MINUTES without activity and SESSION_MAX_HOURS after
sign-in (GB/T 22239-2019 8.1.4.1 b: 登录连接超时自动退出), and a session that still owes a new
password or a second factor reaches nothing but the page that settles it.

Requests with an API token (Authorization: Bearer) carry no session and pass untouched; so do the
citizens' portal sessions, which are not Django sign-ins (anmin.citizens.auth).

What counts as activity: a page the officer opens and anything he sends (POST and the like). The
requests a page makes on its own — htmx polling the notice badge every minute, a board fetching its
JSON — do not, or an open board would keep a session alive forever; they do end an expired one.
The time of activity is written at most once a minute: writing the session on every request would
add a database write to each one.
"""

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import auth, messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _

from anmin.accounts import flow
from anmin.core.audit import security_event

TOUCH_SECONDS = 60


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def is_api(request) -> bool:
    return request.path.startswith("/api/")


def is_background(request) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    accept = request.headers.get("Accept", "")
    return is_htmx(request) or (
        "application/json" in accept and "text/html" not in accept or is_api(request) or request.path.endswith(".json")
    )


def send_to(request, url: str):
    """A redirect the client follows: htmx needs HX-Redirect (a 302 would be swapped into the page)."""
    if is_htmx(request):
        response = HttpResponse(status=200)
        response["HX-Redirect"] = url
        return response
    return HttpResponse(status=302, headers={"Location": url})


class SessionSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.headers.get("Authorization", "").startswith("Bearer "):
            return self.get_response(request)
        if auth.SESSION_KEY not in request.session or not request.user.is_authenticated:
            return self.get_response(request)
        answer = self.check_age(request) or self.check_owed(request)
        return answer or self.get_response(request)

    def check_age(self, request):
        session = request.session
        now = flow.now_ts()
        started, seen = session.get(flow.STARTED), session.get(flow.SEEN)
        if started is None or seen is None:
            # A session begun before these times were kept, or by force_login: its clock starts now.
            session[flow.STARTED] = session[flow.SEEN] = now
            return None
        if now - started > settings.SESSION_MAX_HOURS * 3600:
            reason, message = (
                "lifetime",
                _("登录时间已超过 %(h)d 小时，已自动退出，请重新登录") % {"h": settings.SESSION_MAX_HOURS},
            )
        elif now - seen > settings.SESSION_IDLE_MINUTES * 60:
            reason, message = "idle", _("长时间未操作，已自动退出")
        else:
            if not is_background(request) and now - seen >= TOUCH_SECONDS:
                session[flow.SEEN] = now
            return None
        user = request.user
        security_event("auth.session_expired", request=request, actor=user, obj=user, data={"reason": reason})
        auth.logout(request)
        if is_api(request):
            return None  # signed out: the API answers 401 as to anyone without a session
        messages.info(request, message)
        login = resolve_url(settings.LOGIN_URL)
        back = request.get_full_path() if request.method == "GET" and not is_background(request) else ""
        return send_to(request, f"{login}?{urlencode({'next': back})}" if back else login)

    def check_owed(self, request):
        step = flow.pending_step(request)
        if not step or request.path == step or request.path in self.always_allowed():
            return None
        if request.path.startswith(settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/static/"):
            return None
        if is_htmx(request) and urlsplit(request.headers.get("HX-Current-URL", "")).path == step:
            # The step's own page polling (the header's notice badge): redirecting it to the page
            # it is on would reload that page for ever.
            return HttpResponse(status=204)
        if is_api(request):
            return JsonResponse(
                {"detail": [{"field": None, "message": _("请先在网页上完成修改密码或启用双因素认证"), "code": "owed"}]},
                status=403,
            )
        return send_to(request, step)

    @staticmethod
    def always_allowed() -> set[str]:
        return {reverse("org:logout"), reverse("set_language")}

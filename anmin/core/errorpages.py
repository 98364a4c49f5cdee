"""The error pages (400, 403, 404, 500) in Chinese, with a way back and a way home, in the staff
style or, under the citizen portal, in the portal's.

The templates (anmin/templates/400.html …) extend errors/base.html, a page of its own that reads
nothing from the request: the 500 page is rendered with a plain context, since whatever failed (the
database, a context processor) may fail again while the page is drawn.

With DEBUG on, Django answers an unknown address with its technical 404 page, which lists every
URL pattern of the site, and a server error with a traceback and the settings. `make demo` runs
with DEBUG (for its SMS and real-name stand-ins) and is shown to people who have no business
reading either, so `DebugErrorPagesMiddleware` serves these pages for 404 and 500 in DEBUG too,
and the traceback goes to the log as it would in production. DEBUG_ERROR_PAGES=true gives Django's pages back to a
developer who wants them.
"""

from django.conf import settings
from django.core.exceptions import BadRequest, DisallowedHost, PermissionDenied, SuspiciousOperation
from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.template import loader
from django.urls import NoReverseMatch, Resolver404, get_urlconf, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.log import log_response
from django.utils.translation import gettext

#: Where the citizen portal's addresses begin (URL name, arguments, the argument's placeholder):
#: the portal itself and the survey link sent by SMS. Their error pages look like the portal.
PORTAL_URLS = (("citizens:home", ()), ("feedback:survey-link", ("-",)))


def _portal_prefixes() -> list[str]:
    prefixes = []
    for name, args in PORTAL_URLS:
        try:
            url = reverse(name, args=args)
        except NoReverseMatch:
            continue
        prefixes.append(url[: url.index("/-/") + 1] if args else url)
    return prefixes


def is_portal(request: HttpRequest | None) -> bool:
    path = getattr(request, "path", "") or ""
    return any(path.startswith(prefix) for prefix in _portal_prefixes())


def _home(portal: bool) -> str:
    try:
        return reverse("citizens:home") if portal else reverse("org:home")
    except NoReverseMatch:
        return "/"


def _back(request: HttpRequest) -> str:
    """The page the visitor came from, if it is one of ours (never an address on another host)."""
    referer = request.META.get("HTTP_REFERER", "")
    if not referer:
        return ""
    try:
        host = request.get_host()
    except DisallowedHost:  # the very reason for a 400, sometimes
        return ""
    if url_has_allowed_host_and_scheme(referer, allowed_hosts={host}, require_https=request.is_secure()):
        return referer
    return ""


def _page(request: HttpRequest, status: int, exception=None, *, reason: str = "") -> HttpResponse:
    portal = is_portal(request)
    if not reason and status == 403 and exception is not None and exception.args:
        # A refusal may say why (PermissionDenied("只有审计管理员可以查看审计记录")); Django's own
        # reasons are English and are left out.
        reason = "" if str(exception).isascii() else str(exception)
    context = {"portal": portal, "home": _home(portal), "back": _back(request), "status": status, "reason": reason}
    body = loader.get_template(f"{status}.html").render(context, request)
    return HttpResponse(body, status=status)


def bad_request(request, exception=None):
    return _page(request, 400, exception)


def permission_denied(request, exception=None):
    return _page(request, 403, exception)


def page_not_found(request, exception=None):
    return _page(request, 404, exception)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a form sent from a page that has expired (or from another site) is refused
    in Chinese too; Django's `reason` is English and for the log, not the officer."""
    return _page(request, 403, reason=gettext("页面已过期或来源无法验证，请返回刷新页面后重新提交。"))


def server_error(request):
    """500: a plain context (no context processors, no request), see the module docstring."""
    portal = is_portal(request)
    body = loader.get_template("500.html").render({"portal": portal, "home": _home(portal), "status": 500})
    return HttpResponse(body, status=500)


class DebugErrorPagesMiddleware:
    """With DEBUG on (and DEBUG_ERROR_PAGES off), answer a missing page and a server error with the
    pages above rather than Django's technical pages (see the module docstring). Refusals (403) and
    bad requests (400) are left to Django; the views answer bad input with a page of their own.

    Placed last, so the response still passes every other middleware: CommonMiddleware's
    APPEND_SLASH redirect, the security headers, the session. Settings are read per request
    rather than once, so that a test switching DEBUG on sees the demo's behaviour."""

    def __init__(self, get_response):
        self.get_response = get_response

    @staticmethod
    def active() -> bool:
        return settings.DEBUG and not settings.DEBUG_ERROR_PAGES

    def __call__(self, request):
        if self.active():
            # An address no URL pattern matches never reaches a view: Django's handler answers it
            # with the URL list before any process_exception runs, so it is matched here first.
            try:
                resolve(request.path_info, getattr(request, "urlconf", None) or get_urlconf())
            except Resolver404:
                return page_not_found(request)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not self.active():
            return None
        if isinstance(exception, Http404):
            return page_not_found(request, exception)
        if isinstance(exception, (PermissionDenied, BadRequest, SuspiciousOperation, MultiPartParserError)):
            return None
        # What Django does for an uncaught exception, with this page instead of the traceback.
        got_request_exception.send(sender=None, request=request)
        response = server_error(request)
        log_response(
            "%s: %s", response.reason_phrase, request.path, response=response, request=request, exception=exception
        )
        return response

"""Browser-facing security headers: the Content Security Policy, no-store on personal data, and the
permissions a page may ask the browser for (等保2.0 三级, 安全通信 and 个人信息保护).

Django's SecurityMiddleware already sends HSTS (when SECURE_COOKIES), nosniff, Referrer-Policy and
Cross-Origin-Opener-Policy from the settings; this middleware adds what Django 5.2 does not do:

- **Content-Security-Policy** on every HTML page. No page carries an inline script or an `on…=`
  attribute: page scripts are static files that read their data from `data-` attributes or
  `json_script` blocks, htmx runs with `allowEval: false` (base.html), and neither Leaflet nor
  ECharts evaluates code, so `script-src 'self'` holds without `'unsafe-eval'` or a nonce. The
  Django admin's templates (5.2) carry no inline script either (their constants ride on
  `data-` attributes of `<script src>` tags), so the admin runs under the same policy.
- **Cache-Control: no-store** on every response to a signed-in officer or citizen and on every API
  answer: any of them may hold a name, a phone or an ID number, and police workstations are shared,
  so nothing of it may stay in a browser's cache or in a proxy. Static files are served by
  anmin.asgi before Django's middleware and keep their caching.
- **Permissions-Policy**: only what the pages use. Geolocation for the crew's phone page and the
  citizen's accident map; the camera for the accident form's photo input; nothing else.
"""

import functools
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost, ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

#: Views whose answer holds no person and is worth the browser's cache, by URL name: the grid
#: outlines of the heat map (geometry and station names, about 2 MB for the demo city, which the
#: dashboard would otherwise fetch on every visit), the boundaries every map draws and map tiles.
CACHEABLE_VIEWS = frozenset({"stats:dashboard-cells", "geo:layers", "geo:tile"})

#: API paths that hold no personal data: the OpenAPI document and its viewer.
API_DOCUMENTS = ("/api/openapi.json", "/api/v1/openapi.json", "/api/v1/docs")

PERMISSIONS_POLICY = ", ".join(
    [
        "geolocation=(self)",  # the phone page reports the crew's position; the accident map's "我的位置"
        # The accident form's photo input has capture="environment": the system camera app, which this
        # policy does not govern, is what opens today; (self) keeps an in-page capture possible.
        "camera=(self)",
        "microphone=()",
        "payment=()",
        "usb=()",
        "serial=()",
        "hid=()",
        "midi=()",
        "magnetometer=()",
        "gyroscope=()",
        "accelerometer=()",
        "display-capture=()",
        "screen-wake-lock=()",
        "browsing-topics=()",
    ]
)


@functools.lru_cache(maxsize=8)
def tile_source(tile_url: str) -> str | None:
    """The CSP source for the map tile server named by TILE_URL ("http://tiles.intranet/{z}/{x}/{y}.png"
    → "http://tiles.intranet"), or None when there is none. A host with Leaflet's {s} subdomain
    placeholder becomes a wildcard ("http://{s}.tiles.intranet/…" → "http://*.tiles.intranet")."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        # A relative URL ("/tiles/{z}/{x}/{y}.png") is served by this site: 'self' covers it.
        return None
    host = parts.netloc.rsplit("@", 1)[-1]
    if "{" in host:
        first, _, rest = host.partition(".")
        if not rest or "{" in rest:
            raise ImproperlyConfigured(f"TILE_URL may hold a placeholder only in its first host label: {tile_url}")
        host = f"*.{rest}"
    return f"{parts.scheme}://{host}"


def content_security_policy(request: HttpRequest) -> str:
    """The policy for one HTML page. The WebSocket of the live board is named with the page's own
    host: CSP Level 3 lets 'self' match ws:/wss: on the same host (Chromium and Firefox do), older
    browsers need the scheme spelt out, and a bare ws: wss: would let a script talk to any host."""
    img = ["'self'", "data:", "blob:"]
    tiles = tile_source(settings.TILE_URL or "")
    if tiles:
        img.append(tiles)
    connect = ["'self'"]
    try:
        host = request.get_host()
    except DisallowedHost:
        host = None
    if host:
        connect += [f"ws://{host}", f"wss://{host}"]
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # Inline style attributes remain in the templates, and Leaflet and ECharts position their
        # elements with style attributes: styles cannot run code, scripts can.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": img,
        "font-src": ["'self'"],
        "connect-src": connect,
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def holds_personal_data(request: HttpRequest) -> bool:
    """Whether the answer to this request may hold personal data: a signed-in officer's, a citizen's
    (the portal keeps its sign-in in the session, as does a citizen's SMS sign-in in progress) or an
    API answer other than the OpenAPI document."""
    path = request.path
    if path.startswith("/api/") and not path.startswith(API_DOCUMENTS):
        return True
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return True
    session = getattr(request, "session", None)
    return session is not None and not session.is_empty()


class SecurityHeadersMiddleware:
    """Adds the CSP, no-store and Permissions-Policy headers (see the module docstring). Placed just
    after Django's SecurityMiddleware: it sees every answer, including the redirects and the error
    pages of the middleware and views below it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        tile_source(settings.TILE_URL or "")  # a TILE_URL the policy cannot name stops the server at start

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            header = "Content-Security-Policy-Report-Only" if settings.CSP_REPORT_ONLY else "Content-Security-Policy"
            response.headers.setdefault(header, content_security_policy(request))
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if holds_personal_data(request) and not self.cacheable(request):
            # Replaces whatever the view said: "private, max-age" still keeps a copy on the disk of a
            # shared workstation. Pragma for HTTP/1.0 proxies.
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
            response.headers.pop("Expires", None)
        return response

    @staticmethod
    def cacheable(request: HttpRequest) -> bool:
        match = getattr(request, "resolver_match", None)
        return match is not None and match.view_name in CACHEABLE_VIEWS

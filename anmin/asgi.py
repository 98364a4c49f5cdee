"""ASGI entry point: HTTP through Django (on a thread pool), WebSockets (live board, phone page) through Channels."""

import asyncio
import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anmin.settings")
django_asgi_app = get_asgi_application()

from django.conf import settings  # noqa: E402
from django.core.exceptions import ImproperlyConfigured  # noqa: E402

if not (settings.DEBUG or settings.SECRET_KEY_FROM_ENV):
    raise ImproperlyConfigured("SECRET_KEY is required unless DEBUG=true (make demo sets DEBUG=true).")

from anmin.core.duties import startup_problems  # noqa: E402

# In production (DEBUG off): no start without the audit and data keys, with an account that opens
# with the published demo password, or with a superuser (see anmin.core.duties).
if problems := startup_problems(database_required=False):
    raise ImproperlyConfigured("Anmin refuses to serve in production: " + "; ".join(problems))

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from anmin.core.events import remember_loop  # noqa: E402
from anmin.core.http import ThreadPoolDjango  # noqa: E402
from anmin.dispatch.routing import websocket_urlpatterns  # noqa: E402

# Ordinary HTTP requests go through Django's WSGI handler on a fixed pool of threads, one hand-off
# from the event loop per request (see anmin.core.http for why not Django's ASGI path).
# Static assets (htmx, Leaflet, our CSS/JS) come from the app directories through Django's
# staticfiles handler: intranet deployments have no CDN.
static_prefix = "/" + settings.STATIC_URL.lstrip("/")
static_app = ASGIStaticFilesHandler(django_asgi_app)
django_http_app = ThreadPoolDjango(
    WSGIHandler(),
    threads=settings.SERVE_THREADS,
    heavy_processes=settings.HEAVY_WORKERS,
    heavy_per_client=settings.HEAVY_PER_USER,
)


def plain_static_path(path: str) -> bool:
    """Whether a static path names a file below the prefix: no "..", ".", empty segment, backslash
    or NUL. The staticfiles finders refuse such paths with SuspiciousFileOperation, which the
    static handler let through as a 500 (`GET /static/anmin/../../settings.py` sent as is)."""
    rest = path[len(static_prefix) :]
    if "\\" in rest or "\x00" in rest:
        return False
    return all(part not in ("", ".", "..") for part in rest.split("/"))


def static_refusal(scope) -> tuple[int, bytes, list[tuple[bytes, bytes]]] | None:
    """Why a static request is answered without the static handler, or None to serve it.

    Static files take no request body: a request that brings one (which the handler would spool
    to disk whatever its size) is refused before a byte of it is read.
    """
    if not plain_static_path(scope["path"]):
        return 404, b"Not Found\n", []
    if scope["method"] not in ("GET", "HEAD"):
        return 405, b"Method Not Allowed\n", [(b"allow", b"GET, HEAD")]
    for raw_name, value in scope.get("headers", ()):
        name = raw_name.lower()
        if (name == b"content-length" and value.strip() != b"0") or name == b"transfer-encoding":
            return 413, b"Request Entity Too Large\n", [(b"connection", b"close")]
    return None


async def http(scope, receive, send):
    if not scope["path"].startswith(static_prefix):
        await django_http_app(scope, receive, send)
    elif (refused := static_refusal(scope)) is None:
        await static_app(scope, receive, send)
    else:
        status, body, headers = refused
        headers = [(b"content-type", b"text/plain"), *headers]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


router = ProtocolTypeRouter(
    {
        "http": http,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)


# Everything loaded by now (Django, the apps, the URL patterns with django-ninja's schemas) lives
# as long as the process. Frozen, it is out of the garbage collector's sight: a full collection
# no longer walks its ~150,000 objects, which held requests up to 90–160 ms (the status
# query's p99 at 500/s; 7–9 ms frozen). The URL conf is loaded here so that it is frozen too.
get_resolver().url_patterns  # noqa: B018
gc.freeze()


async def application(scope, receive, send):
    # Events raised in request threads are handed to this loop (see anmin.core.events).
    remember_loop(asyncio.get_running_loop())
    await router(scope, receive, send)

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
django_http_app = ThreadPoolDjango(WSGIHandler(), threads=settings.SERVE_THREADS)


async def http(scope, receive, send):
    if scope["path"].startswith(static_prefix):
        await static_app(scope, receive, send)
    else:
        await django_http_app(scope, receive, send)


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

"""Browser-facing security headers (等保2.0 三级, 安全通信; 个人信息保护法): the Content Security Policy,
HSTS behind SECURE_COOKIES, no-store on every answer that may hold personal data, the permissions a
page may ask for, and the API documents closed to strangers in production."""

import re
import runpy
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

from anmin.core.security import content_security_policy, tile_source
from tests.conftest import http_scope, portal_client

ROOT = Path(__file__).resolve().parent.parent


def directives(response, header="Content-Security-Policy") -> dict[str, list[str]]:
    policy = response[header]
    return {name: sources for name, *sources in (part.split() for part in policy.split(";"))}


def assert_no_store(response):
    assert response["Cache-Control"] == "no-store"
    assert response["Pragma"] == "no-cache"


def assert_cacheable(response):
    assert "no-store" not in response.get("Cache-Control", "")
    assert not response.has_header("Pragma")


# --- the Content Security Policy ------------------------------------------------------------------


@pytest.mark.django_db
def test_it_sends_a_strict_policy_on_every_html_page(city):
    response = city.login(city.dispatcher).get(reverse("dispatch:board"))
    assert response.status_code == 200
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no nonce
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["img-src"] == ["'self'", "data:", "blob:"]
    assert policy["connect-src"] == ["'self'", "ws://testserver", "wss://testserver"]
    assert policy["font-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert not response.has_header("Content-Security-Policy-Report-Only")


@pytest.mark.django_db
def test_the_sign_in_page_and_error_pages_carry_the_policy_too(client):
    for response in (client.get(reverse("org:login")), client.get("/no-such-page/")):
        assert "script-src 'self';" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_it_can_report_without_blocking(city, settings):
    settings.CSP_REPORT_ONLY = True
    response = city.login(city.dispatcher).get(reverse("dispatch:board"))
    assert not response.has_header("Content-Security-Policy")
    assert directives(response, "Content-Security-Policy-Report-Only")["script-src"] == ["'self'"]


@pytest.mark.django_db
def test_json_answers_carry_no_policy(city):
    response = city.api(city.dispatcher).get("/api/v1/incidents")
    assert response.status_code == 200
    assert not response.has_header("Content-Security-Policy")


@pytest.mark.django_db
def test_the_map_tile_server_is_allowed_for_images(city, settings):
    settings.TILE_URL = "http://tiles.intranet:8080/{z}/{x}/{y}.png"
    response = city.login(city.dispatcher).get(reverse("dispatch:board"))
    assert directives(response)["img-src"] == ["'self'", "data:", "blob:", "http://tiles.intranet:8080"]


@pytest.mark.parametrize(
    ("tile_url", "source"),
    [
        ("", None),
        ("https://tiles.gov.example/{z}/{x}/{y}.png", "https://tiles.gov.example"),
        ("http://{s}.tiles.intranet/{z}/{x}/{y}.png", "http://*.tiles.intranet"),
        ("http://user@tiles.intranet/{z}/{x}/{y}.png", "http://tiles.intranet"),
        ("/tiles/{z}/{x}/{y}.png", None),  # served by this site: 'self'
    ],
)
def test_it_names_the_tile_server_by_its_origin(tile_url, source):
    assert tile_source(tile_url) == source


def test_it_refuses_a_tile_url_it_cannot_name():
    with pytest.raises(ImproperlyConfigured, match="TILE_URL"):
        tile_source("http://tiles.{s}.intranet/{z}/{x}/{y}.png")


def test_the_websocket_is_allowed_only_to_the_pages_own_host(rf):
    policy = content_security_policy(rf.get("/board/", HTTP_HOST="localhost"))
    connect = dict(part.split(" ", 1) for part in policy.split("; "))["connect-src"]
    assert connect == "'self' ws://localhost wss://localhost"  # never a bare ws: or wss:


TEMPLATE_DIRS = [ROOT / "anmin"]
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
EVENT_ATTRIBUTE = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)


def test_no_template_has_an_inline_script_an_event_attribute_or_a_javascript_url():
    """What the policy would block, found before a browser does: every page script is a static file."""
    found = []
    for template in sorted(ROOT.glob("anmin/**/templates/**/*.html")):
        text = template.read_text(encoding="utf-8")
        where = template.relative_to(ROOT)
        found += [f"{where}: inline script {m.group(0)}" for m in INLINE_SCRIPT.finditer(text)]
        found += [f"{where}: event attribute {m.group(0)[-40:]}" for m in EVENT_ATTRIBUTE.finditer(text)]
        found += [f"{where}: javascript: URL" for _ in re.finditer(r"javascript:", text, re.I)]
        found += [f"{where}: htmx eval ({m.group(0)})" for m in re.finditer(r"hx-on\S*|hx-vars|js:", text)]
    assert not found, "\n".join(found)


def test_htmx_is_told_not_to_eval_on_every_base_page():
    for base in ("anmin/templates/base.html", "anmin/citizens/templates/citizens/base_m.html"):
        text = (ROOT / base).read_text(encoding="utf-8")
        assert '<meta name="htmx-config" content=\'{"allowEval": false, "includeIndicatorStyles": false}\'>' in text


# --- no-store on personal data ---------------------------------------------------------------------


@pytest.mark.django_db
def test_every_page_for_a_signed_in_officer_is_no_store(city):
    client = city.login(city.station_officer)
    # A refusal too: a 403 page still names the signed-in officer.
    for url in (reverse("cases:list"), reverse("org:home"), reverse("supervision:dashboard")):
        response = client.get(url)
        assert response.status_code in (200, 302, 403), url
        assert_no_store(response)


@pytest.mark.django_db
def test_every_api_answer_is_no_store_but_the_openapi_document(city):
    api = city.api(city.dispatcher)
    assert_no_store(api.get("/api/v1/incidents"))
    assert_no_store(Client().get("/api/v1/incidents"))  # the 401 too
    document = api.get("/api/openapi.json")
    assert document.status_code == 200
    assert_cacheable(document)


@pytest.mark.django_db
def test_a_signed_in_citizens_portal_pages_are_no_store(citizen):
    client = portal_client(citizen)
    assert_no_store(client.get(reverse("citizens:me")))
    assert_no_store(client.get(reverse("citizens:home")))


@pytest.mark.django_db
def test_public_pages_for_a_stranger_keep_their_caching(client):
    home = client.get(reverse("citizens:home"))
    assert home.status_code == 200
    assert_cacheable(home)
    assert "script-src 'self';" in home["Content-Security-Policy"]


@pytest.mark.django_db
def test_a_view_that_sets_private_caching_is_overruled_for_personal_data(city):
    # The heat map's grid outlines hold no person and keep their hour in the browser's cache…
    cells = city.login(city.leader).get(reverse("stats:dashboard-cells"))
    assert "max-age" in cells["Cache-Control"]
    # …while a view's own "private" does not keep a page with persons on a shared workstation.
    board = city.login(city.dispatcher).get(reverse("dispatch:board"))
    assert_no_store(board)


def _static(headers=()):
    """GET a static file through the ASGI app as the server does (static files are answered before
    Django's middleware)."""
    import asyncio

    from anmin.asgi import application

    sent = []
    messages = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive():
        if messages:
            return messages.pop()
        await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    with ThreadPoolExecutor(max_workers=1) as runner:
        runner.submit(
            asyncio.run, application(http_scope("/static/anmin/app.css", headers=headers), receive, send)
        ).result()
    start = sent[0]
    return start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]}


@pytest.mark.django_db(transaction=True)
def test_static_files_keep_their_caching_even_for_a_signed_in_officer(city):
    client = city.login(city.dispatcher)
    cookie = f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}"
    status, headers = _static([("host", "127.0.0.1"), ("cookie", cookie)])
    assert status == 200
    assert "no-store" not in headers.get("cache-control", "")
    assert "last-modified" in headers
    assert "content-security-policy" not in headers


# --- the other headers ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_sends_referrer_permissions_and_isolation_headers(city):
    response = city.login(city.dispatcher).get(reverse("dispatch:phone"))
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    permissions = dict(item.split("=", 1) for item in response["Permissions-Policy"].split(", "))
    assert permissions["geolocation"] == "(self)"  # the phone page reports the crew's position
    assert permissions["camera"] == "(self)"  # the accident form's photo input
    for feature in ("microphone", "payment", "usb"):
        assert permissions[feature] == "()"


def settings_with(monkeypatch, **env) -> dict:
    """The settings module evaluated afresh under `env`."""
    for name in ("SECURE_COOKIES", "HSTS_SECONDS", "HSTS_INCLUDE_SUBDOMAINS", "PROXY_SETS_X_FORWARDED_PROTO"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "anmin" / "settings.py"))


def test_hsts_is_on_only_with_secure_cookies(monkeypatch):
    plain = settings_with(monkeypatch)
    assert "SECURE_HSTS_SECONDS" not in plain and not plain["SESSION_COOKIE_SECURE"]
    assert "SECURE_PROXY_SSL_HEADER" not in plain and plain["SECURE_SSL_REDIRECT"] is False
    secure = settings_with(monkeypatch, SECURE_COOKIES="true")
    assert secure["SECURE_HSTS_SECONDS"] == 31536000
    assert secure["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert secure["SESSION_COOKIE_SECURE"] and secure["CSRF_COOKIE_SECURE"]
    shorter = settings_with(monkeypatch, SECURE_COOKIES="true", HSTS_SECONDS="600", PROXY_SETS_X_FORWARDED_PROTO="1")
    assert shorter["SECURE_HSTS_SECONDS"] == 600
    assert shorter["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")


@pytest.mark.django_db
def test_the_hsts_header_reaches_an_https_request(settings):
    assert not Client().get(reverse("org:login"), secure=True).has_header("Strict-Transport-Security")
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    client = Client()  # SecurityMiddleware reads its settings when the handler is built
    response = client.get(reverse("org:login"), secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert not client.get(reverse("org:login")).has_header("Strict-Transport-Security")  # never over HTTP


# --- the API documents ----------------------------------------------------------------------------

DOCUMENTS = ("/api/openapi.json", "/api/v1/openapi.json", "/api/v1/docs")


@pytest.mark.django_db
def test_the_api_documents_send_a_stranger_to_sign_in(client, citizen):
    for url in DOCUMENTS:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{reverse('org:login')}?next={url}"
        # A citizen's session is not an officer's.
        assert portal_client(citizen).get(url).status_code == 302


@pytest.mark.django_db
def test_the_api_documents_refuse_a_bad_token(client):
    for url in DOCUMENTS:
        response = client.get(url, headers={"Authorization": "Bearer not-a-token"})
        assert response.status_code == 401, url
        assert response.json()["detail"][0]["field"] == "Authorization"


@pytest.mark.django_db
def test_an_officer_reads_the_api_documents(city):
    api, session = city.api(city.station_officer), city.login(city.station_officer)
    for client in (api, session):
        assert client.get("/api/openapi.json").json()["openapi"].startswith("3.")
        assert client.get("/api/v1/openapi.json").status_code == 200
    docs = session.get("/api/v1/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    # Swagger UI from the site's own static files, with no inline script: it runs under the policy.
    assert "/static/ninja/swagger-ui-bundle.js" in html and "cdn." not in html
    assert not INLINE_SCRIPT.search(html)


@pytest.mark.django_db
def test_the_api_documents_are_open_in_development(client, settings):
    settings.DEBUG = True
    for url in DOCUMENTS:
        assert client.get(url).status_code == 200, url

"""URL names are namespaced per app, and page scripts take their addresses from the page.

A bare name (`{% url 'board' %}`) raises NoReverseMatch only when its template is rendered, so a
page nobody opened in a test would ship broken; these checks read every template, every reverse()
in the code and every page script instead of waiting for a render.
"""

import importlib
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import URLResolver, get_resolver, reverse

ROOT = Path(__file__).resolve().parent.parent / "anmin"
APPS = sorted(p.parent.name for p in ROOT.glob("*/urls.py"))
TEMPLATES = sorted(ROOT.glob("**/templates/**/*.html"))
SCRIPTS = sorted((ROOT / "static" / "anmin").glob("*.js"))

# Names the project's root URLconf keeps outside any app: Django's own views and the API's document.
ROOT_NAMES = {"set_language", "openapi"}

URL_TAG = re.compile(r"""\{%\s*url\s+(['"])([^'"]+)\1""")
REVERSE_CALL = re.compile(r"""\b(?:reverse|reverse_lazy|redirect|resolve_url)\(\s*(['"])([^'"]+)\1""")


def known(name: str) -> bool:
    """Whether `name` ("ns:name" or a root name) is a URL pattern's name, whatever its arguments."""
    resolver = get_resolver()
    *namespaces, leaf = name.split(":")
    for ns in namespaces:
        if ns not in resolver.namespace_dict:
            return False
        resolver = resolver.namespace_dict[ns][1]
    return leaf in resolver.reverse_dict


def names_in(paths, pattern) -> list[tuple[str, str]]:
    return [(f"{p.relative_to(ROOT)}", m.group(2)) for p in paths for m in pattern.finditer(p.read_text())]


def is_url_name(text: str) -> bool:
    # redirect() and resolve_url() also take paths and full addresses; those are not names.
    return "/" not in text and "." not in text and not text.startswith("?")


@pytest.mark.parametrize("app", APPS)
def test_every_app_urlconf_has_its_namespace(app):
    module = importlib.import_module(f"anmin.{app}.urls")
    assert getattr(module, "app_name", None) == app
    included = {
        p.urlconf_module.__name__
        for p in get_resolver().url_patterns
        if isinstance(p, URLResolver) and hasattr(p.urlconf_module, "__name__")
    }
    assert f"anmin.{app}.urls" in included


def test_it_rejects_bare_or_unknown_url_names_in_templates():
    used = names_in(TEMPLATES, URL_TAG)
    assert len(used) > 100  # the pattern still finds the tags
    bare = [(path, name) for path, name in used if ":" not in name and name not in ROOT_NAMES]
    unknown = [(path, name) for path, name in used if not known(name)]
    assert bare == [] and unknown == []


def test_it_rejects_bare_or_unknown_url_names_in_code():
    code = [p for p in ROOT.glob("**/*.py") if "migrations" not in p.parts]
    used = [(path, name) for path, name in names_in(code, REVERSE_CALL) if is_url_name(name)]
    assert len(used) > 20
    bare = [(path, name) for path, name in used if ":" not in name and name not in ROOT_NAMES]
    unknown = [(path, name) for path, name in used if not known(name)]
    assert bare == [] and unknown == []


def test_the_login_settings_and_portal_tiles_name_namespaced_urls():
    from anmin.citizens.portal import TILES

    for name in (settings.LOGIN_URL, settings.LOGIN_REDIRECT_URL, settings.LOGOUT_REDIRECT_URL):
        assert ":" in name and known(name), name
    assert TILES
    for tile in TILES:
        assert ":" in tile.url_name and known(tile.url_name), tile.url_name


def app_prefixes() -> set[str]:
    """The first path segment of every route the server answers ("board", "api", "portal"…)."""
    prefixes = set()

    def walk(patterns, prefix=""):
        for p in patterns:
            route = prefix + str(p.pattern).lstrip("^")
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            first = re.match(r"[a-z][a-z0-9_-]*", route)
            if first:
                prefixes.add(first.group(0))

    walk(get_resolver().url_patterns)
    return prefixes


# Paths a script may write itself, each with the reason it is not rendered into the page. (live.js's
# "/ws/live/" is not listed: the WebSocket is routed by the ASGI app, outside the URLconf.)
ALLOWED_PATHS: set[tuple[str, str]] = set()


def test_it_rejects_hard_coded_app_paths_in_page_scripts():
    prefixes = app_prefixes()
    assert {"board", "api", "portal", "cases", "stats"} <= prefixes
    alternatives = "|".join(map(re.escape, sorted(prefixes)))
    literal = re.compile(rf"""["'`](/(?:{alternatives})(?:[/?.][^"'`]*)?)["'`$]""")
    found = [(p.name, m.group(1)) for p in SCRIPTS for m in literal.finditer(p.read_text())]
    assert [f for f in found if f not in ALLOWED_PATHS] == []


# Scripts still opening their map on a written-in place, each with the reason.
ALLOWED_CENTRES: dict[str, str] = {}


def test_it_rejects_a_map_centre_written_into_a_script():
    # A coordinate with three or more decimals (37.735, 115.675) is a place, and places come from
    # the server: the user's jurisdiction or the MAP_CENTRE setting.
    coordinate = re.compile(r"setView\([^)]*\d+\.\d{3,}")
    found = [p.name for p in SCRIPTS if coordinate.search(p.read_text())]
    assert [name for name in found if name not in ALLOWED_CENTRES] == []


@pytest.mark.django_db
def test_the_board_and_intake_open_on_the_configured_centre_with_rendered_addresses(city, settings):
    settings.MAP_CENTRE, settings.MAP_ZOOM = (38.1, 116.2), 11
    client = city.login(city.dispatcher)
    board = client.get(reverse("dispatch:board")).content.decode()
    assert 'data-centre="38.100000,116.200000" data-zoom="11"' in board
    assert f'data-map-url="{reverse("dispatch:board-map")}"' in board
    assert f'data-panel-url="{reverse("dispatch:incident-panel", args=[0])}"' in board
    intake = client.get(reverse("dispatch:intake")).content.decode()
    assert 'data-centre="38.100000,116.200000" data-zoom="12"' in intake
    assert f'data-match-url="{reverse("api:match_address")}"' in intake


@pytest.mark.django_db
def test_the_board_labels_follow_the_language(city):
    client = city.login(city.dispatcher)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    board = client.get(reverse("dispatch:board")).content.decode()
    assert 'data-t-incidents="Incident"' in board and 'data-t-grid="Grid cell"' in board
    assert 'id="live-state" class="live-dot" data-t-on="' in board

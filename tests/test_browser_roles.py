"""In the browser: where each role lands (a screenshot of each), the phone page at 390×844, the error
pages, and a walk through every admin page as the system and the security administrator that finds
no English left (test-artifacts/landing-*.png, phone-390.png, error-*.png, admin-*.png)."""

import re
from urllib.parse import quote, urlsplit

import pytest

from anmin.dispatch.actions import AdvanceAssignment, DispatchUnits, SubmitFeedback
from anmin.org.models import Officer
from anmin.supervision.models import TimeLimitRule
from anmin.supervision.tasks import ensure_scheduled
from tests.browser import logged_in_page, shot
from tests.test_dispatch import receive
from tests.test_roles_landing import LANDINGS, ask_to_file, demo_roles  # noqa: F401  (a fixture)

pytestmark = pytest.mark.browser


# --- landing -------------------------------------------------------------------------------------


def test_each_role_lands_on_its_screen(city, demo_roles, asgi_server, browser):  # noqa: F811
    for username, expected in sorted(LANDINGS.items()):
        page = logged_in_page(browser, asgi_server, demo_roles[username])
        response = page.goto(f"{asgi_server.url}/")
        landed = urlsplit(page.url)
        assert response.status == 200, username
        assert landed.path + (f"?{landed.query}" if landed.query else "") == expected(city), username
        page.wait_for_load_state("networkidle")
        shot(page, f"landing-{username}")
        page.context.close()


# --- the phone page at 390 px ---------------------------------------------------------------------

#: The geometry of the phone page, measured in the browser.
MEASURE = """() => {
  const header = document.querySelector("header.top");
  const box = header.getBoundingClientRect();
  const items = [...header.children].filter((el) => el.offsetParent !== null || el.tagName === "DETAILS");
  const centres = items.map((el) => {
    const r = (el.tagName === "DETAILS" ? el.querySelector("summary") : el).getBoundingClientRect();
    return r.top + r.height / 2;
  });
  const buttons = [...document.querySelectorAll("#phone-panel .btn.big")].map(
    (el) => ({ id: el.id, height: el.getBoundingClientRect().height }));
  return {
    headerHeight: box.height,
    spread: Math.max(...centres) - Math.min(...centres),
    scrollWidth: document.documentElement.scrollWidth,
    width: window.innerWidth,
    buttons,
  };
}"""


def test_the_phone_page_fits_390_px(city, call_data, asgi_server, browser):
    unit, crew = city.patrol_car, city.patrol_officer
    done = receive(city, call_data, address="桃城区育才街 8 号")
    DispatchUnits(incident=done, unit_ids=[unit.pk], by=city.dispatcher).execute()
    AdvanceAssignment(unit=unit, step="arrive", by=crew).execute()
    SubmitFeedback(unit=unit, result="mediated", text="双方调解和好", by=crew).execute()
    current = receive(city, call_data, address="桃城区人民路 100 号（幸福小区北门）")
    DispatchUnits(incident=current, unit_ids=[unit.pk], by=city.dispatcher).execute()

    page = logged_in_page(browser, asgi_server, crew, mobile=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{asgi_server.url}/m/")
    page.wait_for_selector("body[data-live='on']")
    m = page.evaluate(MEASURE)
    shot(page, "phone-390")
    assert m["headerHeight"] <= 56 and m["spread"] <= 4, m  # brand, call sign, menu: one line
    assert m["scrollWidth"] <= m["width"], m  # no horizontal scroll
    ids = {b["id"] for b in m["buttons"]}
    assert {"nav-link", "step-en_route", "step-arrive", "report-position"} <= ids
    assert all(b["height"] >= 48 for b in m["buttons"]), m["buttons"]
    assert page.inner_text("#phone-callsign") == unit.callsign

    lat, lon = f"{current.lat:.6f}", f"{current.lon:.6f}"
    expected = f"geo:{lat},{lon}?q={lat},{lon}({quote(current.address, safe='')})"
    assert page.get_attribute("#nav-link", "href") == expected
    # Today's tasks: the current one first, then the finished one with its times.
    assert page.locator("#task.current").count() == 1
    finished = page.inner_text("#done-today")
    assert "桃城区育才街 8 号" in finished and "调解完毕" in finished
    assert re.search(r"\d\d:\d\d–\d\d:\d\d", finished)
    # Masked personal data as before: the caller's number is masked until 显示.
    assert "138****5678" in page.inner_text("#task") and "13812345678" not in page.inner_text("#task")

    # The menu button opens the staff menu as a sheet; a tap outside closes it.
    assert not page.is_visible("#phone-menu nav")
    page.click("#phone-menu summary")
    assert page.is_visible("#phone-menu #nav-home") and page.is_visible("#phone-menu #nav-phone")
    shot(page, "phone-390-menu")
    page.click("#phone-callsign")  # outside the menu
    assert not page.is_visible("#phone-menu nav")

    page.click("#step-arrive")
    page.wait_for_selector("#step-handle")
    assert page.evaluate(MEASURE)["scrollWidth"] <= 390
    page.context.close()


# --- error pages ----------------------------------------------------------------------------------


def test_the_error_pages_are_chinese(city, asgi_server, browser, settings):
    page = logged_in_page(browser, asgi_server, city.dispatcher)
    for name, path, status, heading in (
        ("403", "/audit/", 403, "无权访问"),
        ("404", "/no-such-page/", 404, "页面不存在"),
    ):
        response = page.goto(f"{asgi_server.url}{path}")
        assert response.status == status
        assert page.inner_text("#error h1") == heading
        shot(page, f"error-{name}")
    page.click("#error-home")
    page.wait_for_url(f"{asgi_server.url}/board/")

    settings.ROOT_URLCONF = "tests.error_urls"  # with a URL that fails
    response = page.goto(f"{asgi_server.url}/test-failure/")
    assert response.status == 500 and page.inner_text("#error h1") == "系统出错了"
    shot(page, "error-500")

    portal = logged_in_page(browser, asgi_server, city.dispatcher, mobile=True)
    response = portal.goto(f"{asgi_server.url}/portal/no-such-page/")
    assert response.status == 404 and "公安掌上办" in portal.inner_text("header")
    shot(portal, "error-404-portal")
    page.context.close()
    portal.context.close()


# --- the admin without English ---------------------------------------------------------------------

#: Every text of the page a reader meets: text nodes (hidden ones too: a filter or a script may show
#: them), titles, placeholders, labels for screen readers and button captions; not what is typed
#: into a field (textarea, input values), code samples, scripts or styles.
COLLECT = """() => {
  const texts = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    if (node.parentElement && node.parentElement.closest("script,style,textarea,code,pre")) continue;
    texts.add(node.nodeValue);
  }
  const labelled = "[title],[placeholder],[aria-label],[alt],input[type=submit],input[type=button]";
  document.querySelectorAll(labelled).forEach((el) => {
    for (const name of ["title", "placeholder", "aria-label", "alt"]) {
      if (el.getAttribute(name)) texts.add(el.getAttribute(name));
    }
    if (el.type === "submit" || el.type === "button") texts.add(el.value);
  });
  texts.add(document.title);
  const links = [...document.querySelectorAll("a[href]")].map((a) => a.getAttribute("href"));
  return { texts: [...texts].map((t) => t.replace(/\\s+/g, " ").trim()).filter(Boolean), links };
}"""

#: Words that are not English prose: acronyms a Chinese officer reads as such, the key on the
#: keyboard, the file types an upload accepts.
# PFIF: the Person Finder Interchange Format, a name like PDF (a missing person's source "PFIF导入").
ALLOWED = {"H3", "TOTP", "PDF", "CSV", "XLSX", "API", "SMS", "JSON", "Ctrl", "pdf", "jpeg", "jpg", "png", "PFIF"}
#: Words a page shows as what they are: the column names of the holiday file the administrator types.
PAGE_ALLOWED = {"/admin/supervision/calendarday/load/": {"date", "kind", "holiday", "workday", "name"}}
#: A JSON sample in a help text ([{"name": "purpose", …}]) is code, not prose.
JSON_SPAN = re.compile(r"\{.*\}|\[.*\]")


def english_words(text: str, allowed: set[str]) -> list[str]:
    # A token with a digit, an underscore, a dot or @ is a code (an H3 index, a case number, a path).
    tokens = re.findall(r"[A-Za-z0-9_.@'-]+", JSON_SPAN.sub(" ", text))
    words = [t.strip(".-'") for t in tokens]
    return [w for w in words if re.fullmatch(r"[A-Za-z']{3,}", w) and w not in allowed]


def admin_pages(page, base: str, limit: int = 300) -> dict[str, list[str]]:
    """Walk the admin from its index through every link within it (no query strings: no filter or
    sort permutations), opening one object per model: {path: its texts}."""
    seen, todo, objects, found = set(), ["/admin/"], {}, {}
    while todo and len(seen) < limit:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(base + path)
        assert response.status == 200, path
        data = page.evaluate(COLLECT)
        found[path] = data["texts"]
        for href in data["links"]:
            target = urlsplit(href)
            if target.netloc or target.query or not target.path.startswith("/admin/") or "/r/" in target.path:
                continue
            model = re.match(r"^/admin/([^/]+)/([^/]+)/([^/]+)/", target.path)
            if model and model[3] != "add":
                key = (model[1], model[2])
                if objects.setdefault(key, model[3]) != model[3]:
                    continue
            todo.append(target.path)
    return found


@pytest.fixture
def admin_data(city, call_data):
    """Something on the admin's object pages: an incident, a case waiting for approval, a task of the
    clock scan, a crew."""
    receive(city, call_data)
    ask_to_file(city.station_officer)
    ensure_scheduled()
    return city


@pytest.mark.parametrize("username", ["admin", "secadmin"])
def test_the_admin_speaks_chinese_throughout(admin_data, demo_roles, asgi_server, browser, username):  # noqa: F811
    officer = demo_roles[username]
    page = logged_in_page(browser, asgi_server, officer)
    pages = admin_pages(page, asgi_server.url)
    data = set(Officer.objects.values_list("username", flat=True)) | set(
        TimeLimitRule.objects.values_list("code", flat=True)
    )
    leaks = {}
    for path, texts in pages.items():
        allowed = ALLOWED | data | PAGE_ALLOWED.get(path, set())
        for text in texts:
            if words := english_words(text, allowed):
                leaks.setdefault(path, []).append((words, text[:120]))
    assert len(pages) >= (60 if username == "admin" else 8), sorted(pages)
    assert leaks == {}, "\n".join(f"{path}: {found}" for path, found in sorted(leaks.items()))
    for name, path in {
        "admin": {"index": "/admin/", "tasks": "/admin/django_tasks_database/dbtaskresult/"},
        "secadmin": {"group-add": "/admin/auth/group/add/", "officer-add": "/admin/org/officer/add/"},
    }[username].items():
        page.goto(asgi_server.url + path)
        shot(page, f"admin-{username}-{name}")
    page.context.close()

"""End-to-end: a missing-person alert reaching work groups in widening rings (time driven: the
engine is advanced with a `now`, as the worker would at each ring's time) until the officer marks
the person found on the case page, and every alerted group is thanked."""

from datetime import timedelta

import pytest

from anmin.missing.broadcast import advance
from anmin.missing.broadcast_models import Send
from anmin.missing.models import MissingCase
from tests.browser import logged_in_page, shot
from tests.test_missing_broadcast import ensure_ring_rules, group, open_case

pytestmark = pytest.mark.browser


@pytest.fixture
def towns(db):
    from anmin.addresses.models import Address, Level

    for code, name, lat, lon in [
        ("131102001000", "河西街道", 37.736, 115.676),
        ("131102100000", "郑家河沿镇", 37.80, 115.76),
        ("131103100000", "冀州镇", 37.55, 115.58),
    ]:
        Address.objects.create(code=code, name=name, full_name=f"衡水市{name}", level=Level.TOWN, lat=lat, lon=lon)


def test_an_alert_reaches_groups_in_widening_rings_until_found(city, towns, asgi_server, browser, settings):
    settings.MISSING_BROADCAST_TRANSPORT = "log"
    ensure_ring_rules()
    group(city, "河西所东明村群", org=city.station_a1.code)
    group(city, "河西所西关村钉钉群", "dingtalk", org=city.station_a1.code)
    group(city, "河东所街道群", "dingtalk", org=city.station_a2.code, lat=37.737, lon=115.679)
    group(city, "河东所城郊群", "feishu", org=city.station_a2.code, lat=37.80, lon=115.75)
    group(city, "冀州镇所村支书短信", "sms", org=city.station_b1.code, lat=37.551, lon=115.579)
    from django.utils import timezone

    case = open_case(city, now=timezone.now().replace(microsecond=0) - timedelta(hours=1, minutes=5))
    t0 = case.created_at
    advance(case, t0)

    page = logged_in_page(browser, asgi_server, city.station_officer)
    page.goto(f"{asgi_server.url}/missing/{case.pk}/")
    page.wait_for_selector("#broadcast")
    assert "河西所东明村群" in page.inner_text("#broadcast") and "河东所街道群" not in page.inner_text("#broadcast")
    shot(page, "missing-alert-ring1")

    advance(case, t0 + timedelta(minutes=30))
    advance(case, t0 + timedelta(minutes=60))
    page.reload()
    text = page.inner_text("#broadcast")
    assert "乡镇/街道" in text and "区县" in text and "河东所城郊群" in text
    assert "冀州镇所村支书短信" not in text, "the city ring waits for its two hours"
    page.locator("#broadcast").scroll_into_view_if_needed()
    shot(page, "missing-alert-rings")

    # A member of the village group answers through the link in the alert (a phone, no account).
    from anmin.missing.broadcast import clue_token
    from anmin.missing.broadcast_models import Group

    member = browser.new_context(locale="zh-CN", viewport={"width": 412, "height": 860}, is_mobile=True).new_page()
    token = clue_token(case, Group.objects.get(name="河西所东明村群"))
    member.goto(f"{asgi_server.url}/m/clue/{token}/")
    member.fill("#id_text", "村东头小卖部门口有位老人在坐着，穿灰色外套")
    member.fill("#id_name", "张书记")
    member.click("#send-clue")
    member.wait_for_selector("#thanks")
    assert "王建国" not in member.inner_text("body")
    shot(member, "missing-clue-page")
    member.context.close()
    page.reload()
    assert "村东头小卖部" in page.inner_text("#clues")

    page.fill("#found-form input[name=where]", "东明村村委会")
    page.fill("#found-form input[name=found_by]", "村支书")
    page.click("#mark-found")
    page.wait_for_selector("#case-status")
    case.refresh_from_db()
    assert case.status == MissingCase.Status.FOUND
    advance(case, timezone.now())  # the worker's run after the found notice
    advance(case, t0 + timedelta(hours=3))  # no city ring after found
    page.reload()
    text = page.inner_text("#broadcast")
    assert text.count("已找到致谢") == 4 and "冀州镇所村支书短信" not in text
    assert Send.objects.filter(case=case, kind="thanks", status="sent").count() == 4
    assert "王建国" not in page.inner_text("main")
    page.locator("#broadcast").scroll_into_view_if_needed()
    shot(page, "missing-alert-found")

    page.goto(f"{asgi_server.url}/missing/groups/")
    page.wait_for_selector("#groups")
    assert "河西所东明村群" in page.inner_text("#groups") and "冀州镇所村支书短信" not in page.inner_text("#groups")
    shot(page, "missing-groups")

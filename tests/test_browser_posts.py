"""End-to-end: a checkpoint shift on the officer's phone — 上岗, checks added, a wanted-list hit shown
and handled — and the post's 达标 report."""

import re

import pytest
from django.utils import timezone

from anmin.geo.models import Post
from anmin.posts.actions import CreateWeekRoster, SaveWantedEntry
from anmin.posts.models import CheckRecord, DutyShift
from tests.browser import logged_in_page, shot
from tests.conftest import A1_POINT

pytestmark = pytest.mark.browser
RAW_ID = re.compile(r"\d{17}[\dX]")


def test_a_checkpoint_shift_takes_checks_and_a_hit_is_handled(city, asgi_server, browser):
    post = Post.objects.create(
        name="衡德路检查站", kind=Post.Kind.CHECKPOINT, organization=city.station_a1, lat=A1_POINT[0], lon=A1_POINT[1]
    )
    now = timezone.now()
    CreateWeekRoster(
        post=post,
        by=city.station_officer,
        week_start=timezone.localdate(now) - timezone.timedelta(days=1),
        days=3,
        leader=city.station_officer,
        officers=[city.patrol_officer],
        auxiliaries="王磊、刘洋",
    ).execute()
    shift = DutyShift.objects.get(post=post, starts_at__lte=now, ends_at__gt=now)
    SaveWantedEntry(
        by=city.leader, kind="vehicle", plate="冀T9Z123", reason="涉嫌盗窃车辆", issuing_unit=city.bureau
    ).execute()

    page = logged_in_page(browser, asgi_server, city.patrol_officer, mobile=True)
    page.goto(f"{asgi_server.url}/posts/shifts/{shift.pk}/")
    page.click("#on-duty")
    page.wait_for_selector("#off-duty")

    page.fill("input[name=id_number]", "110101199003074514")
    page.click("#add-check")
    page.wait_for_selector("ul.checks li.check")
    assert page.inner_text("#check-count").startswith("1")

    page.fill("input[name=plate]", "冀T12")
    page.select_option("select[name=vehicle_type]", "car")
    page.click("#add-check")
    page.wait_for_selector(".errors[data-field=plate]")
    shot(page, "posts-shift-bad-plate")

    page.fill("input[name=plate]", "冀t·9z123")
    page.select_option("select[name=vehicle_type]", "car")
    page.select_option("select[name=result]", "handed_over")
    page.click("#add-check")
    page.wait_for_selector(".hit-alert")
    alert = page.inner_text(".hit-alert")
    assert "冀T9Z123" in alert and "涉嫌盗窃车辆" in alert
    shot(page, "posts-shift-hit")

    page.select_option(".hit-form select[name=handling]", "vehicle_held")
    page.fill(".hit-form input[name=note]", "核实为布控车辆，扣留移交刑侦大队")
    page.click(".hit-form button")
    page.wait_for_selector(".hit-alert", state="detached")
    records = page.inner_text("ul.checks")
    assert "扣留车辆" in records and "核实为布控车辆" in records
    assert not RAW_ID.search(page.inner_text("main"))
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    shot(page, "posts-shift-handled")

    record = CheckRecord.objects.get(wanted__isnull=False)
    assert record.hit_handling == "vehicle_held" and record.hit_handled_by == city.patrol_officer
    assert CheckRecord.objects.filter(shift=shift).count() == 2

    leader = logged_in_page(browser, asgi_server, city.station_officer)
    leader.goto(f"{asgi_server.url}/posts/")
    leader.wait_for_selector("#posts tr.post-row")
    assert "衡德路检查站" in leader.inner_text("#posts")
    shot(leader, "posts-list")
    leader.goto(f"{asgi_server.url}/posts/{post.pk}/report/")
    leader.wait_for_selector("#criteria tr.criterion")
    assert "见警率" in leader.inner_text("#criteria")
    shot(leader, "posts-report")
    leader.goto(f"{asgi_server.url}/posts/{post.pk}/")
    leader.wait_for_selector("#roster")
    assert "王磊、刘洋" in leader.inner_text("#roster")
    shot(leader, "posts-post")

    command = logged_in_page(browser, asgi_server, city.leader)
    command.goto(f"{asgi_server.url}/posts/wanted/")
    command.wait_for_selector("#wanted")
    text = command.inner_text("#wanted")
    assert "冀T9Z123" in text and "涉嫌盗窃车辆" in text
    shot(command, "posts-wanted")

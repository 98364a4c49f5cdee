"""The missing-person broadcast: rings widening with driven time, each group alerted once, found →
thanks once and no further rings; the three vendors' signing and formats against fake receivers;
the robots' rate limit; retries with back-off; the clue link."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from anmin.addresses.models import Address, Level
from anmin.core.pii import mask_name
from anmin.missing import broadcast, vendors
from anmin.missing.actions import MarkFound, OpenMissingCase
from anmin.missing.broadcast import advance, clue_link, clue_token, deliver_due, stop, summary
from anmin.missing.broadcast_actions import SaveGroup
from anmin.missing.broadcast_models import Group, RingStep, Send, SendAttempt
from anmin.missing.models import Clue, MissingCase
from tests.conftest import A1_POINT, B1_POINT
from tests.fake_webhooks import FakeWebhooks

pytestmark = pytest.mark.django_db


def ensure_ring_rules():
    """The data migration's steps (a transactional test elsewhere may have flushed them)."""
    importlib.import_module("anmin.missing.migrations.0003_ring_rules").seed(django_apps, None)


@pytest.fixture
def rules(db):
    ensure_ring_rules()


@pytest.fixture
def fake():
    with FakeWebhooks() as f:
        yield f


@pytest.fixture(autouse=True)
def log_transport(settings):
    """Groups of most tests point nowhere: the log transport delivers; vendor tests switch to http."""
    settings.MISSING_BROADCAST_TRANSPORT = "log"


@pytest.fixture
def http(settings):
    settings.MISSING_BROADCAST_TRANSPORT = "http"


T0 = timezone.now().replace(microsecond=0) - timedelta(days=1)


def open_case(city, category="elderly", point=A1_POINT, now=T0, name="王建国"):
    return OpenMissingCase(
        by=city.station_officer,
        data={
            "full_name": name,
            "category": category,
            "sex": "M",
            "age": 78,
            "description": "身高170厘米，灰色外套，说话不清",
            "last_seen_at": now - timedelta(minutes=20),
            "last_seen_place": "河西街道人民路口",
            "lat": point[0],
            "lon": point[1],
        },
        now=now,
    ).execute()


def group(city, name, kind="wecom", *, by=None, **extra):
    data = {"name": name, "kind": kind, "webhook_url": "https://robot.example/send?key=k"}
    if kind in ("dingtalk", "feishu"):
        data["secret"] = "SECxyz"
    if kind == "sms":
        data = {"name": name, "kind": "sms", "phones": ["13800000001", "13800000002"]}
    data.update(extra)
    return SaveGroup(by=by or city.leader, data=data).execute()


@pytest.fixture
def groups(city, rules):
    Address.objects.create(
        code="131102001000",
        name="河西街道",
        full_name="衡水市桃城区河西街道",
        level=Level.TOWN,
        lat=37.736,
        lon=115.676,
    )
    Address.objects.create(
        code="131102100000",
        name="郑家河沿镇",
        full_name="衡水市桃城区郑家河沿镇",
        level=Level.TOWN,
        lat=37.80,
        lon=115.76,
    )
    Address.objects.create(
        code="131103100000", name="冀州镇", full_name="衡水市冀州区冀州镇", level=Level.TOWN, lat=37.55, lon=115.58
    )
    return {
        # The station's own village group (owned by 河西派出所).
        "station": group(city, "河西所东明村群", org=city.station_a1.code),
        # The neighbouring station's group in the same township (河东派出所, a point 300 m away).
        "town": group(city, "河东所街道群", "dingtalk", org=city.station_a2.code, lat=37.737, lon=115.679),
        # Another station in the same county, far from the township's seat.
        "county": group(city, "河东所城郊群", "feishu", org=city.station_a2.code, lat=37.80, lon=115.75),
        # 冀州: another county, 22 km away.
        "city": group(city, "冀州镇所群", "sms", org=city.station_b1.code, lat=B1_POINT[0], lon=B1_POINT[1]),
    }


def sent_groups(case, kind="alert"):
    return sorted(Send.objects.filter(case=case, kind=kind).values_list("group__name", flat=True))


def test_it_widens_an_elderly_persons_alert_ring_by_ring_with_driven_time(city, groups):
    case = open_case(city)
    advance(case, T0)
    assert sent_groups(case) == ["河西所东明村群"]
    assert list(RingStep.objects.filter(case=case).values_list("label", flat=True)) == ["本所"]

    advance(case, T0 + timedelta(minutes=29))
    assert RingStep.objects.filter(case=case).count() == 1, "the township ring waits for its 30 minutes"

    advance(case, T0 + timedelta(minutes=30))
    assert sent_groups(case) == ["河东所街道群", "河西所东明村群"]
    advance(case, T0 + timedelta(minutes=60))
    assert "河东所城郊群" in sent_groups(case) and "冀州镇所群" not in sent_groups(case)
    advance(case, T0 + timedelta(minutes=120))
    assert sent_groups(case) == ["冀州镇所群", "河东所城郊群", "河东所街道群", "河西所东明村群"]

    steps = list(RingStep.objects.filter(case=case).order_by("rule__step"))
    assert [s.label for s in steps] == ["本所", "乡镇/街道", "区县", "全市"]
    assert [s.reached_at - T0 for s in steps] == [
        timedelta(0),
        timedelta(minutes=30),
        timedelta(hours=1),
        timedelta(hours=2),
    ]
    assert [[g.name for g in s.groups.all()] for s in steps] == [
        ["河西所东明村群"],
        ["河东所街道群"],
        ["河东所城郊群"],
        ["冀州镇所群"],
    ]
    # Each group got the alert once, whatever ring reached it again.
    advance(case, T0 + timedelta(hours=5))
    assert Send.objects.filter(case=case, kind="alert").count() == 4
    assert not Send.objects.exclude(status="sent").exists()  # the log transport delivers at once


def test_it_catches_up_every_ring_whose_time_has_come_in_one_run(city, groups):
    case = open_case(city)
    next_at = advance(case, T0 + timedelta(minutes=65))
    assert [s.label for s in RingStep.objects.filter(case=case).order_by("rule__step")] == ["本所", "乡镇/街道", "区县"]
    assert next_at == case.created_at + timedelta(hours=2)


def test_it_widens_a_childs_alert_by_the_tuanyuan_distances(city, groups):
    far = group(city, "沧州协作群", org=city.bureau.code, lat=A1_POINT[0] + 1.35, lon=A1_POINT[1])  # ~150 km north
    case = open_case(city, category="child", name="李小明")
    advance(case, T0)
    assert far.name not in sent_groups(case)
    assert set(sent_groups(case)) == {"河西所东明村群", "河东所街道群", "河东所城郊群", "冀州镇所群"}
    advance(case, T0 + timedelta(hours=1))
    assert far.name in sent_groups(case)
    assert [s.label for s in RingStep.objects.filter(case=case).order_by("rule__step")] == ["100 公里", "200 公里"]


def test_found_stops_the_rings_and_thanks_every_alerted_group_once(city, groups):
    case = open_case(city)
    advance(case, T0)
    advance(case, T0 + timedelta(minutes=30))
    case.status = MissingCase.Status.FOUND
    case.save(update_fields=["status"])
    stop(case, T0 + timedelta(minutes=40))
    stop(case, T0 + timedelta(minutes=41))  # a second notice thanks nobody twice
    advance(case, T0 + timedelta(hours=3))
    assert RingStep.objects.filter(case=case).count() == 2, "no ring after found"
    assert sent_groups(case, "thanks") == ["河东所街道群", "河西所东明村群"]
    assert Send.objects.filter(case=case, kind="thanks", status="sent").count() == 2
    assert Send.objects.filter(case=case, kind="alert").count() == 2


def test_marking_found_through_the_case_workflow_queues_the_thanks(city, groups, django_capture_on_commit_callbacks):
    case = open_case(city)
    advance(case, T0)
    with django_capture_on_commit_callbacks(execute=True):
        MarkFound(case=case, by=city.station_officer, data={"where": "村委会"}).execute()
    assert sent_groups(case, "thanks") == ["河西所东明村群"]


def test_opening_a_case_enqueues_the_broadcast_task(city, groups, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    from anmin.missing.tasks import advance_case

    before = DBTaskResult.objects.filter(task_path=advance_case.module_path).count()
    with django_capture_on_commit_callbacks(execute=True):
        open_case(city)
    assert DBTaskResult.objects.filter(task_path=advance_case.module_path).count() == before + 1


def test_the_task_advances_and_schedules_the_next_ring(city, groups, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    from anmin.missing.tasks import advance_case

    case = open_case(city, now=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        result = advance_case.call(case.pk)
    assert sent_groups(case) == ["河西所东明村群"]
    assert result["next"] is not None
    waiting = DBTaskResult.objects.filter(task_path=advance_case.module_path, run_after__isnull=False)
    assert waiting.filter(run_after__gte=case.created_at + timedelta(minutes=29)).exists()


def test_the_alert_masks_the_name_and_carries_the_case_number_and_link(city, groups):
    case = open_case(city)
    g = groups["station"]
    message = broadcast.message_for(case, g, "alert")
    assert mask_name("王建国") in message.text and "王建国" not in message.text
    assert case.number in message.text
    assert message.link == clue_link(case, g)


def test_summary_lists_rings_and_sends_with_results(city, groups):
    case = open_case(city)
    advance(case, T0)
    data = summary(case)
    assert data["rings"][0]["label"] == "本所" and data["rings"][0]["groups"] == ["河西所东明村群"]
    send = data["sends"][0]
    assert send["group"] == "河西所东明村群" and send["kind"] == "wecom" and send["message"] == "alert"
    assert send["status"] == "sent" and send["attempts"] == 1 and send["sent_at"] == T0 and send["result"]


# --- vendors, against fake receivers -------------------------------------------------------------


def robot_groups(city, fake):
    fake.robots.update({"ding1": "SECding", "fei1": "SECfei", "wc1": ""})
    return [
        group(
            city,
            "钉钉群",
            "dingtalk",
            org=city.station_a1.code,
            webhook_url=fake.dingtalk_url("ding1"),
            secret="SECding",
        ),
        group(city, "飞书群", "feishu", org=city.station_a1.code, webhook_url=fake.feishu_url("fei1"), secret="SECfei"),
        group(city, "企微群", "wecom", org=city.station_a1.code, webhook_url=fake.wecom_url("wc1")),
    ]


def test_each_vendor_accepts_the_signed_alert_in_its_format(city, rules, fake, http):
    robot_groups(city, fake)
    case = open_case(city)
    advance(case, T0)
    assert fake.refused == []
    assert Send.objects.filter(case=case, status="sent").count() == 3
    ding = fake.received["ding1"][0]
    assert ding["msgtype"] == "markdown" and case.number in ding["markdown"]["text"]
    assert "/m/clue/" in ding["markdown"]["text"]
    fei = fake.received["fei1"][0]
    assert fei["msg_type"] == "post"
    hrefs = [e.get("href") for row in fei["content"]["post"]["zh_cn"]["content"] for e in row]
    assert any(h and "/m/clue/" in h for h in hrefs)
    wc = fake.received["wc1"][0]
    assert wc["msgtype"] == "markdown" and mask_name("王建国") in wc["markdown"]["content"]
    assert "王建国" not in str(fake.received)


def test_a_wrong_secret_is_refused_by_the_vendor_and_recorded_as_failed(city, rules, fake, http):
    fake.robots.update({"ding2": "SECright", "fei2": "SECright"})
    group(
        city,
        "错密钥钉钉群",
        "dingtalk",
        org=city.station_a1.code,
        webhook_url=fake.dingtalk_url("ding2"),
        secret="SECwrong",
    )
    group(
        city, "错密钥飞书群", "feishu", org=city.station_a1.code, webhook_url=fake.feishu_url("fei2"), secret="SECwrong"
    )
    case = open_case(city)
    advance(case, T0)
    assert sorted(fake.refused) == [("ding2", "sign"), ("fei2", "sign")]
    failed = Send.objects.filter(case=case, status="failed")
    assert failed.count() == 2, "a signature error is not retried: it needs the secret fixed"
    assert all("310000" in s.response or "19021" in s.response for s in failed)


def test_signatures_match_the_vendors_examples():
    # Computed independently: printf '1700000000000\nSECabc' | openssl dgst -sha256 -hmac SECabc -binary | base64
    import base64
    import hashlib
    import hmac
    import urllib.parse

    raw = base64.b64encode(hmac.new(b"SECabc", b"1700000000000\nSECabc", hashlib.sha256).digest()).decode()
    assert vendors.dingtalk_sign("SECabc", 1700000000000) == urllib.parse.quote_plus(raw)
    assert (
        vendors.feishu_sign("SECabc", 1700000000)
        == base64.b64encode(hmac.new(b"1700000000\nSECabc", b"", hashlib.sha256).digest()).decode()
    )


@given(secret=st.text(min_size=1, max_size=40), ts=st.integers(min_value=0, max_value=2**41))
@settings(max_examples=50, deadline=None)
def test_dingtalk_sign_survives_a_round_trip_through_the_query(secret, ts):
    import urllib.parse

    url, _body = vendors.request_for(
        "dingtalk", "https://x/robot/send?access_token=a", secret, vendors.Message("t", "x"), now=ts / 1000
    )
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert query["access_token"] == ["a"]
    assert urllib.parse.quote_plus(query["sign"][0]) == vendors.dingtalk_sign(secret, int(query["timestamp"][0]))


def test_retries_with_back_off_after_error_answers_every_attempt_recorded(city, rules, fake, http):
    fake.robots["wc3"] = ""
    fake.fail["wc3"] = ["500", "rate", "busy"]
    group(city, "不稳定企微群", "wecom", org=city.station_a1.code, webhook_url=fake.wecom_url("wc3"))
    case = open_case(city)
    advance(case, T0)
    send = Send.objects.get(case=case)
    assert (send.status, send.attempts, send.next_try_at) == ("retrying", 1, T0 + timedelta(minutes=1))
    advance(case, T0 + timedelta(seconds=59))
    assert Send.objects.get(pk=send.pk).attempts == 1, "not before its back-off"
    advance(case, T0 + timedelta(minutes=1))
    send.refresh_from_db()
    assert (send.status, send.attempts, send.next_try_at) == ("retrying", 2, T0 + timedelta(minutes=6))
    advance(case, T0 + timedelta(minutes=6))
    send.refresh_from_db()
    assert send.next_try_at == T0 + timedelta(minutes=21)
    advance(case, T0 + timedelta(minutes=21))
    send.refresh_from_db()
    assert (send.status, send.attempts, send.sent_at) == ("sent", 4, T0 + timedelta(minutes=21))
    tries = list(SendAttempt.objects.filter(send=send).values_list("ok", "response"))
    assert [ok for ok, _ in tries] == [False, False, False, True]
    assert "502" in tries[0][1] and "45009" in tries[1][1]
    assert len(fake.received["wc3"]) == 1


def test_a_network_error_is_retried_and_given_up_after_the_last_attempt(city, rules, http):
    group(city, "断网群", "wecom", org=city.station_a1.code, webhook_url="http://127.0.0.1:9/send?key=x")
    case = open_case(city)
    at = T0
    for _ in range(broadcast.MAX_ATTEMPTS):
        advance(case, at)
        send = Send.objects.get(case=case)
        at = send.next_try_at or at
    assert send.status == "failed" and send.attempts == broadcast.MAX_ATTEMPTS
    assert "网络错误" in send.response
    assert SendAttempt.objects.filter(send=send).count() == broadcast.MAX_ATTEMPTS


def test_the_21st_message_in_a_minute_to_one_robot_waits_and_is_never_dropped(city, rules, fake, http):
    fake.robots["wc4"] = ""
    g = group(city, "繁忙企微群", "wecom", org=city.station_a1.code, webhook_url=fake.wecom_url("wc4"))
    cases = [open_case(city, name=f"张{i}") for i in range(21)]
    for c in cases:
        Send.objects.get_or_create(case=c, group=g, kind="alert", defaults={"next_try_at": T0})
    for i, c in enumerate(cases):
        deliver_due(c, T0 + timedelta(seconds=i))
    assert len(fake.received["wc4"]) == 20
    last = Send.objects.get(case=cases[-1])
    assert (last.status, last.attempts) == ("pending", 0)
    assert last.next_try_at == T0 + timedelta(seconds=60), "it waits until the first of the twenty leaves the window"
    deliver_due(cases[-1], T0 + timedelta(seconds=60))
    last.refresh_from_db()
    assert last.status == "sent" and len(fake.received["wc4"]) == 21


def test_an_sms_list_goes_through_the_sms_gateway(city, rules, http, django_capture_on_commit_callbacks):
    from anmin.citizens.sms import OUTBOX

    OUTBOX.clear()
    group(city, "村支书短信", "sms", org=city.station_a1.code, phones="13800000011, 13800000012")
    case = open_case(city)
    with django_capture_on_commit_callbacks(execute=True):
        advance(case, T0)
    assert [p for p, _ in OUTBOX] == ["13800000011", "13800000012"]
    assert mask_name("王建国") in OUTBOX[0][1] and "/m/clue/" in OUTBOX[0][1]


def test_inactive_groups_are_not_alerted(city, groups):
    Group.objects.filter(pk=groups["station"].pk).update(active=False)
    case = open_case(city)
    advance(case, T0)
    assert sent_groups(case) == []


# --- the clue link -------------------------------------------------------------------------------


def test_a_group_member_posts_a_clue_through_the_link(city, groups, client):
    case = open_case(city)
    g = groups["station"]
    link = clue_link(case, g)
    path = link[link.index("/m/clue/") :]
    page = client.get(path)
    assert page.status_code == 200 and case.number in page.content.decode()
    assert "王建国" not in page.content.decode()
    resp = client.post(path, {"text": "在村东头小卖部看到一位老人", "name": "张书记", "phone": "13900000000"})
    assert resp.status_code == 200 and "线索已提交" in resp.content.decode()
    clue = Clue.objects.get(case=case)
    assert clue.via_group == g and clue.source == Clue.Source.GROUP
    assert clue.author_name == "张书记 13900000000"


def test_a_bad_or_altered_token_is_404(city, groups, client):
    case = open_case(city)
    token = clue_token(case, groups["station"])
    assert client.get(f"/m/clue/{token}x/").status_code == 404
    assert client.get("/m/clue/abc/").status_code == 404
    assert client.post("/m/clue/abc/", {"text": "x"}).status_code == 404


def test_a_found_cases_link_says_so_and_takes_no_clue(city, groups, client):
    case = open_case(city)
    path = f"/m/clue/{clue_token(case, groups['station'])}/"
    MissingCase.objects.filter(pk=case.pk).update(status=MissingCase.Status.FOUND)
    assert "此人已找到" in client.get(path).content.decode()
    resp = client.post(path, {"text": "看到了"})
    assert resp.status_code == 400 and not Clue.objects.filter(case=case).exists()


def test_an_empty_clue_is_refused_naming_the_field(city, groups, client):
    case = open_case(city)
    resp = client.post(f"/m/clue/{clue_token(case, groups['station'])}/", {"text": "  "})
    assert resp.status_code == 400 and 'data-field="text"' in resp.content.decode()


def test_the_clue_page_is_throttled_per_address(city, groups, client, monkeypatch):
    from django.core.cache import cache

    cache.clear()
    monkeypatch.setattr("anmin.missing.broadcast_views.CLUE_LIMIT", 2)
    case = open_case(city)
    path = f"/m/clue/{clue_token(case, groups['station'])}/"
    assert [client.post(path, {"text": f"线索{i}"}).status_code for i in range(3)] == [200, 200, 429]
    assert Clue.objects.filter(case=case).count() == 2


@given(
    points=st.lists(
        st.tuples(st.floats(min_value=35.0, max_value=40.5), st.floats(min_value=113.0, max_value=119.0)),
        min_size=1,
        max_size=12,
    )
)
@settings(max_examples=25, deadline=None)
def test_a_childs_rings_reach_exactly_the_groups_within_500_km_each_once(points):
    """Wherever the groups are, the 团圆 rings alert each group within 500 km once, in the first ring
    whose radius holds it, and no group beyond."""
    from types import SimpleNamespace

    from anmin.missing.broadcast import distance_km, reached_by
    from anmin.missing.broadcast_models import Reach, RingRule

    station = SimpleNamespace(path="/1/9/", division_code="131102")
    case = SimpleNamespace(lat=A1_POINT[0], lon=A1_POINT[1], station=station)
    org = SimpleNamespace(path="/1/7/", division_code="131103")
    groups = [
        SimpleNamespace(
            pk=i, lat=lat, lon=lon, radius_km=None, org=org, township_id=None, point=lambda la=lat, lo=lon: (la, lo)
        )
        for i, (lat, lon) in enumerate(points)
    ]
    seen: dict[int, float] = {}
    for km in (100, 200, 300, 500):
        rule = RingRule(category="child", step=1, after_minutes=0, reach=Reach.RADIUS, radius_km=km)
        for g in reached_by(rule, case, groups, []):
            seen.setdefault(g.pk, km)
    for g in groups:
        d = distance_km(A1_POINT, (g.lat, g.lon))
        if d <= 500:
            assert (
                g.pk in seen
                and d <= seen[g.pk]
                and (seen[g.pk] == 100 or d > {200: 100, 300: 200, 500: 300}[seen[g.pk]])
            )
        else:
            assert g.pk not in seen


def test_the_fragment_refreshes_for_the_station_and_is_404_for_the_outsider(city, groups):
    case = open_case(city)
    advance(case, T0)
    page = city.login(city.station_officer).get(f"/missing/groups/case/{case.pk}/").content.decode()
    assert "河西所东明村群" in page and 'hx-trigger="every 30s"' in page
    assert city.login(city.outsider).get(f"/missing/groups/case/{case.pk}/").status_code == 404

"""群众上报: 事故快处 (agreement and online decision, with their PDFs), online reports into the dispatch
queue, anonymous tips, lost-person reports, the message threads, and scoping both ways."""

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.utils import timezone
from pypdf import PdfReader

from anmin.citizens import sms
from anmin.citizens.models import Citizen
from anmin.core.models import AuditEntry
from anmin.incidents.models import Incident
from anmin.org.models import Role
from anmin.reports.models import (
    AccidentParty,
    AccidentPhoto,
    Message,
    MissingPersonReport,
    OnlineReport,
    QuickAccident,
    Tip,
)
from tests.conftest import A1_POINT, B1_POINT, portal_client
from tests.factories import OfficerFactory
from tests.files import JPEG, PNG

B_PHONE = "13812345678"


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "private"
    sms.LogBackend.outbox.clear()  # numbers repeat after each rollback: no message from a test before
    return settings.MEDIA_ROOT


def photos(n=3):
    return [
        SimpleUploadedFile(f"scene{i}.{'png' if i % 2 else 'jpg'}", PNG if i % 2 else JPEG) for i in range(1, n + 1)
    ]


def accident_form(**changes):
    data = {
        "occurred_at": (timezone.localtime() - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M"),
        "address": "桃城区人民路与育才街交叉口",
        "lat": str(A1_POINT[0]),
        "lon": str(A1_POINT[1]),
        "description": "乙方变道时与甲方车辆右侧剐蹭",
        "a_name": "张三",
        "a_phone": "13912345678",
        "a_licence_number": "11010519491231002X",
        "a_plate": "冀T12345",
        "a_insurer": "人保财险",
        "a_policy_number": "PDZA2026131100001",
        "b_name": "李四",
        "b_phone": B_PHONE,
        "b_licence_number": "131102199001011238",
        "b_plate": "冀TD12345",
        "b_insurer": "平安财险",
        "b_policy_number": "ABCD2026000099",
        "mode": "agreement",
        "liability": "b_full",
        "confirm": "1",
    }
    data.update(changes)
    return data


def committed():
    """Runs what waits for the commit (the SMS) as the real commit would: the test's own
    transaction never commits."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def submit(client, files=None, **changes):
    data = accident_form(**changes)
    data["photos"] = photos() if files is None else files
    with committed():
        return client.post("/portal/reports/accidents/new/", data)


def sent_code(phone=B_PHONE) -> str:
    return re.search(r"确认码 (\d{6})", sms.last_message(phone)).group(1)


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "".join(page.extract_text() for page in reader.pages).replace("\x00", "")


@pytest.fixture
def traffic_officer(city):
    return OfficerFactory(username="traffic", organization=city.traffic, role=Role.TRAFFIC, full_name="王交警")


def nothing_written(media):
    assert QuickAccident.objects.count() == 0
    assert AccidentParty.objects.count() == 0
    assert AccidentPhoto.objects.count() == 0
    assert not any(p.is_file() for p in Path(media).rglob("*"))


# --- 事故快处 --------------------------------------------------------------------------------------


def test_an_agreed_accident_ends_with_the_agreement_pdf(city, citizen):
    client = portal_client(citizen)
    response = submit(client)
    assert response.status_code == 302
    accident = QuickAccident.objects.get()
    assert accident.status == QuickAccident.Status.AWAITING_CONFIRMATION
    assert accident.station == city.station_a1  # the grid cell's station
    assert accident.traffic_unit == city.traffic  # the nearest 交警 unit up the tree
    assert accident.photos.count() == 3
    assert accident.party_b.plate == "冀TD12345"
    assert "冀T12345" in sms.last_message(B_PHONE)

    page = client.get(f"/portal/reports/accidents/{accident.pk}/")
    assert "乙方确认" in page.content.decode()
    wrong = client.post(f"/portal/reports/accidents/{accident.pk}/confirm/", {"code": "000000"})
    assert wrong.status_code == 400
    code = sent_code()
    with committed():
        done = client.post(f"/portal/reports/accidents/{accident.pk}/confirm/", {"code": code})
    assert done.status_code == 302
    accident.refresh_from_db()
    assert accident.status == QuickAccident.Status.AGREED
    assert accident.confirm_attempts == 1  # the wrong try was counted
    assert all(p.confirmed_at for p in accident.parties.all())

    pdf = client.get(f"/portal/reports/accidents/{accident.pk}/document.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_text(b"".join(pdf.streaming_content))
    for expected in ("自行协商协议书", accident.number, "张三", "李四", "冀T12345", "冀TD12345", "3 张", "全部责任"):
        assert expected in text, expected
    assert "桃城区人民路" in text
    # A code used once cannot confirm again.
    again = client.post(f"/portal/reports/accidents/{accident.pk}/confirm/", {"code": code})
    assert again.status_code == 409 or again.status_code == 400
    assert AuditEntry.objects.filter(action="reports.accident.agree").count() == 1


def test_confirmation_codes_stop_after_five_wrong_tries(city, citizen):
    client = portal_client(citizen)
    submit(client)
    accident = QuickAccident.objects.get()
    for _i in range(5):
        client.post(f"/portal/reports/accidents/{accident.pk}/confirm/", {"code": "111111"})
    response = client.post(f"/portal/reports/accidents/{accident.pk}/confirm/", {"code": sent_code()})
    assert "错误次数过多" in response.content.decode()
    accident.refresh_from_db()
    assert accident.status == QuickAccident.Status.AWAITING_CONFIRMATION


def test_an_officer_decides_liability_online_and_the_citizen_gets_the_decision_pdf(city, citizen, traffic_officer):
    client = portal_client(citizen)
    assert submit(client, mode="officer", liability="", confirm="").status_code == 302
    accident = QuickAccident.objects.get()
    assert accident.status == QuickAccident.Status.PENDING_DECISION
    assert sms.last_message(B_PHONE) is None  # no code to confirm: nothing to agree on

    staff = city.login(traffic_officer)
    queue = staff.get("/reports/accidents/")
    assert accident.number in queue.content.decode()
    page = staff.get(f"/reports/accidents/{accident.pk}/")
    assert "定责并生成认定书" in page.content.decode()
    photo = staff.get(f"/reports/accidents/{accident.pk}/photos/{accident.photos.first().pk}/")
    assert photo.status_code == 200

    missing = staff.post(f"/reports/accidents/{accident.pk}/decide/", {"liability": "a_full", "facts": ""})
    assert missing.status_code == 400 and "请填写" in missing.content.decode()
    decided = staff.post(
        f"/reports/accidents/{accident.pk}/decide/",
        {"liability": "a_full", "facts": "甲方倒车时未确保安全，撞到停放的乙方车辆。"},
    )
    assert decided.status_code == 302
    accident.refresh_from_db()
    assert accident.status == QuickAccident.Status.DECIDED
    assert accident.decided_by == traffic_officer

    pdf = client.get(f"/portal/reports/accidents/{accident.pk}/document.pdf")
    text = pdf_text(b"".join(pdf.streaming_content))
    for expected in ("简易程序道路交通事故认定书", accident.number, "甲方倒车", "王交警", "交警支队", "无责任"):
        assert expected in text, expected


def test_a_station_officer_sees_but_cannot_decide_and_another_station_cannot_see(city, citizen):
    submit(portal_client(citizen), mode="officer", liability="", confirm="")
    accident = QuickAccident.objects.get()
    station = city.login(city.station_officer)
    assert station.get(f"/reports/accidents/{accident.pk}/").status_code == 200
    refused = station.post(f"/reports/accidents/{accident.pk}/decide/", {"liability": "equal", "facts": "同等责任"})
    assert refused.status_code == 403
    outsider = city.login(city.outsider)
    assert outsider.get(f"/reports/accidents/{accident.pk}/").status_code == 404
    assert accident.number not in outsider.get("/reports/accidents/").content.decode()
    assert outsider.get(f"/reports/accidents/{accident.pk}/photos/{accident.photos.first().pk}/").status_code == 404
    api = city.api(city.outsider)
    assert api.get(f"/api/v1/reports/accidents/{accident.pk}").status_code == 404
    assert api.get("/api/v1/reports/accidents").json() == []


def test_the_api_decides_and_names_bad_fields(city, citizen, traffic_officer):
    submit(portal_client(citizen), mode="officer", liability="", confirm="")
    accident = QuickAccident.objects.get()
    api = city.api(traffic_officer)
    listed = api.get("/api/v1/reports/accidents?status=pending").json()
    assert [a["number"] for a in listed] == [accident.number]
    detail = api.get(f"/api/v1/reports/accidents/{accident.pk}").json()
    assert {p["plate"] for p in detail["parties"]} == {"冀T12345", "冀TD12345"}
    bad = api.post(
        f"/api/v1/reports/accidents/{accident.pk}/decision",
        {"liability": "mostly", "facts": "x"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["detail"][0]["field"] == "liability"
    station = city.api(city.station_officer).post(
        f"/api/v1/reports/accidents/{accident.pk}/decision",
        {"liability": "equal", "facts": "同等责任"},
        content_type="application/json",
    )
    assert station.status_code == 403
    ok = api.post(
        f"/api/v1/reports/accidents/{accident.pk}/decision",
        {"liability": "equal", "facts": "双方同时变道发生剐蹭。"},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["status"] == "decided" and ok.json()["has_document"]
    twice = api.post(
        f"/api/v1/reports/accidents/{accident.pk}/decision",
        {"liability": "equal", "facts": "再次"},
        content_type="application/json",
    )
    assert twice.status_code == 409


@pytest.mark.parametrize(
    ("changes", "files", "field", "words"),
    [
        ({}, "two", "photos", "至少上传 3 张"),
        ({}, "big", "photos", "5 MB"),
        ({}, "exe", "photos", "JPEG、PNG"),
        ({"b_plate": "冀TI2345"}, None, "b_plate", "字母 I 和 O"),
        ({"a_plate": "12345"}, None, "a_plate", "省份简称"),
        ({"b_licence_number": "131102199001011231"}, None, "b_licence_number", "校验"),
        ({"b_plate": "冀T12345"}, None, "b_plate", "号牌号码相同"),
        ({"b_phone": "13912345678"}, None, "b_phone", "乙方手机号码须与甲方不同"),
        ({"lat": str(B1_POINT[0] + 1)}, None, "lat", "不在本市"),
        ({"lat": ""}, None, "lat", "地图"),
        ({"liability": ""}, None, "liability", "责任划分"),
        ({"confirm": ""}, None, "confirm", "人员伤亡"),
        ({"a_policy_number": "保单"}, None, "a_policy_number", "保单号"),
        ({"occurred_at": "2020-01-01T08:00"}, None, "occurred_at", "超过 3 天"),
        ({"occurred_at": "tomorrow"}, None, "occurred_at", "格式不正确"),
    ],
)
def test_bad_accident_input_is_named_and_nothing_is_written(city, citizen, media, changes, files, field, words):
    uploads = {
        None: None,
        "two": photos(2),
        "big": [*photos(2), SimpleUploadedFile("big.jpg", JPEG + b"\x00" * (5 * 1024 * 1024))],
        "exe": [*photos(2), SimpleUploadedFile("scene3.jpg", b"MZ\x90\x00" + b"\x00" * 64)],
    }[files]
    response = submit(portal_client(citizen), files=uploads, **changes)
    assert response.status_code == 400
    body = response.content.decode()
    assert f'data-field="{field}"' in body
    assert words in body, body[body.find("p-error") : body.find("p-error") + 300]
    nothing_written(media)
    assert sms.last_message(B_PHONE) is None


def test_an_unverified_citizen_is_sent_to_real_name_verification(city, db):
    someone = Citizen.objects.create(phone="13700000000")
    response = portal_client(someone).get("/portal/reports/accidents/new/")
    assert response.status_code == 302 and response["Location"].startswith("/portal/me/")


def test_b_not_confirming_can_become_an_officer_decision(city, citizen):
    client = portal_client(citizen)
    submit(client)
    accident = QuickAccident.objects.get()
    client.post(f"/portal/reports/accidents/{accident.pk}/request-decision/")
    accident.refresh_from_db()
    assert accident.status == QuickAccident.Status.PENDING_DECISION and accident.liability == ""


# --- scoping on the portal -------------------------------------------------------------------------


def test_a_citizen_never_sees_another_citizens_matter(city, citizen):
    submit(portal_client(citizen), mode="officer", liability="", confirm="")
    accident = QuickAccident.objects.get()
    report = _online(portal_client(citizen))
    other = Citizen.objects.create(
        phone="13600000000", name="王五", id_number="131102198506150044", verified_at=timezone.now()
    )
    client = portal_client(other)
    for url in (
        f"/portal/reports/accidents/{accident.pk}/",
        f"/portal/reports/accidents/{accident.pk}/document.pdf",
        f"/portal/reports/online/{report.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/portal/reports/accidents/{accident.pk}/", {"text": "hi"}).status_code == 404
    mine = client.get("/portal/reports/").content.decode()
    assert accident.number not in mine and report.incident.number not in mine
    assert accident.number in portal_client(citizen).get("/portal/reports/").content.decode()


def test_portal_pages_need_sign_in(city):
    from django.test import Client

    for url in ("/portal/reports/", "/portal/reports/accidents/new/", "/portal/reports/online/new/"):
        assert Client().get(url)["Location"].startswith("/portal/login/")


# --- online reports --------------------------------------------------------------------------------


def _online(client, **changes):
    data = {
        "category": "0206",
        "description": "楼下烧烤店每晚十二点后仍很吵",
        "address": "桃城区人民路 100 号",
        "lat": str(A1_POINT[0]),
        "lon": str(A1_POINT[1]),
    }
    data.update(changes)
    response = client.post("/portal/reports/online/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return OnlineReport.objects.order_by("-id").first()


def test_an_online_report_becomes_an_incident_on_the_dispatch_queue(city, citizen):
    client = portal_client(citizen)
    form = client.get("/portal/reports/online/new/").content.decode()
    assert "紧急情况请直接拨打110" in form
    assert "杀人" not in form and "0206" in form
    report = _online(client)
    incident = report.incident
    assert incident.status == Incident.Status.RECEIVED
    assert incident.station == city.station_a1
    assert incident.caller_phone == citizen.phone and incident.description.startswith("【网上报警】")
    board = city.login(city.dispatcher).get("/board/")
    assert incident.number in board.content.decode()
    # The citizen follows its status.
    page = client.get(f"/portal/reports/online/{report.pk}/").content.decode()
    assert incident.number in page and "待派警" in page
    assert AuditEntry.objects.filter(action="reports.online.submit", actor_label=citizen.audit_label).exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"category": "0101"}, "category"),  # 杀人 is a 110 call, never an online report
        ({"category": ""}, "category"),
        ({"description": ""}, "description"),
        ({"lat": "91"}, "lat"),
        ({"lon": "abc"}, "lon"),
    ],
)
def test_bad_online_reports_are_refused(city, citizen, changes, field):
    data = {"category": "0206", "description": "吵", "address": "人民路", "lat": A1_POINT[0], "lon": A1_POINT[1]}
    data.update(changes)
    response = portal_client(citizen).post("/portal/reports/online/new/", data)
    assert response.status_code == 400
    assert f'data-field="{field}"' in response.content.decode()
    assert not Incident.objects.exists() and not OnlineReport.objects.exists()


def test_staff_reply_on_an_online_report_reaches_the_citizen(city, citizen):
    report = _online(portal_client(citizen))
    staff = city.login(city.station_officer)
    with committed():
        staff.post(f"/reports/online/{report.pk}/", {"text": "已通知社区民警上门处理"})
    assert "有民警回复" in sms.last_message(citizen.phone)
    page = portal_client(citizen).get(f"/portal/reports/online/{report.pk}/").content.decode()
    assert "已通知社区民警上门处理" in page
    assert city.login(city.outsider).get(f"/reports/online/{report.pk}/").status_code == 404


# --- tips ------------------------------------------------------------------------------------------


def test_a_tip_is_anonymous_and_followed_by_its_tracking_code(city, citizen):
    from django.test import Client

    # Even a signed-in citizen's tip keeps nothing of them.
    client = portal_client(citizen)
    response = client.post(
        "/portal/reports/tips/new/",
        {"kind": "gambling", "content": "人民路 88 号二楼每晚有人聚众赌博", "lat": A1_POINT[0], "lon": A1_POINT[1]},
        REMOTE_ADDR="203.0.113.77",
    )
    assert response.status_code == 200
    code = re.search(r'id="tracking-code">([0-9A-Z-]+)<', response.content.decode()).group(1)
    assert len(code) == 19
    tip = Tip.objects.get()
    assert tip.organization == city.station_a1
    # Nothing identifying: no field links to a citizen, an address or a session, and the code is hashed.
    names = {f.name for f in Tip._meta.get_fields()}
    assert not names & {"citizen", "ip", "session", "session_key", "user_agent", "phone"}
    values = " ".join(str(getattr(tip, f.attname)) for f in Tip._meta.concrete_fields)
    assert not [f for f in Tip._meta.get_fields() if f.related_model is Citizen]
    for trace in ("203.0.113.77", citizen.phone, citizen.name, code, client.session.session_key):
        assert trace not in values
    entry = AuditEntry.objects.get(action="reports.tip.submit")
    assert entry.actor is None and entry.actor_label == "anonymous"
    assert citizen.phone not in str(entry.data) and "203.0.113.77" not in str(entry.data)

    # The staff queue shows the tip and nothing about who sent it.
    staff = city.login(city.station_officer)
    queue = staff.get("/reports/tips/").content.decode()
    assert "聚众赌博" in queue
    detail = staff.get(f"/reports/tips/{tip.pk}/").content.decode()
    for trace in (citizen.phone, citizen.name, "203.0.113.77"):
        assert trace not in queue and trace not in detail
    api = city.api(city.station_officer).get("/api/v1/reports/tips").json()
    assert set(api[0]) == {"id", "kind", "kind_label", "content", "place", "organization", "status", "received_on"}
    assert city.login(city.outsider).get(f"/reports/tips/{tip.pk}/").status_code == 404

    staff.post(f"/reports/tips/{tip.pk}/", {"text": "线索已收到，正在核查，感谢支持。"})
    tip.refresh_from_db()
    assert tip.status == Tip.Status.REPLIED

    anyone = Client()
    wrong = anyone.post("/portal/reports/tips/track/", {"code": "AAAA-BBBB-CCCC-DDDD"})
    assert wrong.status_code == 400 and "查询码不正确" in wrong.content.decode()
    seen = anyone.post("/portal/reports/tips/track/", {"code": code.lower().replace("-", " ")})
    assert "正在核查" in seen.content.decode()
    anyone.post("/portal/reports/tips/track/messages/", {"code": code, "text": "补充：周五人最多"})
    assert Message.objects.filter(tip=tip, author=Message.Author.PUBLIC).count() == 1
    assert "周五人最多" in staff.get(f"/reports/tips/{tip.pk}/").content.decode()


def test_a_tip_without_a_place_goes_to_the_bureau_and_bad_input_is_named(city):
    from django.test import Client

    client = Client()
    short = client.post("/portal/reports/tips/new/", {"kind": "drugs", "content": "有人吸毒"})
    assert short.status_code == 400 and 'data-field="content"' in short.content.decode()
    kind = client.post("/portal/reports/tips/new/", {"kind": "", "content": "有人在出租屋内吸毒贩毒，晚上出入"})
    assert kind.status_code == 400 and 'data-field="kind"' in kind.content.decode()
    assert not Tip.objects.exists()
    client.post("/portal/reports/tips/new/", {"kind": "drugs", "content": "有人在出租屋内吸毒贩毒，晚上出入"})
    tip = Tip.objects.get()
    assert tip.organization == city.bureau
    assert city.login(city.station_officer).get(f"/reports/tips/{tip.pk}/").status_code == 404
    assert city.login(city.leader).get(f"/reports/tips/{tip.pk}/").status_code == 200


# --- lost persons ----------------------------------------------------------------------------------


def missing_form(**changes):
    data = {
        "name": "王小明",
        "sex": "M",
        "age": "7",
        "description": "身高约 120 厘米，穿红色外套、蓝色裤子",
        "last_seen_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "last_seen_address": "人民公园东门",
        "lat": str(B1_POINT[0]),
        "lon": str(B1_POINT[1]),
        "photo": SimpleUploadedFile("kid.png", PNG),
    }
    data.update(changes)
    return data


def test_a_lost_person_report_goes_to_the_station_where_last_seen(city, citizen, media):
    client = portal_client(citizen)
    response = client.post("/portal/reports/missing/new/", missing_form())
    assert response.status_code == 302
    report = MissingPersonReport.objects.get()
    assert report.station == city.station_b1
    outsider = city.login(city.outsider)  # B1 is the outsider's own station
    assert "王**" in outsider.get("/reports/missing/").content.decode()  # masked, as every list
    assert outsider.get(f"/reports/missing/{report.pk}/photo/").status_code == 200
    assert city.login(city.station_officer).get(f"/reports/missing/{report.pk}/").status_code == 404
    with committed():
        outsider.post(f"/reports/missing/{report.pk}/status/", {"status": "found"})
    report.refresh_from_db()
    assert report.status == MissingPersonReport.Status.FOUND
    assert "已找到" in sms.last_message(citizen.phone)
    assert "已找到" in client.get(f"/portal/reports/missing/{report.pk}/").content.decode()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"photo": SimpleUploadedFile("kid.png", b"GIF89a" + b"\x00" * 20)}, "photo"),
        ({"photo": ""}, "photo"),
        ({"age": "abc"}, "age"),
        ({"age": "150"}, "age"),
        ({"sex": "X"}, "sex"),
        ({"name": ""}, "name"),
        ({"last_seen_at": "2099-01-01T00:00"}, "last_seen_at"),
    ],
)
def test_bad_lost_person_reports_are_refused(city, citizen, media, changes, field):
    response = portal_client(citizen).post("/portal/reports/missing/new/", missing_form(**changes))
    assert response.status_code == 400
    assert f'data-field="{field}"' in response.content.decode()
    assert not MissingPersonReport.objects.exists()
    assert not any(p.is_file() for p in Path(media).rglob("*"))


# --- 警民互动 and the API --------------------------------------------------------------------------


def test_messages_on_an_accident_both_ways_and_via_the_api(city, citizen, traffic_officer):
    client = portal_client(citizen)
    submit(client, mode="officer", liability="", confirm="")
    accident = QuickAccident.objects.get()
    client.post(f"/portal/reports/accidents/{accident.pk}/", {"text": "对方已经离开现场了"})
    empty = client.post(f"/portal/reports/accidents/{accident.pk}/", {"text": "  "})
    assert empty.status_code == 400 and 'data-field="text"' in empty.content.decode()
    api = city.api(traffic_officer)
    thread = api.get(f"/api/v1/reports/accidents/{accident.pk}/messages").json()
    assert [m["text"] for m in thread] == ["对方已经离开现场了"]
    posted = api.post(
        f"/api/v1/reports/accidents/{accident.pk}/messages", {"text": "请补拍对方号牌"}, content_type="application/json"
    )
    assert posted.status_code == 201
    assert "请补拍对方号牌" in client.get(f"/portal/reports/accidents/{accident.pk}/").content.decode()
    refused = city.api(city.outsider).post(
        f"/api/v1/reports/accidents/{accident.pk}/messages", {"text": "x"}, content_type="application/json"
    )
    assert refused.status_code == 404
    assert api.get("/api/v1/reports/nonsense/1/messages").status_code == 404


def test_the_portal_home_shows_the_report_tiles(city, citizen):
    page = portal_client(citizen).get("/portal/").content.decode()
    for title in ("事故快处", "网上报警求助", "举报线索", "走失人员", "我的事项"):
        assert title in page

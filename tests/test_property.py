"""涉案财物: registration, labels, the custody chain with its approvals, the 回头看 report, scoping."""

import io
import json
import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import segno
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from anmin.cases.actions import ChangeCaseStatus, OpenCase
from anmin.core.errors import ActionError, Conflict, Denied
from anmin.core.models import AuditEntry, verify_chain
from anmin.org.models import Role
from anmin.property import labels
from anmin.property.actions import DecidePropertyApproval, RecordCustody, RegisterItem, RequestPropertyApproval
from anmin.property.custody import STEPS, CustodyStatus
from anmin.property.models import CustodyEvent, ItemPhoto, PropertyApproval, SeizedItem
from anmin.property.reports import review
from tests.factories import OfficerFactory
from tests.files import JPEG, PNG

ID_NUMBER = "11010519491231002X"  # GB 11643's own example: 北京市朝阳区, born 1949-12-31


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    """Uploads go to a fresh folder per test, so a test can tell that nothing was written."""
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


@pytest.fixture
def branch_leader(city):
    return OfficerFactory(username="taocheng_leader", organization=city.branch_a, role=Role.LEADER)


@pytest.fixture
def case(city):
    return OpenCase(by=city.station_officer, kind="criminal", title="王某盗窃电动车案").execute()


def register(city, case, *, by=None, **kw) -> SeizedItem:
    data = {"kind": "electronics", "description": "黑色华为手机一部，屏幕有裂痕", "quantity": "1", "unit": "部"}
    data.update(kw)
    return RegisterItem(by=by or city.station_officer, case=case, **data).execute()


def step(city, item, action, **kw) -> SeizedItem:
    result = RecordCustody(item=item, action=action, by=kw.pop("by", city.station_officer), **kw).execute()
    assert result.event is not None, f"{action} was not recorded"
    return result.item


def approved_step(city, leader, item, action, **kw) -> SeizedItem:
    """Ask for the step (which files a request), have `leader` approve it, then take it."""
    at = kw.get("at")
    kw.setdefault("note", "办案需要")
    result = RecordCustody(item=item, action=action, by=city.station_officer, **kw).execute()
    assert result.approval is not None and result.event is None
    DecidePropertyApproval(approval=result.approval, approve=True, by=leader, at=at).execute()
    return step(city, item, action, **kw)


def to_stored(city, item, at=None) -> SeizedItem:
    kw = {"at": at} if at else {}
    step(city, item, "hand_over", counterpart="保管员 李某", **kw)
    return step(city, item, "store", location="物证室 A-03", **kw)


def snapshot(item: SeizedItem | None = None) -> tuple:
    status = SeizedItem.objects.get(pk=item.pk).status if item else None
    return (
        status,
        SeizedItem.objects.count(),
        CustodyEvent.objects.count(),
        PropertyApproval.objects.count(),
        AuditEntry.objects.count(),
    )


# --- registration ----------------------------------------------------------------------------------


def test_it_registers_an_item_with_a_photo_and_a_label_code(city, case, media):
    # `photo` (one file) and GET …/photo are the API's older form of photos; both still work.
    api = city.api(city.station_officer)
    photo = SimpleUploadedFile("IMG_0001.PNG", PNG, content_type="image/png")
    response = api.post(
        f"/api/v1/cases/{case.pk}/property",
        {
            "kind": "valuables",
            "description": "黄金项链一条",
            "quantity": "1",
            "unit": "条",
            "estimated_value": "12800.50",
            "owner_name": "王某",
            "owner_id_number": " 110105 19491231 002x ",
            "photo": photo,
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["label_code"] == f"W{case.number}001"
    assert body["status"] == "seized"
    assert body["estimated_value"] == "12800.50"
    assert body["quantity"] == "1"
    assert body["owner_id_number"] == "110105********002X"  # masked in the API
    assert body["hand_over_due"] is not None
    assert [e["kind"] for e in body["chain"]] == ["seize"]
    assert [a["action"] for a in body["actions"]] == ["hand_over"]
    item = SeizedItem.objects.get(pk=body["id"])
    assert item.owner_id_number == ID_NUMBER  # stored normalized: 18 characters, upper-case X
    assert item.estimated_value == Decimal("12800.50")
    files = stored_files(media)
    assert len(files) == 1 and files[0].suffix == ".png" and "IMG_0001" not in files[0].name
    photo = api.get(f"/api/v1/property/{item.pk}/photo")
    assert photo.status_code == 200
    assert photo["Content-Type"] == "image/png"
    assert b"".join(photo.streaming_content) == PNG
    audit = AuditEntry.objects.filter(action="property.register").get()
    assert audit.data["label_code"] == item.label_code
    assert ID_NUMBER not in json.dumps(audit.data)


def test_it_registers_without_a_photo_and_numbers_labels_per_case(city, case):
    other = OpenCase(by=city.station_officer, kind="administrative", title="张某殴打他人案").execute()
    first, second = register(city, case), register(city, case, kind="cash", quantity="12500", unit="元")
    third = register(city, other)
    assert [first.label_code[-3:], second.label_code[-3:], third.label_code[-3:]] == ["001", "002", "001"]
    assert third.label_code == f"W{other.number}001"
    assert not first.photos.exists()
    assert city.api(city.station_officer).get(f"/api/v1/property/{first.pk}/photo").status_code == 404


@pytest.mark.parametrize(
    ("changes", "field", "status"),
    [
        ({"quantity": "0"}, "quantity", 400),
        ({"quantity": "-1"}, "quantity", 400),
        ({"quantity": "abc"}, "quantity", 400),
        ({"quantity": "NaN"}, "quantity", 400),
        ({"quantity": "1.23456"}, "quantity", 400),
        ({"quantity": ""}, "quantity", 400),
        ({"estimated_value": "-0.01"}, "estimated_value", 400),
        ({"estimated_value": "1e20"}, "estimated_value", 400),
        ({"kind": "weapon"}, "kind", 400),
        ({"description": "   "}, "description", 400),
        ({"description": "x" * 501}, "description", 400),
        ({"unit": ""}, "unit", 400),
        ({"owner_id_number": "110105194912310021"}, "owner_id_number", 400),  # wrong check character
        ({"owner_id_number": "12345"}, "owner_id_number", 400),
        ({"seized_at": "2999-01-01T00:00:00+08:00"}, "seized_at", 400),
        ({"seized_at": "yesterday"}, "seized_at", 400),
    ],
)
def test_it_rejects_bad_input_and_writes_nothing(city, case, media, changes, field, status):
    data = {"kind": "electronics", "description": "手机一部", "quantity": "1", "unit": "部"}
    data.update(changes)
    data["photo"] = SimpleUploadedFile("photo.jpg", JPEG, content_type="image/jpeg")
    before = snapshot()
    response = city.api(city.station_officer).post(f"/api/v1/cases/{case.pk}/property", data)
    assert response.status_code == status, response.json()
    assert response.json()["detail"][0]["field"] == field
    assert snapshot() == before
    assert stored_files(media) == []


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("photo.jpg", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "file_type"),  # a renamed executable
        ("photo.gif", b"GIF89a" + b"\x00" * 64, "file_type"),
        ("scan.pdf", b"%PDF-1.7\n" + b"\x00" * 64, "file_type"),  # a PDF is no photo
        ("photo.jpg", PNG, "extension"),  # content and name disagree
        ("photo.png", b"", "empty"),
        ("photo.png", PNG + b"\x00" * (5 * 1024 * 1024), "too_large"),
    ],
)
def test_it_refuses_a_bad_photo_and_writes_nothing(city, case, media, name, content, code):
    before = snapshot()
    response = city.api(city.station_officer).post(
        f"/api/v1/cases/{case.pk}/property",
        {"kind": "other", "description": "照片测试", "quantity": "1", "photos": [SimpleUploadedFile(name, content)]},
    )
    assert response.status_code == 400, response.json()
    error = response.json()["detail"][0]
    assert (error["field"], error["code"]) == ("photos", code)
    assert snapshot() == before
    assert stored_files(media) == []


def test_a_patrol_officer_cannot_register_and_a_closed_case_takes_no_more_items(city):
    case = OpenCase(by=city.station_officer, kind="administrative", title="张某殴打他人案").execute()
    response = city.api(city.patrol_officer).post(
        f"/api/v1/cases/{case.pk}/property", {"kind": "other", "description": "x", "quantity": "1"}
    )
    assert response.status_code == 403
    for action in ("inquire", "not_penalize", "close"):
        ChangeCaseStatus(case=case, action=action, by=city.station_officer).execute()
    with pytest.raises(ActionError) as caught:
        register(city, case)
    assert (caught.value.field, caught.value.code) == ("case", "case_closed")
    assert not SeizedItem.objects.exists()


# --- the custody chain -----------------------------------------------------------------------------


@pytest.mark.parametrize("disposal", ["return_to_owner", "confiscate", "destroy"])
def test_it_walks_an_item_through_the_whole_chain(city, case, branch_leader, disposal):
    item = register(city, case)
    api, leader = city.api(city.station_officer), city.api(branch_leader)
    url = f"/api/v1/property/{item.pk}/custody"

    response = post(api, url, {"action": "hand_over", "counterpart": "保管员 李某"})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "handed_over"
    assert response.json()["handed_over_at"] is not None
    response = post(api, url, {"action": "store", "location": "物证室 A-03"})
    assert (response.json()["status"], response.json()["location"]) == ("stored", "物证室 A-03")

    # 调用出库 needs approval: the first request files it and moves nothing.
    response = post(api, url, {"action": "lend", "counterpart": "侦查员 张某", "note": "送鉴定"})
    assert response.status_code == 202
    assert response.json()["status"] == "stored"
    approval = response.json()["approval"]
    assert (approval["action"], approval["status"], approval["reason"]) == ("lend", "pending", "送鉴定")
    assert [a["id"] for a in leader.get("/api/v1/property/approvals").json()] == [approval["id"]]
    response = post(leader, f"/api/v1/property/approvals/{approval['id']}/decision", {"approve": True})
    assert response.json()["status"] == "approved"
    detail = api.get(f"/api/v1/property/{item.pk}").json()
    assert [(a["action"], a["approved"], a["pending"]) for a in detail["actions"]] == [
        ("lend", True, False),
        ("return_to_owner", False, False),
        ("confiscate", False, False),
        ("destroy", False, False),
    ]
    response = post(api, url, {"action": "lend", "counterpart": "侦查员 张某", "note": "送鉴定"})
    assert response.status_code == 200
    assert response.json()["status"] == "lent"

    response = post(api, url, {"action": "return", "counterpart": "侦查员 张某", "location": "物证室 A-04"})
    assert (response.json()["status"], response.json()["location"]) == ("stored", "物证室 A-04")

    counterpart = {"counterpart": "王某（所有人）"} if disposal == "return_to_owner" else {}
    response = post(api, url, {"action": disposal, "note": "判决生效，依法处理", **counterpart})
    assert response.status_code == 202
    DecidePropertyApproval(
        approval=PropertyApproval.objects.get(pk=response.json()["approval"]["id"]), approve=True, by=branch_leader
    ).execute()
    response = post(api, url, {"action": disposal, **counterpart})
    body = response.json()
    assert response.status_code == 200, body
    assert (body["status"], body["disposition"], body["location"], body["actions"]) == ("disposed", disposal, "", [])
    assert [e["kind"] for e in body["chain"]] == ["seize", "hand_over", "store", "lend", "return", disposal]
    assert [e["to_status"] for e in body["chain"]] == ["seized", "handed_over", "stored", "lent", "stored", "disposed"]
    lend, disposed = body["chain"][3], body["chain"][5]
    assert lend["approval_id"] == approval["id"] and lend["counterpart"] == "侦查员 张某"
    assert disposed["approval_id"] is not None
    assert all(a["executed_at"] for a in body["approvals"])
    actions = list(AuditEntry.objects.filter(action__startswith="property.").values_list("action", flat=True))
    assert actions == [
        "property.register",
        "property.hand_over",
        "property.store",
        "property.approval.request",
        "property.approval.decide",
        "property.lend",
        "property.return",
        "property.approval.request",
        "property.approval.decide",
        f"property.{disposal}",
    ]
    assert verify_chain()[2] == ""


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ([], "store"),  # 入库 before 移交
        ([], "lend"),  # seized → lent
        ([], "return"),
        ([], "return_to_owner"),  # seized → disposed
        ([], "confiscate"),
        ([], "destroy"),
        ([], "seize"),  # registration is not a step
        ([], "nonsense"),
        (["hand_over"], "hand_over"),
        (["hand_over"], "lend"),  # handed over, not yet stored
        (["hand_over"], "destroy"),
        (["hand_over", "store"], "hand_over"),
        (["hand_over", "store"], "store"),
        (["hand_over", "store"], "return"),  # nothing was lent
        (["hand_over", "store", "lend"], "destroy"),  # must come back first
        (["hand_over", "store", "lend"], "lend"),
        (["hand_over", "store", "destroy"], "return"),  # nothing after disposal
        (["hand_over", "store", "destroy"], "lend"),
        (["hand_over", "store", "destroy"], "hand_over"),
    ],
)
def test_it_refuses_a_step_the_chain_does_not_allow(city, case, branch_leader, path, action):
    item = register(city, case)
    for done in path:
        kw = {"counterpart": "李某", "location": "物证室", "note": "需要"}
        if done in ("lend", "destroy"):
            approved_step(city, branch_leader, item, done, **kw)
        else:
            step(city, item, done, **kw)
    before = snapshot(item)
    response = post(
        city.api(city.station_officer),
        f"/api/v1/property/{item.pk}/custody",
        {"action": action, "counterpart": "李某", "location": "物证室", "note": "需要"},
    )
    assert response.status_code == 400, response.json()
    error = response.json()["detail"][0]
    assert error["field"] == "action"
    assert error["code"] == ("unknown" if action in ("seize", "nonsense") else "not_allowed")
    assert snapshot(item) == before


def test_it_says_which_step_comes_next(city, case):
    item = register(city, case)
    with pytest.raises(ActionError) as caught:
        RecordCustody(item=item, action="lend", by=city.station_officer, note="x").execute()
    assert "已扣押待移交" in caught.value.message and "移交保管" in caught.value.message


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ([], {"action": "hand_over"}, "counterpart"),  # the keeper who took it over
        (["hand_over"], {"action": "store"}, "location"),
        (["hand_over"], {"action": "store", "location": "x" * 101}, "location"),
        (["hand_over", "store"], {"action": "lend", "counterpart": "张某"}, "note"),  # 调用事由
        (["hand_over", "store"], {"action": "return_to_owner", "note": "发还"}, "counterpart"),
    ],
)
def test_it_requires_the_details_a_step_needs(city, case, path, payload, field):
    item = register(city, case)
    for done in path:
        step(city, item, done, counterpart="李某", location="物证室")
    before = snapshot(item)
    response = post(city.api(city.station_officer), f"/api/v1/property/{item.pk}/custody", payload)
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == field
    assert snapshot(item) == before


def test_the_chain_is_data_and_every_state_has_a_way_on_but_disposed():
    reachable = {CustodyStatus.SEIZED}
    for edge in STEPS:
        assert set(edge.sources) <= set(CustodyStatus.values)
        reachable.add(edge.target)
    assert reachable == set(CustodyStatus.values)
    assert {s for edge in STEPS for s in edge.sources} == set(CustodyStatus.values) - {CustodyStatus.DISPOSED}
    assert {e.action for e in STEPS if e.needs_approval} == {"lend", "return_to_owner", "confiscate", "destroy"}


# --- approvals -------------------------------------------------------------------------------------


def test_nobody_approves_their_own_request(city, case, branch_leader):
    item = to_stored(city, register(city, case, by=branch_leader), at=None)
    result = RecordCustody(item=item, action="lend", by=branch_leader, counterpart="张某", note="辨认").execute()
    approval = result.approval
    response = post(city.api(branch_leader), f"/api/v1/property/approvals/{approval.pk}/decision", {"approve": True})
    assert response.status_code == 403
    assert response.json()["detail"][0]["code"] == "self_approval"
    assert city.api(branch_leader).get("/api/v1/property/approvals").json() == []
    approval.refresh_from_db()
    assert approval.status == "pending"
    # Another leader with the case in scope may decide it.
    DecidePropertyApproval(approval=approval, approve=True, by=city.leader).execute()
    step(city, item, "lend", by=branch_leader, counterpart="张某")
    assert SeizedItem.objects.get(pk=item.pk).status == "lent"


def test_an_investigator_cannot_approve(city, case):
    item = to_stored(city, register(city, case))
    approval = RequestPropertyApproval(item=item, action="destroy", by=city.station_officer, reason="违禁品").execute()
    colleague = OfficerFactory(username="colleague", organization=city.station_a1, role=Role.STATION)
    with pytest.raises(Denied):
        DecidePropertyApproval(approval=approval, approve=True, by=colleague).execute()
    assert city.api(colleague).get("/api/v1/property/approvals").json() == []


def test_a_rejection_needs_a_note_and_a_decision_is_final(city, case, branch_leader):
    item = to_stored(city, register(city, case))
    approval = RequestPropertyApproval(item=item, action="lend", by=city.station_officer, reason="鉴定").execute()
    leader = city.api(branch_leader)
    url = f"/api/v1/property/approvals/{approval.pk}/decision"
    response = post(leader, url, {"approve": False})
    assert (response.status_code, response.json()["detail"][0]["field"]) == (400, "note")
    response = post(leader, url, {"approve": False, "note": "鉴定已完成，无需调用"})
    assert response.json()["status"] == "rejected"
    assert post(leader, url, {"approve": True}).status_code == 400
    # Rejected: the step is still not allowed without a new request, which may be filed.
    result = RecordCustody(item=item, action="lend", by=city.station_officer, counterpart="张某", note="再次鉴定")
    result = result.execute()
    assert result.event is None and result.approval.pk != approval.pk
    assert SeizedItem.objects.get(pk=item.pk).status == "stored"


def test_it_refuses_a_second_open_request_and_a_request_for_a_free_step(city, case, branch_leader):
    item = to_stored(city, register(city, case))
    RequestPropertyApproval(item=item, action="lend", by=city.station_officer, reason="鉴定").execute()
    response = post(
        city.api(city.station_officer),
        f"/api/v1/property/{item.pk}/custody",
        {"action": "lend", "counterpart": "张某", "note": "again"},
    )
    assert response.status_code == 409
    assert PropertyApproval.objects.count() == 1
    DecidePropertyApproval(approval=PropertyApproval.objects.get(), approve=True, by=branch_leader).execute()
    with pytest.raises(Conflict):  # approved and unused: take the step instead
        RequestPropertyApproval(item=item, action="lend", by=city.station_officer, reason="again").execute()
    with pytest.raises(ActionError) as caught:
        RequestPropertyApproval(item=item, action="return", by=city.station_officer, reason="x").execute()
    assert caught.value.field == "action"


def test_an_approval_is_used_once(city, case, branch_leader):
    item = to_stored(city, register(city, case))
    approved_step(city, branch_leader, item, "lend", counterpart="张某")
    step(city, item, "return", counterpart="张某", location="物证室 A-03")
    result = RecordCustody(item=item, action="lend", by=city.station_officer, counterpart="张某", note="复核").execute()
    assert result.event is None and result.approval.status == "pending"


def test_it_refuses_a_stale_approval(city, case, branch_leader):
    item = to_stored(city, register(city, case))
    destroy = RequestPropertyApproval(item=item, action="destroy", by=city.station_officer, reason="违禁品").execute()
    back = RequestPropertyApproval(
        item=item, action="return_to_owner", by=city.station_officer, reason="与案件无关"
    ).execute()
    DecidePropertyApproval(approval=destroy, approve=True, by=branch_leader).execute()
    step(city, item, "destroy")
    with pytest.raises(ActionError) as caught:
        DecidePropertyApproval(approval=back, approve=True, by=branch_leader).execute()
    assert caught.value.code == "stale"


# --- 回头看 ------------------------------------------------------------------------------------------


def test_review_lists_items_past_the_24_hour_hand_over_limit(city, case):
    t0 = timezone.now() - timedelta(days=10)
    late = register(city, case, seized_at=t0, description="逾期移交的手机")
    on_time = register(city, case, seized_at=t0, description="按时移交的手机")
    step(city, on_time, "hand_over", counterpart="李某", at=t0 + timedelta(hours=23, minutes=59))

    def sections(at):
        report = review(city.station_officer, at=at)
        return {name: [i.pk for i in qs] for name, qs in report.sections().items()}

    assert sections(t0 + timedelta(hours=23))["overdue_handover"] == []
    assert sections(t0 + timedelta(hours=25))["overdue_handover"] == [late.pk]
    step(city, late, "hand_over", counterpart="李某", at=t0 + timedelta(hours=30))
    after = sections(t0 + timedelta(hours=31))
    assert after["overdue_handover"] == []
    assert after["late_handover"] == [late.pk]  # the breach stays on record

    rows = city.api(city.station_officer).get("/api/v1/property/review").json()["late_handover"]
    assert [r["label_code"] for r in rows] == [late.label_code]
    assert "6.0 小时" in rows[0]["reason"]


def test_review_lists_items_lent_and_not_returned(city, case, branch_leader):
    t0 = timezone.now() - timedelta(days=100)
    out, back = register(city, case, seized_at=t0), register(city, case, seized_at=t0)
    for item in (out, back):
        to_stored(city, item, at=t0 + timedelta(hours=1))
        approved_step(city, branch_leader, item, "lend", counterpart="张某", at=t0 + timedelta(hours=2))
    step(city, back, "return", counterpart="张某", location="A-01", at=t0 + timedelta(days=3))

    def lent(at, **kw):
        return [i.pk for i in review(city.station_officer, at=at, **kw).lent_not_returned]

    assert lent(t0 + timedelta(days=29)) == []
    assert lent(t0 + timedelta(days=31)) == [out.pk]
    assert lent(t0 + timedelta(days=31), lent_days=40) == []
    api = city.api(city.station_officer)
    rows = api.get("/api/v1/property/review").json()["lent_not_returned"]
    assert [r["label_code"] for r in rows] == [out.label_code]
    assert "99 天" in rows[0]["reason"]
    assert api.get("/api/v1/property/review?lent_days=200").json()["lent_not_returned"] == []
    assert api.get("/api/v1/property/review?lent_days=0").status_code == 400


def test_review_lists_undisposed_items_of_closed_cases(city, branch_leader):
    case = OpenCase(by=city.station_officer, kind="administrative", title="张某殴打他人案").execute()
    kept, disposed = to_stored(city, register(city, case)), to_stored(city, register(city, case))
    approved_step(city, branch_leader, disposed, "confiscate")
    assert list(review(city.station_officer).undisposed_after_close) == []
    for action in ("inquire", "not_penalize", "close"):
        ChangeCaseStatus(case=case, action=action, by=city.station_officer).execute()
    assert [i.pk for i in review(city.station_officer).undisposed_after_close] == [kept.pk]
    rows = city.api(city.station_officer).get("/api/v1/property/review").json()["undisposed_after_close"]
    assert [r["label_code"] for r in rows] == [kept.label_code]
    assert "已结案" in rows[0]["reason"]
    # The item of a closed case can still be disposed of: that is what the look back asks for.
    approved_step(city, branch_leader, kept, "return_to_owner", counterpart="张某")
    assert list(review(city.station_officer).undisposed_after_close) == []


# --- scoping ---------------------------------------------------------------------------------------


def test_another_station_sees_nothing(city, case, branch_leader):
    item = register(city, case, seized_at=timezone.now() - timedelta(days=3))
    RegisterItem(
        by=city.station_officer,
        case=case,
        kind="other",
        description="带照片",
        quantity="1",
        photos=[SimpleUploadedFile("a.jpg", JPEG)],
    ).execute()
    stored = to_stored(city, register(city, case))
    approval = RequestPropertyApproval(item=stored, action="lend", by=city.station_officer, reason="x").execute()
    outsider = city.api(city.outsider)
    photo = ItemPhoto.objects.get()
    for url in (
        f"/api/v1/property/{item.pk}",
        f"/api/v1/property/{photo.item_id}/photo",
        f"/api/v1/property/{photo.item_id}/photos/{photo.pk}",
        f"/api/v1/cases/{case.pk}/property/labels.pdf",
    ):
        assert outsider.get(url).status_code == 404, url
    assert outsider.get("/api/v1/property").json() == []
    assert outsider.get(f"/api/v1/property?case_id={case.pk}").json() == []
    report = outsider.get("/api/v1/property/review").json()
    sections = ("overdue_handover", "late_handover", "lent_not_returned", "undisposed_after_close")
    assert [report[name] for name in sections] == [[], [], [], []]
    assert review(city.outsider).overdue_handover.count() == 0
    assert review(city.station_officer).overdue_handover.count() == 1
    before = snapshot(item)
    assert (
        post(outsider, f"/api/v1/property/{item.pk}/custody", {"action": "hand_over", "counterpart": "x"}).status_code
        == 404
    )
    response = outsider.post(
        f"/api/v1/cases/{case.pk}/property", {"kind": "other", "description": "x", "quantity": "1"}
    )
    assert response.status_code == 404
    assert post(outsider, f"/api/v1/property/approvals/{approval.pk}/decision", {"approve": True}).status_code == 404
    assert snapshot(item) == before
    jizhou_leader = OfficerFactory(username="jizhou_leader", organization=city.branch_b, role=Role.LEADER)
    assert city.api(jizhou_leader).get("/api/v1/property/approvals").json() == []
    with pytest.raises(Denied):
        DecidePropertyApproval(approval=approval, approve=True, by=jizhou_leader).execute()
    with pytest.raises(Denied):
        RecordCustody(item=item, action="hand_over", by=city.outsider, counterpart="x").execute()
    # The bureau sees everything, the owning station its own.
    assert len(city.api(city.leader).get("/api/v1/property").json()) == 3
    assert len(city.api(city.station_officer).get("/api/v1/property").json()) == 3


def test_it_filters_the_list(city, case):
    phone = register(city, case)
    cash = register(city, case, kind="cash", description="人民币现金", quantity="500", unit="元")
    to_stored(city, cash)
    api = city.api(city.station_officer)

    def ids(query):
        return [row["id"] for row in api.get(f"/api/v1/property?{query}").json()]

    assert ids("kind=cash") == [cash.pk]
    assert ids("status=seized") == [phone.pk]
    assert ids("q=现金") == [cash.pk]
    assert ids(f"q={phone.label_code}") == [phone.pk]
    assert api.get("/api/v1/property?status=lost").status_code == 400


def test_it_lists_items_in_a_constant_number_of_queries(city, case):
    api = city.api(city.station_officer)
    register(city, case)
    api.get("/api/v1/property")  # the first use of a token also stamps last_used_at

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = (count("/api/v1/property"), count("/api/v1/property/review"))
    for _ in range(20):
        register(city, case, seized_at=timezone.now() - timedelta(days=2))
    assert len(api.get("/api/v1/property").json()) == 21
    assert (count("/api/v1/property"), count("/api/v1/property/review")) == few
    assert few[0] <= 3 and few[1] <= 6


# --- labels ----------------------------------------------------------------------------------------


def pdf_text(data: bytes) -> tuple[int, list, str]:
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = "\n".join(p.extract_text() for p in reader.pages)
    # pypdf reads fpdf2's ToUnicode map of a CID font as UTF-16 code units and leaves a NUL before
    # each character (pdftotext does not); the characters themselves are right.
    return len(reader.pages), [p.mediabox for p in reader.pages], text.replace("\x00", "")


def test_it_prints_a_sheet_of_labels_with_chinese_text(city, case):
    items = [
        register(city, case),
        register(city, case, kind="cash", description="人民币现金（百元券）", quantity="12500", unit="元"),
        register(city, case, kind="knife", description="弹簧刀一把，刃长 12 厘米", unit="把"),
    ]
    other = register(city, OpenCase(by=city.station_officer, kind="criminal", title="另案").execute())
    response = city.api(city.station_officer).get(f"/api/v1/cases/{case.pk}/property/labels.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    pages, boxes, text = pdf_text(response.content)
    assert pages == 1
    assert (round(float(boxes[0].width)), round(float(boxes[0].height))) == (595, 842)  # A4 in points
    for item in items:
        assert item.label_code in text
    assert other.label_code not in text
    assert case.number in text
    assert "涉案财物" in text and "管制刀具" in text and "弹簧刀" in text
    assert b"NotoSansCJK" in response.content or b"WenQuanYi" in response.content  # the font is embedded


def test_it_starts_a_new_page_after_24_labels_and_can_skip_used_positions(city, case):
    items = [register(city, case, description=f"第 {n} 件") for n in range(25)]
    api = city.api(city.station_officer)
    assert pdf_text(api.get(f"/api/v1/cases/{case.pk}/property/labels.pdf").content)[0] == 2
    chosen = f"item={items[0].pk}&item={items[1].pk}"
    response = api.get(f"/api/v1/cases/{case.pk}/property/labels.pdf?{chosen}&skip=23")
    pages, _boxes, text = pdf_text(response.content)
    assert pages == 2 and items[0].label_code in text and items[2].label_code not in text
    assert api.get(f"/api/v1/cases/{case.pk}/property/labels.pdf?skip=24").status_code == 400


def test_the_qr_code_encodes_the_label_code(city, case):
    item = register(city, case)
    matrix = labels.qr_matrix(item.label_code)
    # Re-encode independently and compare module by module.
    again = segno.make_qr(item.label_code, error="m")
    assert matrix == tuple(tuple(bool(m) for m in row) for row in again.matrix)
    assert len(matrix) == 25  # version 2: small enough to scan from a 24 mm square
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    scale, rows = 8, labels.qr_matrix(item.label_code, border=4)
    image = Image.new("L", (len(rows) * scale, len(rows) * scale), 255)
    for r, row in enumerate(rows):
        for c, dark in enumerate(row):
            if dark:
                image.paste(0, (c * scale, r * scale, (c + 1) * scale, (r + 1) * scale))
    assert [b.text for b in zxingcpp.read_barcodes(image)] == [item.label_code]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs pdftoppm (Debian package poppler-utils)")
def test_the_printed_qr_codes_scan(city, case, tmp_path):
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    items = [register(city, case, description=f"第 {n} 件") for n in range(3)]
    (tmp_path / "labels.pdf").write_bytes(labels.label_sheet(SeizedItem.objects.filter(case=case)))
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", "labels.pdf", "page"], cwd=tmp_path, check=True)
    found = sorted(b.text for b in zxingcpp.read_barcodes(Image.open(tmp_path / "page.png")))
    assert found == sorted(i.label_code for i in items)


def test_it_names_the_font_package_when_no_chinese_font_is_installed(city, case, monkeypatch):
    with pytest.raises(labels.FontMissing, match="fonts-noto-cjk"):
        labels.find_cjk_font((("/nonexistent/font.ttc", "X", "fonts-noto-cjk (Debian/Ubuntu)"),))

    def missing():
        raise labels.FontMissing("未找到可嵌入 PDF 的中文字体：请安装 fonts-noto-cjk")

    monkeypatch.setattr(labels, "find_cjk_font", missing)
    response = city.api(city.station_officer).get(f"/api/v1/cases/{case.pk}/property/labels.pdf")
    assert response.status_code == 503
    assert "fonts-noto-cjk" in response.json()["detail"][0]["message"]


# --- admin -----------------------------------------------------------------------------------------


def test_the_admin_shows_property_read_only_in_chinese(city, case, client):
    item = register(city, case, owner_name="王某", owner_id_number=ID_NUMBER)
    admin = OfficerFactory(username="root", organization=city.bureau, role=Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(admin)
    for url in (
        "/admin/property/seizeditem/",
        f"/admin/property/seizeditem/{item.pk}/change/",
        "/admin/property/custodyevent/",
        "/admin/property/propertyapproval/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert "安民 系统管理" in page
    assert "涉案财物" in page or "审批" in page
    detail = client.get(f"/admin/property/seizeditem/{item.pk}/change/").content.decode()
    assert "保管环节" in detail and ID_NUMBER not in detail and "110105********002X" in detail
    assert client.get("/admin/property/seizeditem/add/").status_code == 403
    assert client.post(f"/admin/property/seizeditem/{item.pk}/delete/", {"post": "yes"}).status_code == 403
    assert SeizedItem.objects.filter(pk=item.pk).exists()

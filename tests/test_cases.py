"""Cases: opening (from an incident or directly), the lifecycle state machine, approvals, scoping."""

import json
import re

import pytest
from django.utils import timezone

from anmin.cases.actions import ChangeCaseStatus, DecideApproval, OpenCase
from anmin.cases.models import ApprovalRequest, Case
from anmin.core.errors import ActionError, Denied
from anmin.core.models import AuditEntry, verify_chain
from anmin.incidents.actions import ReceiveCall
from anmin.org.models import Role
from tests.factories import OfficerFactory


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


@pytest.fixture
def incident(city, call_data):
    return ReceiveCall(by=city.dispatcher, data=dict(call_data, category="0110"), force_new=True).execute()[0]


@pytest.fixture
def branch_leader(city):
    return OfficerFactory(username="taocheng_leader", organization=city.branch_a, role=Role.LEADER)


def open_case(city, kind="criminal", **kw) -> Case:
    return OpenCase(by=city.station_officer, kind=kind, title=kw.pop("title", "王某盗窃电动车案"), **kw).execute()


def test_it_opens_a_case_from_an_incident_and_keeps_the_link(city, incident):
    api = city.api(city.station_officer)
    response = post(api, "/api/v1/cases", {"kind": "criminal", "title": "盗窃案", "incident_id": incident.pk})
    assert response.status_code == 201
    body = response.json()
    assert body["incident_id"] == incident.pk
    assert body["organization"] == "河西派出所"
    assert body["status"] == "accepted"
    month = timezone.localtime().strftime("%Y%m")
    assert body["number"] == f"A131102510000{month}0001"
    assert [e["label"] for e in body["timeline"]] == ["受案"]
    assert incident.number in body["timeline"][0]["note"]
    assert {a["action"] for a in body["actions"]} == {"file", "decline"}


def test_it_numbers_cases_per_unit_kind_and_month(city):
    first, second = open_case(city), open_case(city)
    admin = open_case(city, kind="administrative", title="殴打他人案")
    assert int(second.number[-4:]) == int(first.number[-4:]) + 1
    assert re.fullmatch(r"X131102510000\d{6}0001", admin.number)


def test_it_runs_a_criminal_case_through_approval_to_closure(city, branch_leader):
    case = open_case(city)
    officer, leader = city.api(city.station_officer), city.api(branch_leader)
    url = f"/api/v1/cases/{case.pk}/transitions"
    response = post(officer, url, {"action": "file", "reason": "有犯罪事实需要追究刑事责任"})
    assert response.status_code == 202
    assert response.json()["status"] == "accepted"  # 立案 waits for a leader
    inbox = leader.get("/api/v1/approvals").json()
    assert [(a["case_number"], a["label"]) for a in inbox] == [(case.number, "立案")]
    response = post(leader, f"/api/v1/approvals/{inbox[0]['id']}/decision", {"approve": True, "note": "同意立案"})
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    for action, status in (("investigate", "investigating"), ("solve", "solved"), ("prosecute", "prosecution")):
        response = post(officer, url, {"action": action})
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == status
    response = post(officer, url, {"action": "close"})
    body = response.json()
    assert body["status"] == "closed"
    assert body["actions"] == []
    assert [e["label"] for e in body["timeline"]] == [
        "受案",
        "申请立案",
        "立案",
        "开始侦查",
        "破案",
        "移送起诉",
        "结案",
    ]
    case.refresh_from_db()
    assert case.closed_at is not None
    assert verify_chain()[2] == ""


@pytest.mark.parametrize(
    ("kind", "path", "action"),
    [
        ("criminal", [], "solve"),  # 破案 before 立案
        ("criminal", [], "close"),
        ("criminal", [], "investigate"),
        ("criminal", [], "penalize"),  # an administrative step on a criminal case
        ("criminal", [], "nonsense"),
        ("administrative", [], "file"),  # 立案 is for criminal cases
        ("administrative", [], "close"),
        ("administrative", ["inquire", "not_penalize", "close"], "inquire"),  # nothing after 结案
    ],
)
def test_it_refuses_a_transition_the_lifecycle_does_not_allow(city, kind, path, action):
    case = open_case(city, kind=kind)
    for step in path:
        ChangeCaseStatus(case=case, action=step, by=city.station_officer).execute()
    case.refresh_from_db()
    before = (case.status, case.events.count(), AuditEntry.objects.count())
    response = post(city.api(city.station_officer), f"/api/v1/cases/{case.pk}/transitions", {"action": action})
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "action"
    case.refresh_from_db()
    assert (case.status, case.events.count(), AuditEntry.objects.count()) == before


def test_it_runs_an_administrative_case_with_a_penalty_decision(city, branch_leader):
    case = open_case(city, kind="administrative", title="张某殴打他人案")
    ChangeCaseStatus(case=case, action="inquire", by=city.station_officer).execute()
    _case, approval = ChangeCaseStatus(
        case=case, action="penalize", by=city.station_officer, reason="违法事实清楚，拟行政拘留五日"
    ).execute()
    assert approval is not None
    DecideApproval(approval=approval, approve=True, by=branch_leader).execute()
    ChangeCaseStatus(case=case, action="close", by=city.station_officer).execute()
    case.refresh_from_db()
    assert case.status == "closed"


@pytest.mark.parametrize(
    ("path", "action", "target"), [([], "decline", "declined"), (["investigate"], "withdraw", "withdrawn")]
)
def test_it_needs_approval_to_decline_or_withdraw(city, branch_leader, path, action, target):
    case = open_case(city)
    if path:
        _c, filing = ChangeCaseStatus(case=case, action="file", by=city.station_officer, reason="立案").execute()
        DecideApproval(approval=filing, approve=True, by=branch_leader).execute()
    for step in path:
        ChangeCaseStatus(case=case, action=step, by=city.station_officer).execute()
    _c, approval = ChangeCaseStatus(case=case, action=action, by=city.station_officer, reason="不构成犯罪").execute()
    case.refresh_from_db()
    assert case.status != target
    DecideApproval(approval=approval, approve=True, by=branch_leader).execute()
    case.refresh_from_db()
    assert case.status == target


def test_it_requires_a_reason_for_a_request(city):
    case = open_case(city)
    response = post(city.api(city.station_officer), f"/api/v1/cases/{case.pk}/transitions", {"action": "file"})
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "reason"
    assert not ApprovalRequest.objects.exists()


def test_nobody_approves_their_own_request(city, branch_leader):
    case = OpenCase(by=branch_leader, kind="criminal", title="领导受理的案件").execute()
    _c, approval = ChangeCaseStatus(case=case, action="file", by=branch_leader, reason="立案").execute()
    response = post(city.api(branch_leader), f"/api/v1/approvals/{approval.pk}/decision", {"approve": True})
    assert response.status_code == 403
    assert response.json()["detail"][0]["code"] == "self_approval"
    assert approval.pk not in [a["id"] for a in city.api(branch_leader).get("/api/v1/approvals").json()]
    approval.refresh_from_db()
    assert approval.status == "pending"
    # another leader with the case in scope may decide it
    DecideApproval(approval=approval, approve=True, by=city.leader).execute()
    case.refresh_from_db()
    assert case.status == "filed"


def test_an_investigator_cannot_approve(city):
    case = open_case(city)
    other = OfficerFactory(username="colleague", organization=city.station_a1, role=Role.STATION)
    _c, approval = ChangeCaseStatus(case=case, action="file", by=city.station_officer, reason="立案").execute()
    with pytest.raises(Denied):
        DecideApproval(approval=approval, approve=True, by=other).execute()
    assert city.api(other).get("/api/v1/approvals").json() == []


def test_a_rejection_needs_a_note_and_leaves_the_case_where_it_was(city, branch_leader):
    case = open_case(city)
    _c, approval = ChangeCaseStatus(case=case, action="file", by=city.station_officer, reason="立案").execute()
    leader = city.api(branch_leader)
    response = post(leader, f"/api/v1/approvals/{approval.pk}/decision", {"approve": False})
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "note"
    response = post(
        leader, f"/api/v1/approvals/{approval.pk}/decision", {"approve": False, "note": "证据不足，补充调查"}
    )
    assert response.json()["status"] == "rejected"
    case.refresh_from_db()
    assert case.status == "accepted"
    assert case.events.last().label == "不批准立案"
    # decided once is decided
    response = post(leader, f"/api/v1/approvals/{approval.pk}/decision", {"approve": True})
    assert response.status_code == 400


def test_it_refuses_a_second_pending_request_for_the_same_matter(city):
    case = open_case(city)
    ChangeCaseStatus(case=case, action="file", by=city.station_officer, reason="立案").execute()
    response = post(
        city.api(city.station_officer), f"/api/v1/cases/{case.pk}/transitions", {"action": "file", "reason": "再次"}
    )
    assert response.status_code == 409
    assert ApprovalRequest.objects.count() == 1


def test_it_refuses_a_stale_approval(city, branch_leader):
    case = open_case(city)
    _c, filing = ChangeCaseStatus(case=case, action="file", by=city.station_officer, reason="立案").execute()
    _c, declining = ChangeCaseStatus(case=case, action="decline", by=city.station_officer, reason="不立案").execute()
    DecideApproval(approval=declining, approve=True, by=branch_leader).execute()
    with pytest.raises(ActionError) as caught:
        DecideApproval(approval=filing, approve=True, by=branch_leader).execute()
    assert caught.value.code == "stale"
    case.refresh_from_db()
    assert case.status == "declined"


def test_another_station_sees_nothing(city, branch_leader):
    case = open_case(city)
    _c, approval = ChangeCaseStatus(case=case, action="file", by=city.station_officer, reason="立案").execute()
    outsider = city.api(city.outsider)
    assert outsider.get(f"/api/v1/cases/{case.pk}").status_code == 404
    assert outsider.get("/api/v1/cases").json() == []
    assert post(outsider, f"/api/v1/cases/{case.pk}/transitions", {"action": "file", "reason": "x"}).status_code == 404
    assert post(outsider, f"/api/v1/approvals/{approval.pk}/decision", {"approve": True}).status_code == 404
    assert outsider.get("/api/v1/approvals").json() == []
    jizhou_leader = OfficerFactory(username="jizhou_leader", organization=city.branch_b, role=Role.LEADER)
    assert city.api(jizhou_leader).get("/api/v1/approvals").json() == []
    approval.refresh_from_db()
    assert approval.status == "pending"


def test_a_helper_from_another_unit_sees_and_works_the_case(city):
    case = open_case(city)
    case.helpers.add(city.outsider)
    api = city.api(city.outsider)
    assert api.get(f"/api/v1/cases/{case.pk}").status_code == 200
    assert [c["id"] for c in api.get("/api/v1/cases").json()] == [case.pk]


@pytest.mark.parametrize(
    ("payload", "field", "status"),
    [
        ({"kind": "criminal"}, "title", 400),
        ({"kind": "criminal", "title": "  "}, "title", 400),
        ({"kind": "civil", "title": "x"}, "kind", 400),
        ({"kind": "criminal", "title": "x" * 121}, "title", 400),
        ({"kind": "criminal", "title": "x", "incident_id": 999999}, "incident_id", 400),
        ({"kind": "criminal", "title": "x", "lead_investigator_id": "abc"}, "lead_investigator_id", 400),
    ],
)
def test_it_rejects_bad_case_input_and_writes_nothing(city, payload, field, status):
    counts = (Case.objects.count(), AuditEntry.objects.count())
    response = post(city.api(city.station_officer), "/api/v1/cases", payload)
    assert response.status_code == status
    assert response.json()["detail"][0]["field"] == field
    assert (Case.objects.count(), AuditEntry.objects.count()) == counts


def test_a_patrol_officer_cannot_open_a_case(city):
    response = post(city.api(city.patrol_officer), "/api/v1/cases", {"kind": "criminal", "title": "x"})
    assert response.status_code == 403
    assert not Case.objects.exists()


def test_it_lists_cases_in_a_constant_number_of_queries(city):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = city.api(city.station_officer)
    open_case(city)
    api.get("/api/v1/cases")  # the first use of a token also stamps last_used_at

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/api/v1/cases").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for _ in range(20):
        open_case(city)
    assert len(api.get("/api/v1/cases").json()) == 21
    assert count() == few <= 3


def test_case_pages_are_scoped(city, branch_leader):
    case = open_case(city)
    outsider = city.login(city.outsider)
    assert outsider.get(f"/cases/{case.pk}/").status_code == 404
    assert outsider.post(f"/cases/{case.pk}/transition/", {"action": "file", "reason": "x"}).status_code == 404
    assert case.number not in outsider.get("/cases/").content.decode()
    assert outsider.get("/approvals/").status_code == 403  # not an approver
    own = city.login(city.station_officer)
    assert case.number in own.get("/cases/").content.decode()
    page = own.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="action-file"' in page
    assert (
        own.post(f"/cases/{case.pk}/transition/", {"action": "solve"}).status_code == 400
    )  # not allowed: named, no 500
    _c, approval = ChangeCaseStatus(case=case, action="file", by=city.station_officer, reason="立案").execute()
    jizhou_leader = OfficerFactory(username="jizhou_leader", organization=city.branch_b, role=Role.LEADER)
    other = city.login(jizhou_leader)
    assert other.post(f"/approvals/{approval.pk}/decide/", {"decision": "approve"}).status_code == 404
    approval.refresh_from_db()
    assert approval.status == "pending"


def test_it_sets_helpers_who_then_see_the_case(city):
    case = open_case(city)
    colleague = OfficerFactory(username="colleague", organization=city.station_a1, role=Role.STATION)
    api = city.api(city.station_officer)
    response = api.put(
        f"/api/v1/cases/{case.pk}/helpers", json.dumps({"officer_ids": [colleague.pk]}), content_type="application/json"
    )
    assert response.status_code == 200
    assert list(case.helpers.all()) == [colleague]
    # an officer outside the unit cannot be picked by a station officer; nothing changes
    response = api.put(
        f"/api/v1/cases/{case.pk}/helpers",
        json.dumps({"officer_ids": [city.outsider.pk]}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "officer_ids"
    assert list(case.helpers.all()) == [colleague]
    client = city.login(city.station_officer)
    assert client.post(f"/cases/{case.pk}/helpers/", {"badges": colleague.badge_number}).status_code == 302
    assert client.post(f"/cases/{case.pk}/helpers/", {"badges": "999999"}).status_code == 400


def test_a_case_takes_its_category_from_the_incident_or_from_a_code(city, call_data):
    incident = ReceiveCall(by=city.dispatcher, data=call_data).execute()[0]
    from_incident = OpenCase(by=city.station_officer, kind="administrative", title="甲", incident=incident).execute()
    assert from_incident.category.code == call_data["category"]
    client = city.api(city.station_officer)
    created = client.post(
        "/api/v1/cases", {"kind": "criminal", "title": "乙", "category": "0114"}, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    assert Case.objects.get(pk=created.json()["id"]).category.code == "0114"
    bad = client.post(
        "/api/v1/cases", {"kind": "criminal", "title": "丙", "category": "9999"}, content_type="application/json"
    )
    assert bad.status_code == 400
    assert bad.json()["detail"][0]["field"] == "category"
    assert not Case.objects.filter(title="丙").exists()

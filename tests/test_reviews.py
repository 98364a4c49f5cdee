"""案件评查 (rubric scores, rectification) and 集体议案 (attendees, decision, dissent)."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from anmin.cases.actions import OpenCase
from anmin.core.models import AuditEntry
from anmin.org.models import Role
from anmin.reviews.models import CaseReview, Deliberation, Rectification
from tests.factories import OfficerFactory


def post(client, url, data):
    return client.post(url, json.dumps(data, default=str), content_type="application/json")


@pytest.fixture
def legal(city):
    return OfficerFactory(username="fazhi", organization=city.bureau, role=Role.LEGAL)


@pytest.fixture
def case(city):
    return OpenCase(by=city.station_officer, kind="criminal", title="评查测试案").execute()


def test_a_legal_supervisor_scores_a_case_and_rectification_follows(city, legal, case):
    findings = [
        {"item": "evidence", "deduction": 6, "note": "现场勘验笔录缺少见证人签名"},
        {"item": "records", "deduction": 0, "note": "信息录入及时"},
    ]
    response = post(city.api(legal), f"/api/v1/cases/{case.pk}/reviews", {"findings": findings, "summary": "基本规范"})
    assert response.status_code == 201
    body = response.json()
    assert body["score"] == 94
    assert [f["rectification_due"] is not None for f in body["findings"]] == [True, False]
    task = Rectification.objects.get()
    assert task.assignee == city.station_officer
    assert task.due_date == timezone.localdate() + timedelta(days=15)
    response = post(city.api(city.station_officer), f"/api/v1/rectifications/{task.pk}/complete", {"note": "已补签"})
    assert response.status_code == 200
    assert response.json()["rectified_at"]
    assert (
        post(city.api(city.station_officer), f"/api/v1/rectifications/{task.pk}/complete", {"note": "x"}).status_code
        == 400
    )


@pytest.mark.parametrize(
    ("findings", "field"),
    [
        ([{"item": "evidence", "deduction": 21, "note": "超过上限"}], "findings.0.deduction"),
        ([{"item": "nonsense", "deduction": 1, "note": "x"}], "findings.0.item"),
        ([{"item": "evidence", "deduction": -1, "note": "x"}], "findings.0.deduction"),
        ([{"item": "evidence", "deduction": 1, "note": " "}], "findings.0.note"),
        (
            [{"item": "evidence", "deduction": 1, "note": "a"}, {"item": "evidence", "deduction": 1, "note": "b"}],
            "findings.1.item",
        ),
    ],
)
def test_it_refuses_a_bad_finding_and_writes_nothing(city, legal, case, findings, field):
    counts = (CaseReview.objects.count(), AuditEntry.objects.count())
    response = post(city.api(legal), f"/api/v1/cases/{case.pk}/reviews", {"findings": findings})
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == field
    assert (CaseReview.objects.count(), AuditEntry.objects.count()) == counts


def test_only_legal_supervisors_and_leaders_review(city, case):
    response = post(city.api(city.station_officer), f"/api/v1/cases/{case.pk}/reviews", {"findings": []})
    assert response.status_code == 403
    assert post(city.api(city.outsider), f"/api/v1/cases/{case.pk}/reviews", {"findings": []}).status_code == 404


def test_scores_per_organization_and_investigator(city, legal, case):
    other = OpenCase(by=city.station_officer, kind="criminal", title="另一案").execute()
    api = city.api(legal)
    post(api, f"/api/v1/cases/{case.pk}/reviews", {"findings": [{"item": "documents", "deduction": 10, "note": "x"}]})
    post(api, f"/api/v1/cases/{other.pk}/reviews", {"findings": []})
    by_org = api.get("/api/v1/reviews/scores", {"by": "organization"}).json()
    assert by_org == [{"key": city.station_a1.pk, "name": "河西派出所", "reviews": 2, "average": 95.0}]
    by_person = api.get("/api/v1/reviews/scores", {"by": "investigator"}).json()
    assert [(r["key"], r["average"]) for r in by_person] == [(city.station_officer.pk, 95.0)]
    assert city.api(city.outsider).get("/api/v1/reviews/scores").json() == []
    assert api.get("/api/v1/reviews/scores", {"by": "weather"}).status_code == 400


def test_a_collective_deliberation_keeps_attendees_decision_and_dissent(city, case):
    members = [city.station_officer, city.patrol_officer, OfficerFactory(organization=city.station_a1)]
    payload = {
        "held_at": (timezone.now() - timedelta(hours=2)).isoformat(),
        "location": "所会议室",
        "chair_id": members[0].pk,
        "attendee_ids": [m.pk for m in members],
        "question": "是否提请批准逮捕",
        "decision": "同意提请批准逮捕",
        "dissent": "张某认为证据尚不充分",
    }
    response = post(city.api(city.station_officer), f"/api/v1/cases/{case.pk}/deliberations", payload)
    assert response.status_code == 201
    assert response.json()["dissent"] == "张某认为证据尚不充分"
    assert len(response.json()["attendees"]) == 3
    assert case.events.filter(label="集体议案").exists()
    listed = city.api(city.station_officer).get(f"/api/v1/cases/{case.pk}/deliberations").json()
    assert [d["decision"] for d in listed] == ["同意提请批准逮捕"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"attendee_ids": "two"}, "attendee_ids"),
        ({"decision": " "}, "decision"),
        ({"held_at": "2099-01-01T00:00:00+08:00"}, "held_at"),
    ],
)
def test_it_refuses_a_bad_deliberation(city, case, change, field):
    members = [city.station_officer, city.patrol_officer, OfficerFactory(organization=city.station_a1)]
    payload = {
        "held_at": (timezone.now() - timedelta(hours=2)).isoformat(),
        "chair_id": members[0].pk,
        "attendee_ids": [m.pk for m in members],
        "question": "议题",
        "decision": "决定",
    } | change
    response = post(city.api(city.station_officer), f"/api/v1/cases/{case.pk}/deliberations", payload)
    assert 400 <= response.status_code < 500
    assert response.json()["detail"][0]["field"] == field
    assert not Deliberation.objects.exists()


def test_a_deliberation_needs_three_attendees(city, case):
    payload = {
        "held_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "chair_id": city.station_officer.pk,
        "attendee_ids": [city.station_officer.pk, city.patrol_officer.pk],
        "question": "议题",
        "decision": "决定",
    }
    response = post(city.api(city.station_officer), f"/api/v1/cases/{case.pk}/deliberations", payload)
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "attendees"


def test_the_case_page_records_a_review_and_a_deliberation(city, legal, case):
    client = city.login(legal)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="review-form"' in page
    response = client.post(
        f"/cases/{case.pk}/review/", {"deduct-evidence": "5", "note-evidence": "缺少见证人签名", "summary": "尚可"}
    )
    assert response.status_code == 302
    assert CaseReview.objects.get().score == 95
    client.post(f"/cases/{case.pk}/review/", {"deduct-evidence": "x"})
    assert CaseReview.objects.count() == 1  # a bad deduction writes nothing
    officer = city.login(city.station_officer)
    assert 'id="review-form"' not in officer.get(f"/cases/{case.pk}/").content.decode()
    third = OfficerFactory(organization=city.station_a1)
    badges = ",".join(o.badge_number for o in (city.station_officer, city.patrol_officer, third))
    held = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    data = {"held_at": held, "badges": badges, "question": "是否移送起诉", "decision": "同意", "dissent": ""}
    assert officer.post(f"/cases/{case.pk}/deliberation/", data).status_code == 302
    assert Deliberation.objects.get().chair == city.station_officer
    assert city.login(city.outsider).post(f"/cases/{case.pk}/deliberation/", data).status_code == 404
    assert Deliberation.objects.count() == 1

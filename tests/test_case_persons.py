"""Persons involved (ID numbers validated, masked, audited when shown) and coercive measures."""

import json

import pytest

from anmin.cases.actions import DecideApproval, OpenCase, TakeMeasure
from anmin.cases.models import CasePerson, Measure
from anmin.core.errors import Denied
from anmin.core.models import AuditEntry
from anmin.org.models import Role
from tests.factories import OfficerFactory

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def with_check(first17: str) -> str:
    """ISO 7064 MOD 11-2, written out independently of the code under test."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


VALID = with_check("13110219850612301")  # a man (odd 17th digit) from 桃城区, born 1985-06-12


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


@pytest.fixture
def case(city):
    return OpenCase(by=city.station_officer, kind="criminal", title="李某盗窃案").execute()


@pytest.fixture
def api(city):
    return city.api(city.station_officer)


def test_it_registers_a_person_with_a_valid_id_number_and_shows_it_masked(city, case, api):
    response = post(api, f"/api/v1/cases/{case.pk}/persons", {"role": "suspect", "name": "李某", "id_number": VALID})
    assert response.status_code == 201
    body = response.json()
    assert body["id_number"] == VALID[:6] + "********" + VALID[-4:]
    assert body["sex"] == "male"
    assert body["birth_date"] == "1985-06-12"
    listed = api.get(f"/api/v1/cases/{case.pk}/persons").json()
    assert [p["id_number"] for p in listed] == [body["id_number"]]
    assert VALID not in api.get(f"/api/v1/cases/{case.pk}").content.decode()


def test_showing_an_id_number_in_full_is_an_audit_event(city, case, api):
    person_id = post(api, f"/api/v1/cases/{case.pk}/persons", {"role": "victim", "name": "王某", "id_number": VALID})
    person_id = person_id.json()["id"]
    before = AuditEntry.objects.filter(action="pii.reveal").count()
    response = api.get(f"/api/v1/cases/{case.pk}/persons/{person_id}/id-number")
    assert response.json() == {"id_number": VALID}
    entry = AuditEntry.objects.filter(action="pii.reveal").latest("id")
    assert AuditEntry.objects.filter(action="pii.reveal").count() == before + 1
    assert entry.actor == city.station_officer
    assert city.api(city.outsider).get(f"/api/v1/cases/{case.pk}/persons/{person_id}/id-number").status_code == 404


def test_it_upgrades_a_15_digit_number(case, api):
    old = "131102850612301"
    body = post(api, f"/api/v1/cases/{case.pk}/persons", {"role": "witness", "name": "赵某", "id_number": old}).json()
    assert CasePerson.objects.get(pk=body["id"]).id_number == with_check("13110219850612301")


@pytest.mark.parametrize(
    ("number", "code"),
    [
        (VALID[:-1] + ("0" if VALID[-1] != "0" else "1"), "check_digit"),
        (with_check("13110219990230301"), "birth_date"),  # 30 February
        (with_check("99999919850612301"), "division"),
        ("13110219850612", "format"),
        ("1311021985061230AB", "format"),
    ],
)
def test_it_rejects_a_bad_id_number_naming_the_field(case, api, number, code):
    counts = (CasePerson.objects.count(), AuditEntry.objects.count())
    response = post(api, f"/api/v1/cases/{case.pk}/persons", {"role": "suspect", "name": "某", "id_number": number})
    assert response.status_code == 400
    item = response.json()["detail"][0]
    assert (item["field"], item["code"]) == ("id_number", code)
    assert (CasePerson.objects.count(), AuditEntry.objects.count()) == counts


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"role": "judge", "name": "某"}, "role"),
        ({"role": "victim", "name": " "}, "name"),
        ({"role": "victim", "name": "某", "phone": "abc"}, "phone"),
    ],
)
def test_it_rejects_other_bad_person_input(case, api, payload, field):
    response = post(api, f"/api/v1/cases/{case.pk}/persons", payload)
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == field
    assert not CasePerson.objects.exists()


@pytest.fixture
def suspect(case, api):
    body = post(api, f"/api/v1/cases/{case.pk}/persons", {"role": "suspect", "name": "李某", "id_number": VALID})
    return CasePerson.objects.get(pk=body.json()["id"])


def test_a_summons_takes_effect_at_once(case, api, suspect):
    response = post(api, f"/api/v1/cases/{case.pk}/measures", {"person_id": suspect.pk, "kind": "summons"})
    assert response.status_code == 201
    assert response.json()["status"] == "active"
    assert response.json()["started_at"]


def test_detention_waits_for_another_leaders_approval(city, case, api, suspect):
    response = post(
        api, f"/api/v1/cases/{case.pk}/measures", {"person_id": suspect.pk, "kind": "detention", "reason": "现行犯"}
    )
    assert response.status_code == 202
    measure = Measure.objects.get(pk=response.json()["id"])
    assert (measure.status, measure.started_at) == ("requested", None)
    approval = measure.approvals.get()
    with pytest.raises(Denied):  # an investigator cannot approve
        DecideApproval(approval=approval, approve=True, by=city.station_officer).execute()
    leader = OfficerFactory(username="taocheng_leader", organization=city.branch_a, role=Role.LEADER)
    inbox = city.api(leader).get("/api/v1/approvals").json()
    assert [a["label"] for a in inbox] == ["拘留"]
    post(city.api(leader), f"/api/v1/approvals/{approval.pk}/decision", {"approve": True})
    measure.refresh_from_db()
    assert measure.status == "active"
    assert measure.started_at is not None
    response = post(api, f"/api/v1/measures/{measure.pk}/end", {"note": "变更为取保候审"})
    assert response.json()["status"] == "ended"
    assert post(api, f"/api/v1/measures/{measure.pk}/end", {}).status_code == 400  # already ended


def test_a_leader_cannot_approve_their_own_detention_request(city, suspect, case):
    leader = OfficerFactory(username="taocheng_leader", organization=city.branch_a, role=Role.LEADER)
    _m, approval = TakeMeasure(case=case, person=suspect, kind="detention", by=leader, reason="现行犯").execute()
    with pytest.raises(Denied):
        DecideApproval(approval=approval, approve=True, by=leader).execute()


@pytest.mark.parametrize(
    ("payload", "field", "status"),
    [
        ({"kind": "torture"}, "kind", 400),
        ({"kind": "detention"}, "reason", 400),  # a request needs its reason
        ({"kind": "summons", "person_id": 999999}, "person_id", 400),
        ({"kind": "summons", "person_id": "x"}, "person_id", 400),
    ],
)
def test_it_rejects_bad_measures(case, api, suspect, payload, field, status):
    payload = {"person_id": suspect.pk} | payload
    response = post(api, f"/api/v1/cases/{case.pk}/measures", payload)
    assert response.status_code == status
    assert response.json()["detail"][0]["field"] == field
    assert not Measure.objects.exists()


def test_criminal_measures_are_for_criminal_cases_and_summons_for_public_order(city, api, case, suspect):
    admin = OpenCase(by=city.station_officer, kind="administrative", title="殴打他人案").execute()
    person = post(api, f"/api/v1/cases/{admin.pk}/persons", {"role": "suspect", "name": "某"}).json()
    response = post(api, f"/api/v1/cases/{admin.pk}/measures", {"person_id": person["id"], "kind": "summons"})
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "kind"
    response = post(api, f"/api/v1/cases/{case.pk}/measures", {"person_id": suspect.pk, "kind": "admin_summons"})
    assert response.status_code == 400
    assert "行政案件" in response.json()["detail"][0]["message"]


def test_a_public_order_summons_starts_the_8_hour_questioning_clock(city, api):
    from datetime import timedelta

    from anmin.supervision.models import Clock

    admin = OpenCase(by=city.station_officer, kind="administrative", title="殴打他人案").execute()
    person = post(api, f"/api/v1/cases/{admin.pk}/persons", {"role": "suspect", "name": "某"}).json()
    response = post(api, f"/api/v1/cases/{admin.pk}/measures", {"person_id": person["id"], "kind": "admin_summons"})
    assert response.status_code == 201
    measure = Measure.objects.get(pk=response.json()["id"])
    clock = Clock.objects.get(measure=measure)
    assert clock.rule.code == "admin_inquiry"
    assert clock.due_at - measure.started_at == timedelta(hours=8)
    post(api, f"/api/v1/measures/{measure.pk}/end", {"note": "询问完毕"})
    clock.refresh_from_db()
    assert clock.stopped_at is not None


def test_the_case_page_registers_masks_and_reveals_a_person(city, case):
    client = city.login(city.station_officer)
    response = client.post(f"/cases/{case.pk}/persons/", {"role": "suspect", "name": "李某", "id_number": VALID})
    assert response.status_code == 302
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert VALID[:6] + "********" + VALID[-4:] in page
    assert VALID not in page
    person = CasePerson.objects.get()
    page = client.post(f"/cases/{case.pk}/persons/reveal/", {"person": person.pk}).content.decode()
    assert VALID in page
    assert AuditEntry.objects.filter(action="pii.reveal", object_id=str(person.pk)).exists()
    response = client.post(f"/cases/{case.pk}/persons/", {"role": "suspect", "name": "某", "id_number": "123"})
    assert response.status_code == 400
    assert "身份证" in response.content.decode()
    assert CasePerson.objects.count() == 1

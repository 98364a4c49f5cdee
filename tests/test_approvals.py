"""审批, the one workflow cases and seized property share (anmin.core.approvals): each rule is tested
once, through both domains, on the actions and on the API.

A case's request is a 立案 (file) asked by the investigator; a property request is a 调用出库 (lend)
of an item in the store. Both are decided by a leader other than the one who asked.
"""

import json
from dataclasses import dataclass
from typing import Any

import pytest

from anmin.cases.actions import ChangeCaseStatus, DecideApproval, OpenCase
from anmin.cases.models import ApprovalRequest
from anmin.core.errors import ActionError, Conflict, Denied
from anmin.core.models import AuditEntry, verify_chain
from anmin.org.models import Role
from anmin.property.actions import DecidePropertyApproval, RecordCustody, RegisterItem, RequestPropertyApproval
from anmin.property.models import PropertyApproval
from tests.factories import OfficerFactory
from tests.test_concurrency import in_thread, run_together


@dataclass
class Domain:
    """How to file a request of one domain and which action and API decide it."""

    name: str
    decide: Any
    model: Any
    audit_code: str
    api: str

    def ask(self, city, by=None):
        by = by or city.station_officer
        case = OpenCase(by=by, kind="criminal", title="王某盗窃电动车案").execute()
        if self.name == "case":
            return ChangeCaseStatus(case=case, action="file", reason="有犯罪事实需要追究刑事责任", by=by).execute()[1]
        item = RegisterItem(
            by=by, case=case, kind="electronics", description="黑色华为手机一部", quantity="1"
        ).execute()
        RecordCustody(item=item, action="hand_over", counterpart="保管员 李某", by=by).execute()
        RecordCustody(item=item, action="store", location="物证室 A-03", by=by).execute()
        return RequestPropertyApproval(item=item, action="lend", reason="鉴定", by=by).execute()

    def ask_again(self, approval, by):
        if self.name == "case":
            return ChangeCaseStatus(case=approval.case, action="file", reason="再次申请", by=by).execute()
        return RequestPropertyApproval(item=approval.item, action="lend", reason="再次申请", by=by).execute()


CASES = Domain("case", DecideApproval, ApprovalRequest, "approval.decide", "/api/v1/approvals")
PROPERTY = Domain(
    "property", DecidePropertyApproval, PropertyApproval, "property.approval.decide", "/api/v1/property/approvals"
)
DOMAINS = pytest.mark.parametrize("domain", [CASES, PROPERTY], ids=lambda d: d.name)


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


@pytest.fixture
def branch_leader(city):
    return OfficerFactory(username="taocheng_leader", organization=city.branch_a, role=Role.LEADER)


def decisions(domain) -> int:
    return AuditEntry.objects.filter(action=domain.audit_code).count()


@DOMAINS
def test_it_refuses_self_approval(city, domain, branch_leader):
    approval = domain.ask(city, by=branch_leader)
    assert city.api(branch_leader).get(domain.api).json() == []
    response = post(city.api(branch_leader), f"{domain.api}/{approval.pk}/decision", {"approve": True})
    assert response.status_code == 403
    assert response.json()["detail"][0]["code"] == "self_approval"
    with pytest.raises(Denied):
        domain.decide(approval=approval, approve=True, by=branch_leader).execute()
    approval.refresh_from_db()
    assert (approval.status, approval.decided_by, decisions(domain)) == ("pending", None, 0)
    # Another leader with the matter in scope sees it in the inbox and may decide it.
    assert [a["id"] for a in city.api(city.leader).get(domain.api).json()] == [approval.pk]
    domain.decide(approval=approval, approve=True, by=city.leader).execute()
    approval.refresh_from_db()
    assert (approval.status, approval.decided_by) == ("approved", city.leader)


@DOMAINS
def test_it_refuses_an_officer_without_an_approving_role(city, domain):
    approval = domain.ask(city)
    colleague = OfficerFactory(username="colleague", organization=city.station_a1, role=Role.STATION)
    with pytest.raises(Denied):
        domain.decide(approval=approval, approve=True, by=colleague).execute()
    assert city.api(colleague).get(domain.api).json() == []
    assert post(city.api(colleague), f"{domain.api}/{approval.pk}/decision", {"approve": True}).status_code == 403
    approval.refresh_from_db()
    assert (approval.status, decisions(domain)) == ("pending", 0)


@DOMAINS
def test_it_denies_a_leader_of_another_branch(city, domain):
    approval = domain.ask(city)
    other_leader = OfficerFactory(username="jizhou_leader", organization=city.branch_b, role=Role.LEADER)
    with pytest.raises(Denied):
        domain.decide(approval=approval, approve=True, by=other_leader).execute()
    assert city.api(other_leader).get(domain.api).json() == []
    # Outside their scope the request does not exist for them, as any object they cannot see.
    assert post(city.api(other_leader), f"{domain.api}/{approval.pk}/decision", {"approve": True}).status_code == 404
    approval.refresh_from_db()
    assert approval.status == "pending"


@DOMAINS
def test_it_decides_a_request_only_once(city, domain, branch_leader):
    approval = domain.ask(city)
    url = f"{domain.api}/{approval.pk}/decision"
    response = post(city.api(branch_leader), url, {"approve": False})
    assert (response.status_code, response.json()["detail"][0]["field"]) == (400, "note")  # a refusal says why
    response = post(city.api(branch_leader), url, {"approve": False, "note": "证据不足"})
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert response.json()["decided_by"] and response.json()["decision_note"] == "证据不足"
    for leader, approve in ((city.leader, True), (branch_leader, False)):
        with pytest.raises(ActionError) as caught:
            domain.decide(approval=approval, approve=approve, by=leader, note="改为批准").execute()
        assert caught.value.code == "decided"
    response = post(city.api(city.leader), url, {"approve": True})
    assert (response.status_code, response.json()["detail"][0]["code"]) == (400, "decided")
    approval.refresh_from_db()
    assert (approval.status, approval.decided_by, decisions(domain)) == ("rejected", branch_leader, 1)


@DOMAINS
def test_it_refuses_a_second_open_request_for_the_same_matter(city, domain):
    approval = domain.ask(city)
    with pytest.raises(Conflict):
        domain.ask_again(approval, by=city.station_officer)
    assert domain.model.objects.count() == 1


@DOMAINS
def test_it_refuses_a_malformed_decision(city, domain, branch_leader):
    approval = domain.ask(city)
    url = f"{domain.api}/{approval.pk}/decision"
    for body in ({}, {"approve": "maybe"}, {"approve": True, "note": "x" * 2001}):
        assert post(city.api(branch_leader), url, body).status_code == 400, body
    assert post(city.api(branch_leader), f"{domain.api}/{2**63}/decision", {"approve": True}).status_code == 400
    with pytest.raises(ActionError) as caught:
        domain.decide(approval=approval, approve="yes", by=branch_leader).execute()
    assert caught.value.field == "approve"
    approval.refresh_from_db()
    assert approval.status == "pending"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@DOMAINS
def test_it_lets_one_of_two_concurrent_decisions_win(city, domain, branch_leader):
    approval = in_thread(lambda: domain.ask(city))

    def decide(leader, approve):
        return lambda: domain.decide(approval=approval, approve=approve, by=leader, note="意见").execute()

    outcomes = run_together(decide(city.leader, True), decide(branch_leader, False))
    won = [value for outcome, value in outcomes if outcome == "ok"]
    lost = [value for outcome, value in outcomes if outcome == "error"]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert isinstance(lost[0], ActionError) and lost[0].code == "decided", lost[0]
    approval.refresh_from_db()
    assert (approval.status, approval.decided_by_id) == (won[0].status, won[0].decided_by_id)
    assert decisions(domain) == 1
    checked, bad, reason = verify_chain()
    assert bad is None, reason

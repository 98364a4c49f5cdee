"""实名认证: the population register decides (a pluggable verifier), a verified identity is locked
and changes only through a 派出所's review, "already registered" is not told apart from a mismatch,
and checks are limited per citizen and per address, also under concurrency."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client
from django.utils import timezone

from anmin.citizens import sms
from anmin.citizens.actions import (
    Decision,
    RequestIdentityChange,
    ReviewIdentityChange,
    VerifyRealName,
)
from anmin.citizens.models import Citizen, IdentityChangeRequest, IdentityChangeStatus, RealNameAttempt
from anmin.citizens.realname import (
    DemoVerifier,
    PopulationServiceVerifier,
    Verdict,
    VerifierUnavailable,
    demo_identities,
)
from anmin.core.errors import ActionError
from anmin.core.models import AuditEntry
from anmin.org.models import Role
from tests.conftest import portal_client
from tests.factories import OfficerFactory
from tests.realname import TestVerifier
from tests.test_concurrency import in_thread, run_together


def prime_audit_head():
    """The trail's head row exists before the threads race (the first entry ever creates it)."""
    from anmin.core.audit import security_event

    security_event("test.prime")


pytestmark = pytest.mark.django_db

NUMBER = "110105194912310038"
REFUSED_WORDS = "无法完成实名认证"


def valid_number(body17: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body17 + "10X98765432"[sum(int(d) * w for d, w in zip(body17, weights, strict=True)) % 11]


SECOND = valid_number("13110219880808123")


@pytest.fixture(autouse=True)
def _register():
    TestVerifier.reset()
    sms.OUTBOX.clear()
    yield
    TestVerifier.reset()


def fresh_citizen(phone="13800001111") -> Citizen:
    return Citizen.objects.create(phone=phone)


def verify(citizen, name="李四", number=NUMBER, ip=None):
    return VerifyRealName(citizen=citizen, name=name, id_number=number, ip=ip).execute()


# --- the verifiers ----------------------------------------------------------------------------------


def test_the_demo_verifier_accepts_the_demo_identities_only(settings):
    settings.DEBUG = True
    name, number = sorted(demo_identities())[0]
    assert DemoVerifier().verify(name, number) == Verdict(True)
    refused = DemoVerifier().verify("李某", number)
    assert not refused.ok and refused.reason == "姓名与身份证号码不匹配"
    assert len(demo_identities()) >= 5


def test_the_demo_verifier_refuses_to_run_in_production(settings, citizen):
    settings.DEBUG = False
    with pytest.raises(ImproperlyConfigured, match="REALNAME_VERIFIER"):
        DemoVerifier()
    settings.REALNAME_VERIFIER = "anmin.citizens.realname.DemoVerifier"
    assert [e.id for e in checks.run_checks() if e.id == "anmin.E032"] == ["anmin.E032"]
    citizen.verified_at = None
    citizen.save()
    with pytest.raises(ActionError) as caught:
        verify(citizen)
    assert caught.value.status == 503 and caught.value.message == "核验服务暂不可用，请稍后再试"
    settings.DEBUG = True
    assert not [e for e in checks.run_checks() if e.id == "anmin.E032"]


def test_an_identity_the_register_does_not_know_is_refused_and_audited():
    citizen = fresh_citizen()
    TestVerifier.refused.add(NUMBER)
    with pytest.raises(ActionError) as caught:
        verify(citizen)
    assert (caught.value.field, caught.value.code) == ("id_number", "refused")
    assert REFUSED_WORDS in caught.value.message
    citizen.refresh_from_db()
    assert not citizen.is_verified and citizen.id_number == "" and citizen.name == ""
    entry = AuditEntry.objects.get(action="citizen.verify")
    assert entry.result == "failed" and entry.data == {"reason": "mismatch"}
    assert TestVerifier.calls == [("李四", NUMBER)]


def test_a_number_verified_on_another_account_gets_the_answer_of_a_mismatch(citizen):
    TestVerifier.refused.add(SECOND)
    with pytest.raises(ActionError) as mismatch:
        verify(fresh_citizen("13800001111"), name="王五", number=SECOND)
    with pytest.raises(ActionError) as taken:
        verify(fresh_citizen("13800002222"), name="张三", number=citizen.id_number)
    assert (taken.value.message, taken.value.code, taken.value.field, taken.value.status) == (
        mismatch.value.message,
        mismatch.value.code,
        mismatch.value.field,
        mismatch.value.status,
    )
    assert citizen.id_number not in taken.value.message and "其他" not in taken.value.message
    reasons = list(AuditEntry.objects.filter(action="citizen.verify").order_by("id").values_list("data", flat=True))
    assert reasons == [{"reason": "mismatch"}, {"reason": "taken"}]  # the auditor can tell them apart


def test_the_page_does_not_tell_whether_a_number_is_registered(citizen):
    TestVerifier.refused.add(SECOND)
    pages = []
    for phone, name, number in (("13800001111", "王五", SECOND), ("13800002222", "张三", citizen.id_number)):
        response = portal_client(fresh_citizen(phone)).post("/portal/me/", {"name": name, "id_number": number})
        body = response.content.decode()
        assert response.status_code == 400 and REFUSED_WORDS in body and number not in body
        pages.append(body.split('role="alert"')[1].split("</div>")[0])
    assert pages[0] == pages[1]


def test_a_verified_identity_is_locked(citizen):
    with pytest.raises(ActionError) as caught:
        verify(citizen, name="张三", number=NUMBER)
    assert caught.value.message == "已完成实名认证，如需变更请提交变更申请" and caught.value.status == 409
    response = portal_client(citizen).post("/portal/me/", {"name": "李四", "id_number": NUMBER})
    assert response.status_code == 409 and "如需变更请提交变更申请" in response.content.decode()
    citizen.refresh_from_db()
    assert (citizen.name, citizen.id_number) == ("张三", "11010519491231002X")
    assert TestVerifier.calls == []  # not even asked, and not counted
    assert not RealNameAttempt.objects.exists()


def test_verification_succeeds_once_and_is_audited():
    citizen = fresh_citizen()
    done = verify(citizen, ip="10.0.0.1")
    assert done.is_verified and (done.name, done.id_number) == ("李四", NUMBER)
    assert Citizen.objects.by_id_number(NUMBER).get() == citizen
    entry = AuditEntry.objects.get(action="citizen.verify")
    assert entry.result == "ok" and entry.actor_label.startswith(f"citizen#{citizen.pk}")


# --- attempts ---------------------------------------------------------------------------------------


def test_checks_are_limited_per_citizen_a_day(settings):
    settings.REALNAME_ATTEMPTS_PER_DAY = 3
    citizen = fresh_citizen()
    TestVerifier.refused.add(NUMBER)
    for _ in range(3):
        with pytest.raises(ActionError) as caught:
            verify(citizen)
        assert caught.value.code == "refused"
    with pytest.raises(ActionError) as caught:
        verify(citizen)
    assert caught.value.code == "rate_limited" and caught.value.status == 429
    TestVerifier.refused.clear()
    with pytest.raises(ActionError):
        verify(citizen)  # even the right identity, today
    assert len(TestVerifier.calls) == 3
    response = portal_client(citizen).post("/portal/me/", {"name": "李四", "id_number": NUMBER})
    assert response.status_code == 429 and "今日实名认证次数已用完" in response.content.decode()


def test_bad_input_is_not_counted(settings):
    settings.REALNAME_ATTEMPTS_PER_DAY = 1
    citizen = fresh_citizen()
    for number in ("110105194912310021", "12345"):
        with pytest.raises(ActionError) as caught:
            verify(citizen, number=number)
        assert caught.value.field == "id_number" and caught.value.code != "rate_limited"
    assert verify(citizen).is_verified


def test_checks_are_limited_per_address_across_accounts(settings):
    settings.REALNAME_ATTEMPTS_PER_DAY = 2
    TestVerifier.refused.add(NUMBER)
    for phone in ("13800000001", "13800000002"):
        with pytest.raises(ActionError) as caught:
            verify(fresh_citizen(phone), ip="10.9.9.9")
        assert caught.value.code == "refused"
    with pytest.raises(ActionError) as caught:
        verify(fresh_citizen("13800000003"), ip="10.9.9.9")
    assert caught.value.code == "rate_limited"
    with pytest.raises(ActionError) as caught:
        verify(fresh_citizen("13800000004"), ip="10.9.9.10")
    assert caught.value.code == "refused"  # another address has its own allowance


@pytest.mark.django_db(transaction=True)
def test_concurrent_checks_never_exceed_the_allowance(settings):
    settings.REALNAME_ATTEMPTS_PER_DAY = 5
    TestVerifier.refused.add(NUMBER)
    citizen = in_thread(lambda: Citizen.objects.create(phone="13800001111"))
    in_thread(prime_audit_head)
    threads = 20 if connection.vendor == "postgresql" else 10
    outcomes = run_together(*[lambda: verify(citizen)] * threads)
    codes = sorted(o[1].code for o in outcomes if o[0] == "error" and isinstance(o[1], ActionError))
    assert len(codes) == threads, outcomes
    assert codes.count("refused") == 5 and codes.count("rate_limited") == threads - 5
    assert len(TestVerifier.calls) == 5
    assert in_thread(lambda: RealNameAttempt.objects.get(key=f"citizen:{citizen.pk}").count) == 5


# --- the population service -------------------------------------------------------------------------


class FakeRegister:
    """A population service on localhost: answers with `reply` (status, body) after `delay` s."""

    def __init__(self, status=200, body=b'{"match": true}', delay=0.0):
        self.status, self.body, self.delay = status, body, delay
        self.requests: list[tuple[dict, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                outer.requests.append((json.loads(self.rfile.read(length)), self.headers.get("Authorization", "")))
                if outer.delay:
                    threading.Event().wait(outer.delay)
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(outer.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/verify"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def register(settings):
    made = []

    def make(**kwargs) -> FakeRegister:
        fake = FakeRegister(**kwargs)
        made.append(fake)
        settings.REALNAME_VERIFIER = "anmin.citizens.realname.PopulationServiceVerifier"
        settings.REALNAME_SERVICE_URL = fake.url
        settings.REALNAME_SERVICE_TIMEOUT = 0.5
        settings.REALNAME_SERVICE_TOKEN = "token-of-the-bureau"
        return fake

    yield make
    for fake in made:
        fake.close()


def test_the_population_service_is_asked_with_json(register):
    fake = register(body=b'{"match": true}')
    assert PopulationServiceVerifier().verify("李四", NUMBER) == Verdict(True)
    assert fake.requests == [({"name": "李四", "id_number": NUMBER}, "Bearer token-of-the-bureau")]
    fake.body = b'{"match": false}'
    assert PopulationServiceVerifier().verify("李四", NUMBER) == Verdict(False, "mismatch")


@pytest.mark.parametrize(
    ("status", "body", "delay"),
    [
        (500, b'{"match": true}', 0),  # an error page that happens to say match
        (200, b"<html>maintenance</html>", 0),
        (200, b'{"match": "yes"}', 0),
        (200, b"[true]", 0),
        (200, b'{"match": true}', 2.0),  # too late
    ],
    ids=["http-500", "not-json", "not-a-boolean", "not-an-object", "timeout"],
)
def test_the_population_service_fails_closed(register, status, body, delay):
    register(status=status, body=body, delay=delay)
    with pytest.raises(VerifierUnavailable):
        PopulationServiceVerifier().verify("李四", NUMBER)
    citizen = fresh_citizen()
    with pytest.raises(ActionError) as caught:
        verify(citizen)
    assert caught.value.status == 503 and caught.value.message == "核验服务暂不可用，请稍后再试"
    citizen.refresh_from_db()
    assert not citizen.is_verified


def test_an_unreachable_or_unset_service_fails_closed(settings):
    settings.REALNAME_VERIFIER = "anmin.citizens.realname.PopulationServiceVerifier"
    settings.REALNAME_SERVICE_TIMEOUT = 0.5
    for url in ("http://127.0.0.1:9/verify", "", "file:///etc/passwd"):
        settings.REALNAME_SERVICE_URL = url
        with pytest.raises(VerifierUnavailable):
            PopulationServiceVerifier().verify("李四", NUMBER)
    citizen = fresh_citizen()
    response = portal_client(citizen).post("/portal/me/", {"name": "李四", "id_number": NUMBER})
    assert response.status_code == 503 and "核验服务暂不可用" in response.content.decode()


# --- identity changes -------------------------------------------------------------------------------


def ask_change(citizen, city, number=NUMBER, name="张三丰"):
    return RequestIdentityChange(
        citizen=citizen, station=city.station_a1.pk, name=name, id_number=number, reason="户口登记姓名变更"
    ).execute()


def test_a_verified_citizen_asks_a_station_to_change_the_identity(city, citizen):
    change = ask_change(citizen, city)
    assert change.status == IdentityChangeStatus.PENDING and change.organization == city.station_a1
    citizen.refresh_from_db()
    assert (citizen.name, citizen.id_number) == ("张三", "11010519491231002X")  # unchanged meanwhile
    assert AuditEntry.objects.filter(action="citizen.identity_change.request").count() == 1
    with pytest.raises(ActionError) as caught:
        ask_change(citizen, city)
    assert caught.value.code == "pending"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"station": None}, "station"),
        ({"name": "x"}, "name"),
        ({"id_number": "110105194912310021"}, "id_number"),
        ({"reason": ""}, "reason"),
        ({"name": "张三", "id_number": "11010519491231002X"}, "id_number"),  # nothing changes
    ],
)
def test_a_bad_change_request_names_the_field(city, citizen, data, field):
    values = {"station": city.station_a1.pk, "name": "张三丰", "id_number": NUMBER, "reason": "更正"} | data
    if values["station"] is None:
        values["station"] = city.bureau.pk  # not a 派出所
    with pytest.raises(ActionError) as caught:
        RequestIdentityChange(citizen=citizen, **values).execute()
    assert caught.value.field == field
    assert not IdentityChangeRequest.objects.exists()


def test_an_unverified_citizen_cannot_ask_for_a_change(city):
    with pytest.raises(ActionError) as caught:
        ask_change(fresh_citizen(), city)
    assert caught.value.code == "not_verified"


def test_the_station_approves_and_the_register_is_asked_again(city, citizen, django_capture_on_commit_callbacks):
    change = ask_change(citizen, city)
    with django_capture_on_commit_callbacks(execute=True):
        done = ReviewIdentityChange(change=change, by=city.station_officer, decision=Decision.APPROVE).execute()
    assert done.status == IdentityChangeStatus.APPROVED and done.reviewed_by == city.station_officer
    citizen.refresh_from_db()
    assert (citizen.name, citizen.id_number) == ("张三丰", NUMBER) and citizen.is_verified
    assert TestVerifier.calls == [("张三丰", NUMBER)]
    assert "已通过" in sms.last_message(citizen.phone)
    entry = AuditEntry.objects.get(action="citizen.identity_change.approve")
    assert entry.actor == city.station_officer and NUMBER not in json.dumps(entry.data, ensure_ascii=False)


def test_approval_is_refused_when_the_register_disagrees(city, citizen):
    change = ask_change(citizen, city)
    TestVerifier.refused.add(NUMBER)
    with pytest.raises(ActionError) as caught:
        ReviewIdentityChange(change=change, by=city.station_officer, decision=Decision.APPROVE).execute()
    assert caught.value.code == "mismatch"
    change.refresh_from_db()
    assert change.is_pending
    citizen.refresh_from_db()
    assert citizen.id_number == "11010519491231002X"


def test_approval_is_refused_when_the_number_is_verified_on_another_account(city, citizen):
    change = ask_change(citizen, city)
    Citizen.objects.create(phone="13700001111", name="张三丰", id_number=NUMBER, verified_at=timezone.now())
    with pytest.raises(ActionError) as caught:
        ReviewIdentityChange(change=change, by=city.station_officer, decision=Decision.APPROVE).execute()
    assert caught.value.code == "taken" and caught.value.status == 409
    change.refresh_from_db()
    assert change.is_pending


def test_a_refusal_needs_a_reason_and_tells_the_citizen(city, citizen, django_capture_on_commit_callbacks):
    change = ask_change(citizen, city)
    with pytest.raises(ActionError) as caught:
        ReviewIdentityChange(change=change, by=city.leader, decision=Decision.REFUSE).execute()
    assert caught.value.field == "note"
    with django_capture_on_commit_callbacks(execute=True):
        ReviewIdentityChange(
            change=change, by=city.leader, decision=Decision.REFUSE, note="请携户口簿到所办理"
        ).execute()
    change.refresh_from_db()
    assert change.status == IdentityChangeStatus.REFUSED and change.review_note == "请携户口簿到所办理"
    assert "未通过：请携户口簿到所办理" in sms.last_message(citizen.phone)
    with pytest.raises(ActionError) as caught:
        ReviewIdentityChange(change=change, by=city.leader, decision=Decision.APPROVE).execute()
    assert caught.value.code == "reviewed"
    assert TestVerifier.calls == [("张三丰", NUMBER)]  # asked before the state was seen: harmless


def test_only_station_officers_and_leaders_in_scope_review(city, citizen):
    change = ask_change(citizen, city)
    for officer in (city.patrol_officer, city.dispatcher, city.outsider):
        with pytest.raises(ActionError) as caught:
            ReviewIdentityChange(change=change, by=officer, decision=Decision.REFUSE, note="x").execute()
        assert caught.value.status == 403, officer
    change.refresh_from_db()
    assert change.is_pending


# --- pages --------------------------------------------------------------------------------------------


def test_the_me_page_offers_the_change_and_shows_its_state(city, citizen):
    client = portal_client(citizen)
    page = client.get("/portal/me/").content.decode()
    assert 'id="change-form"' in page and city.station_a1.name in page and 'id="verify-form"' not in page
    response = client.post(
        "/portal/me/identity-change/",
        {"station": city.station_a1.pk, "name": "张三丰", "id_number": NUMBER, "reason": "姓名变更"},
    )
    assert response.status_code == 302
    page = client.get("/portal/me/").content.decode()
    assert "待审核" in page and "110105********0038" in page and NUMBER not in page
    assert 'id="change-form"' not in page
    response = client.post("/portal/me/identity-change/", {"station": "abc", "name": "张三丰", "id_number": NUMBER})
    assert response.status_code == 400 and 'data-field="station"' in response.content.decode()


def test_the_staff_page_lists_and_decides_masked(city, citizen):
    change = ask_change(citizen, city)
    client = city.login(city.station_officer)
    page = client.get("/citizens/identity-changes/").content.decode()
    assert "张三丰" in page and "110105********0038" in page and NUMBER not in page and citizen.phone not in page
    detail = client.get(f"/citizens/identity-changes/{change.pk}/")
    assert detail.status_code == 200 and NUMBER not in detail.content.decode()
    response = client.post(f"/citizens/identity-changes/{change.pk}/", {"decision": "refuse"})
    assert response.status_code == 400 and 'data-field="note"' in response.content.decode()
    response = client.post(f"/citizens/identity-changes/{change.pk}/", {"decision": "approve"})
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == IdentityChangeStatus.APPROVED
    assert "张三丰" in client.get("/citizens/identity-changes/?reviewed=1").content.decode()


def test_the_staff_pages_refuse_other_roles_and_stations(city, citizen):
    change = ask_change(citizen, city)
    patrol = city.login(city.patrol_officer)
    assert patrol.get("/citizens/identity-changes/").status_code == 403
    assert patrol.get(f"/citizens/identity-changes/{change.pk}/").status_code == 403
    outsider = city.login(city.outsider)
    assert "张三丰" not in outsider.get("/citizens/identity-changes/").content.decode()
    assert outsider.post(f"/citizens/identity-changes/{change.pk}/", {"decision": "approve"}).status_code == 404
    b1_leader = OfficerFactory(username="b1_leader", organization=city.station_b1, role=Role.LEADER)
    assert city.login(b1_leader).get(f"/citizens/identity-changes/{change.pk}/").status_code == 404
    assert city.login(city.leader).get(f"/citizens/identity-changes/{change.pk}/").status_code == 200
    assert Client().get("/citizens/identity-changes/").status_code == 302
    change.refresh_from_db()
    assert change.is_pending

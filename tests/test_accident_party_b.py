"""事故快处 for 乙方: the SMS tells both parties to take the document from 我的事项, so the accident is
listed there for 乙方 too (found by the mobile number they sign in with), and 乙方 can read it and
download the 协议书 or 认定书 — but not act for 甲方, nor read 甲方's thread with the police."""

from types import SimpleNamespace

import pytest
from django.db import connection
from django.utils import timezone

from anmin.citizens import sms
from anmin.citizens.models import Citizen
from anmin.core import crypto
from anmin.reports.models import AccidentParty, QuickAccident
from tests.conftest import portal_client
from tests.test_encryption_at_rest import data_step, raw, write_raw
from tests.test_reports import B_PHONE, committed, media, pdf_text, sent_code, submit, traffic_officer  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def party_b(db) -> Citizen:
    """李四, signed in on the portal with 乙方's number (not verified: the number is the proof)."""
    return Citizen.objects.create(phone=B_PHONE)


def listed(client) -> str:
    return client.get("/portal/reports/").content.decode()


def download(client, accident) -> bytes:
    response = client.get(f"/portal/reports/accidents/{accident.pk}/document.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content)


def test_party_b_finds_the_agreement_in_my_matters_and_downloads_it(city, citizen, party_b):
    a, b = portal_client(citizen), portal_client(party_b)
    submit(a)
    accident = QuickAccident.objects.get()
    page = listed(b)
    assert f"事故快处（乙方） · {accident.number}" in page
    assert f"事故快处 · {accident.number}" in listed(a)

    before = b.get(f"/portal/reports/accidents/{accident.pk}/").content.decode()
    assert 'id="party-b-note"' in before and "确认码告知甲方" in before
    assert 'id="confirm-form"' not in before and 'id="thread"' not in before
    assert b.get(f"/portal/reports/accidents/{accident.pk}/document.pdf").status_code == 404  # none yet

    with committed():
        a.post(f"/portal/reports/accidents/{accident.pk}/confirm/", {"code": sent_code()})
    accident.refresh_from_db()
    assert accident.status == QuickAccident.Status.AGREED
    assert "我的事项" in sms.last_message(B_PHONE)  # what the SMS promises, the page keeps

    after = b.get(f"/portal/reports/accidents/{accident.pk}/").content.decode()
    assert 'id="download-pdf"' in after
    text = pdf_text(download(b, accident))
    for expected in ("自行协商协议书", accident.number, "张三", "李四", "冀TD12345"):
        assert expected in text, expected
    assert download(a, accident)  # 甲方 still has it too
    assert 'class="p-status done"' in listed(b).split(accident.number, 1)[1].split("</li>", 1)[0]


def test_party_b_who_signs_up_after_the_accident_finds_it_too(city, citizen):
    submit(portal_client(citizen))
    accident = QuickAccident.objects.get()
    late = Citizen.objects.create(phone=B_PHONE)
    assert accident.number in listed(portal_client(late))


def test_party_b_gets_the_officers_decision_as_well(city, citizen, party_b, traffic_officer):  # noqa: F811
    submit(portal_client(citizen), mode="officer", liability="", confirm="")
    accident = QuickAccident.objects.get()
    b = portal_client(party_b)
    waiting = b.get(f"/portal/reports/accidents/{accident.pk}/").content.decode()
    assert "认定书将在此提供下载" in waiting
    staff = city.login(traffic_officer)
    staff.post(f"/reports/accidents/{accident.pk}/decide/", {"liability": "a_full", "facts": "甲方倒车未确保安全。"})
    accident.refresh_from_db()
    assert accident.status == QuickAccident.Status.DECIDED
    text = pdf_text(download(b, accident))
    assert "简易程序道路交通事故认定书" in text and "甲方倒车" in text


def test_party_b_cannot_act_for_the_reporter(city, citizen, party_b):
    submit(portal_client(citizen))
    accident = QuickAccident.objects.get()
    b = portal_client(party_b)
    base = f"/portal/reports/accidents/{accident.pk}"
    assert b.post(f"{base}/confirm/", {"code": sent_code()}).status_code == 404
    assert b.post(f"{base}/resend/").status_code == 404
    assert b.post(f"{base}/request-decision/").status_code == 404
    assert b.post(f"{base}/", {"text": "我不同意"}).status_code == 404
    accident.refresh_from_db()
    assert accident.status == QuickAccident.Status.AWAITING_CONFIRMATION
    assert not accident.messages.exists()


def test_nobody_else_sees_the_accident(city, citizen, party_b):
    submit(portal_client(citizen))
    accident = QuickAccident.objects.get()
    with committed():
        portal_client(citizen).post(f"/portal/reports/accidents/{accident.pk}/confirm/", {"code": sent_code()})
    stranger = portal_client(Citizen.objects.create(phone="13700000001", name="王五", verified_at=timezone.now()))
    assert accident.number not in listed(stranger)
    for url in (f"/portal/reports/accidents/{accident.pk}/", f"/portal/reports/accidents/{accident.pk}/document.pdf"):
        assert stranger.get(url).status_code == 404, url
    # 甲方's own number names nobody as 乙方: the reporter's other accidents stay the reporter's.
    assert listed(portal_client(citizen)).count(accident.number) == 1


def test_the_migration_indexes_the_numbers_already_stored(city, citizen):
    submit(portal_client(citizen))
    party = AccidentParty.objects.get(role=AccidentParty.Role.B)
    write_raw(AccidentParty, party.pk, phone_index=None)
    step, historical = data_step("reports", "0003_party_phone_index")
    step.code(historical, SimpleNamespace(connection=connection))
    assert raw(AccidentParty, "phone_index", party.pk) == crypto.blind_index("phone", B_PHONE)

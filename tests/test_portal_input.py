"""The portal's input layer: tampered, huge, binary and missing values are a 400 naming the field
(never a 500, nothing written), and every SMS leaves only after its action commits."""

import pytest
from django.db import connection
from django.test import Client

from anmin.bookings.actions import BookSlot
from anmin.bookings.models import Appointment, ExamSession, Office
from anmin.citizens import sms
from anmin.citizens.models import SmsCode
from anmin.core import actions as core_actions
from anmin.core.errors import ActionError
from anmin.feedback.models import Survey
from anmin.reports.models import Message, QuickAccident, Tip
from anmin.services.actions import ProcessApplication
from anmin.services.models import ApplicationMessage, ApplicationStatus
from tests.conftest import portal_client
from tests.test_bookings import make_slot, office, venue  # noqa: F401  (fixtures)
from tests.test_feedback import survey
from tests.test_reports import B_PHONE
from tests.test_reports import submit as report_accident
from tests.test_services import catalogue, submit, wfz  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

HUGE = str(2**70)
#: What an attacker or a broken client sends instead of a value.
GARBAGE = [
    "abc",
    HUGE,
    "-1",
    "0",
    "1.5",
    "\x00",
    "13800001111\x00",
    "x" * 100_000,
    "١٢٣٤٥٦",  # digits, but not ASCII ones
    "<script>alert(1)</script>",
]


@pytest.fixture(autouse=True)
def _empty_outbox():
    sms.LogBackend.outbox.clear()


def committed(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks(execute=True)


def refused(response, *fields: str) -> str:
    """The page came back with a 4xx (never 5xx) and, if given, the error names one of `fields`."""
    assert 400 <= response.status_code < 500, response.status_code
    body = response.content.decode()
    if fields:
        assert any(f'data-field="{f}"' in body for f in fields), body[-2000:]
    return body


# --- public: SMS sign-in ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", GARBAGE)
def test_it_rejects_a_tampered_phone_when_sending_a_code(value):
    refused(Client().post("/portal/login/code/", {"phone": value}), "phone")
    assert not SmsCode.objects.exists() and not list(sms.LogBackend.outbox)


@pytest.mark.parametrize("value", GARBAGE)
@pytest.mark.parametrize("field", ["phone", "code", "next"])
def test_it_rejects_tampered_sign_in_fields(field, value):
    data = {"phone": "13800001111", "code": "123456", "next": "/portal/me/", field: value}
    response = Client().post("/portal/login/", data)
    refused(response, "phone", "code")
    assert "anmin_citizen_id" not in Client().session


@pytest.mark.parametrize("path", ["/portal/login/", "/portal/login/code/", "/portal/me/"])
def test_it_rejects_a_form_with_no_fields(path, citizen):
    client = portal_client(citizen) if path == "/portal/me/" else Client()
    citizen.verified_at = None
    citizen.save()
    refused(client.post(path, {}))


def test_it_answers_a_tampered_next_with_the_portal_home(django_capture_on_commit_callbacks):
    with committed(django_capture_on_commit_callbacks):
        Client().post("/portal/login/code/", {"phone": "13800001111"})
    code = sms.last_message("13800001111").split("验证码为 ")[1][:6]
    response = Client().post("/portal/login/", {"phone": "13800001111", "code": code, "next": "\x00" + "/" * 5000})
    assert response.status_code == 302 and response.url == "/portal/"


@pytest.mark.parametrize("value", GARBAGE)
def test_it_rejects_tampered_real_name_fields(citizen, value):
    citizen.verified_at = None
    citizen.save()
    client = portal_client(citizen)
    if value != "abc":  # a Latin-letter name is a name
        refused(client.post("/portal/me/", {"name": value, "id_number": "110105194912310038"}), "name")
    refused(client.post("/portal/me/", {"name": "李四", "id_number": value}), "id_number")
    citizen.refresh_from_db()
    assert not citizen.is_verified


def is_text(value: str) -> bool:
    """Whether free text (a reason, a note) takes the value: anything without NUL within the limit."""
    return "\x00" not in value and len(value) <= 500


@pytest.mark.parametrize("value", GARBAGE)
@pytest.mark.parametrize("field", ["station", "name", "id_number", "reason"])
def test_it_rejects_tampered_identity_change_fields(city, citizen, field, value):
    from anmin.citizens.models import IdentityChangeRequest

    if (field == "name" and value == "abc") or (field == "reason" and is_text(value)):
        return  # a Latin-letter name is a name; any text is a reason
    data = {"station": city.station_a1.pk, "name": "张三丰", "id_number": "110105194912310038", "reason": "更名"}
    refused(portal_client(citizen).post("/portal/me/identity-change/", data | {field: value}), field)
    assert not IdentityChangeRequest.objects.exists()


@pytest.mark.parametrize("value", GARBAGE)
def test_it_rejects_a_tampered_review_decision(city, citizen, value):
    from anmin.citizens.actions import RequestIdentityChange

    change = RequestIdentityChange(
        citizen=citizen, station=city.station_a1.pk, name="张三丰", id_number="110105194912310038", reason="更名"
    ).execute()
    client = city.login(city.station_officer)
    refused(client.post(f"/citizens/identity-changes/{change.pk}/", {"decision": value}), "decision")
    if not is_text(value):
        refused(client.post(f"/citizens/identity-changes/{change.pk}/", {"decision": "refuse", "note": value}), "note")
    change.refresh_from_db()
    assert change.is_pending


# --- public: progress query ------------------------------------------------------------------------


@pytest.mark.parametrize("value", GARBAGE)
def test_it_rejects_a_tampered_progress_query(value):
    response = Client().get("/portal/services/progress/", {"number": value, "phone_last4": "1234"})
    refused(response, "number")
    response = Client().get("/portal/services/progress/", {"number": "BJ20260101000001", "phone_last4": value})
    refused(response, "phone_last4", "number")


def test_the_progress_page_without_a_query_is_the_empty_form():
    assert Client().get("/portal/services/progress/").status_code == 200
    refused(Client().get("/portal/services/progress/?number="), "number")
    refused(Client().get("/portal/services/progress/?number=BJ20260101000001"), "phone_last4")


# --- public: survey by link ------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["x", "\x00" * 30, "a" * 5000, "%00" * 10, HUGE * 2])
def test_a_tampered_survey_token_is_a_404(token):
    response = Client().get(f"/s/{token}/")
    assert response.status_code == 404
    assert Client().post(f"/s/{token}/", {"rating": "satisfied"}).status_code == 404


@pytest.mark.parametrize("field", ["rating", "reasons", "comment"])
@pytest.mark.parametrize("value", GARBAGE)
def test_it_rejects_tampered_survey_answers(city, field, value):
    s = survey(city.station_a1)
    data = {"rating": "dissatisfied", "reasons": ["slow"], "comment": "太慢", field: value}
    refused(Client().post(f"/s/{s.token}/", data), field, "rating", "reasons", "comment")
    assert not Survey.objects.get(pk=s.pk).is_answered


def test_it_rejects_too_many_reasons_and_an_empty_post(city):
    s = survey(city.station_a1)
    refused(Client().post(f"/s/{s.token}/", {"rating": "dissatisfied", "reasons": ["slow"] * 500}), "reasons")
    refused(Client().post(f"/s/{s.token}/", {}), "rating")
    assert not Survey.objects.get(pk=s.pk).is_answered


# --- public: anonymous tips ------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["kind", "content", "place", "lat", "lon"])
@pytest.mark.parametrize("value", GARBAGE)
def test_it_rejects_a_tampered_tip(city, field, value):
    data = {"kind": "drugs", "content": "某小区地下室有人聚众吸毒，每周五晚上。", "place": "", "lat": "", "lon": ""}
    data[field] = value
    response = Client().post("/portal/reports/tips/new/", data)
    if response.status_code == 200:  # a harmless value in an optional field (e.g. the place) is kept
        assert field in ("place", "content") and "\x00" not in value and len(value) < 1000
        return
    refused(response, *({"lat", "lon"} if field in ("lat", "lon") else {field}))
    assert not Tip.objects.exists()


@pytest.mark.parametrize("value", GARBAGE)
def test_it_rejects_a_tampered_tracking_code(value):
    refused(Client().post("/portal/reports/tips/track/", {"code": value}), "code")
    refused(Client().post("/portal/reports/tips/track/messages/", {"code": value, "text": "hi"}), "code")
    refused(Client().post("/portal/reports/tips/track/", {}), "code")
    assert not Message.objects.exists()


# --- signed-in citizens: tampered ids --------------------------------------------------------------


@pytest.mark.parametrize("value", GARBAGE)
def test_it_rejects_a_tampered_slot_and_writes_nothing(citizen, office, value):  # noqa: F811
    make_slot(office)
    response = portal_client(citizen).post(f"/portal/bookings/offices/{office.pk}/", {"slot": value})
    refused(response, "slot")
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("value", ["abc", "0001-01-01", "9999-12-31", "2026-02-30", "\x00", HUGE])
def test_it_rejects_a_tampered_day(city, citizen, office, value):  # noqa: F811
    refused(portal_client(citizen).get(f"/portal/bookings/offices/{office.pk}/", {"date": value}), "date")
    refused(city.login(city.leader).get(f"/bookings/offices/{office.pk}/", {"date": value}), "date")


@pytest.mark.parametrize("value", GARBAGE)
def test_it_rejects_a_tampered_exam_session_and_subject(citizen, value):
    client = portal_client(citizen)
    refused(client.post("/portal/bookings/exams/", {"session": value}), "session")
    refused(client.get("/portal/bookings/exams/", {"subject": value}), "subject")


@pytest.mark.parametrize(
    "path", ["/portal/bookings/offices/{}/", "/portal/reports/accidents/{}/", "/portal/services/mine/{}/"]
)
def test_a_huge_id_in_the_path_is_a_404(citizen, path):
    assert portal_client(citizen).get(path.format(HUGE)).status_code == 404


@pytest.mark.parametrize("value", GARBAGE)
def test_it_rejects_tampered_messages_on_an_application(wfz, citizen, value):  # noqa: F811
    app = submit(citizen, wfz)
    response = portal_client(citizen).post(f"/portal/services/mine/{app.number}/messages/", {"text": value})
    if response.status_code == 302:  # printable text within the limit is a message
        assert "\x00" not in value and len(value) <= 1000
        return
    refused(response, "text")
    assert not ApplicationMessage.objects.exists()


# --- staff: tampered ids and filters ---------------------------------------------------------------


@pytest.mark.parametrize("value", GARBAGE)
def test_it_rejects_tampered_ids_on_staff_booking_forms(city, venue, value):  # noqa: F811
    client = city.login(city.leader)
    refused(client.post("/bookings/", {"organization": value, "name": "户政窗口"}), "organization")
    session = {"venue": value, "subject": "1", "date": "2030-01-20", "start": "09:00", "seats": "30"}
    refused(client.post("/bookings/exams/", session), "venue")
    applicant = {"organization": value, "id_number": "110105194912310038", "name": "李四", "licence_class": "C1"}
    refused(client.post("/bookings/exams/applicants/", applicant), "organization")
    assert Office.objects.count() == 1 and not ExamSession.objects.exists()


@pytest.mark.parametrize("value", ["abc", "\x00", HUGE, "x" * 5000])
def test_it_rejects_tampered_list_filters(city, value):
    client = city.login(city.leader)
    refused(client.get("/services/queue/", {"status": value}), "status")
    refused(client.get("/reports/accidents/", {"status": value}), "status")
    refused(client.get("/feedback/callbacks/", {"page": value}), "page")
    refused(client.get("/feedback/follow-ups/", {"page": value}), "page")


def test_it_rejects_a_tampered_step_and_missing_list(wfz, citizen, city):  # noqa: F811
    app = submit(citizen, wfz)
    client = city.login(city.station_officer)
    url = f"/services/applications/{app.pk}/steps/"
    refused(client.post(url, {"step": "fly"}), "step")
    refused(client.post(url, {"step": "return", "missing": ["x" * 5000]}), "missing")
    refused(client.post(url, {"step": "return", "missing": ["ok"] * 500}), "missing")
    refused(client.post(url, {"step": "return", "missing": ["身份证\x00"]}), "missing")
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED


def test_a_callback_time_out_of_range_is_named(city):
    s = survey(city.station_a1)
    client = city.login(city.station_officer)
    for value in ("0001-01-01T00:00", "9999-12-31T23:59", "abc", "\x00"):
        refused(client.post(f"/feedback/surveys/{s.pk}/", {"rating": "satisfied", "called_at": value}), "called_at")
    assert not Survey.objects.get(pk=s.pk).is_answered


def test_the_old_op_and_step_fields_route_nothing(wfz, citizen, city):  # noqa: F811
    """A form still posting `op=message` to the page finds no such operation there."""
    app = submit(citizen, wfz)
    staff = city.login(city.station_officer)
    assert staff.post(f"/services/applications/{app.pk}/", {"op": "message", "text": "x"}).status_code == 405
    page = portal_client(citizen).post(f"/portal/services/mine/{app.number}/", {"op": "message", "text": "x"})
    assert page.status_code == 405 and not ApplicationMessage.objects.exists()
    session = city.login(city.leader).post("/bookings/exams/1/", {"op": "allocate"})
    assert session.status_code == 405


# --- SMS after commit ------------------------------------------------------------------------------


def test_a_booking_code_is_sent_after_the_commit_and_a_refused_one_sends_nothing(
    citizen,
    office,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    slot = make_slot(office, capacity=1)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        appointment = BookSlot(citizen=citizen, slot=slot).execute()
        assert sms.last_message(citizen.phone) is None
    assert len(callbacks) == 1 and appointment.code in sms.last_message(citizen.phone)
    sms.LogBackend.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(ActionError):
        BookSlot(citizen=citizen, slot=slot).execute()  # twice: refused
    assert callbacks == [] and sms.last_message(citizen.phone) is None


def test_a_refused_staff_step_sends_nothing(wfz, citizen, city, django_capture_on_commit_callbacks):  # noqa: F811
    app = submit(citizen, wfz)
    sms.LogBackend.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(ActionError):
        ProcessApplication(by=city.station_officer, application=app, step="complete").execute()
    assert callbacks == [] and sms.last_message(citizen.phone) is None
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ProcessApplication(by=city.station_officer, application=app, step="accept").execute()
        assert sms.last_message(citizen.phone) is None
    assert "已受理" in sms.last_message(citizen.phone)


def test_a_resend_too_soon_sends_no_code(city, citizen, django_capture_on_commit_callbacks, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = portal_client(citizen)
    report_accident(client)
    accident = QuickAccident.objects.get()
    assert "确认码" in sms.last_message(B_PHONE)  # sent once the report committed
    sms.LogBackend.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(f"/portal/reports/accidents/{accident.pk}/resend/")
    refused(response, "code")
    assert callbacks == [] and not list(sms.LogBackend.outbox)


@pytest.mark.django_db(transaction=True)
def test_an_sms_is_sent_after_the_writer_lock_is_let_go(city):
    """On SQLite the commit hooks run while `write_transaction` still holds the writer lock; an SMS
    waits until this thread has let go of it (on PostgreSQL, until the commit)."""
    seen = []

    def probe():
        seen.append(getattr(core_actions._sqlite_depth, "n", 0))

    with core_actions.write_transaction():
        core_actions.after_commit(probe)
        assert seen == []
    assert seen == [0]
    with pytest.raises(RuntimeError), core_actions.write_transaction():
        core_actions.after_commit(probe)
        raise RuntimeError("rolled back")
    assert seen == [0]  # nothing for a rollback
    if connection.vendor == "sqlite":
        assert not getattr(core_actions._sqlite_depth, "pending", [])

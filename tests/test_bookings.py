"""Counter appointments and 约考: booking, cancelling, no-shows, the exam ranking rule, allocation,
results, scoping (citizen and staff) and bad input."""

import json
from datetime import date, datetime, time, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from anmin.bookings import ranking
from anmin.bookings.actions import (
    AllocateSession,
    BookSlot,
    CancelAppointment,
    CancelExamBooking,
    CreateExamSession,
    CreateSlots,
    MarkAppointment,
    PublishResults,
    RegisterApplicant,
    RequestExamSeat,
)
from anmin.bookings.models import Appointment, ExamApplicant, ExamBooking, ExamSession, Office, Slot
from anmin.citizens import sms
from anmin.citizens.models import Citizen
from anmin.core.errors import ActionError, Conflict, Denied
from anmin.core.models import AuditEntry
from tests.conftest import portal_client

pytestmark = pytest.mark.django_db


def aware(d: date, t: time = time(9)) -> datetime:
    return timezone.make_aware(datetime.combine(d, t))


@pytest.fixture
def office(city):
    return Office.objects.create(organization=city.station_a1, name="河西派出所户政窗口", address="人民路 1 号")


@pytest.fixture
def venue(city):
    return Office.objects.create(organization=city.traffic, name="衡水车管所科目一考场")


def make_slot(office, *, days=1, start=time(9), capacity=2) -> Slot:
    end = (datetime.combine(date.today(), start) + timedelta(minutes=30)).time()
    return Slot.objects.create(
        office=office, date=timezone.localdate() + timedelta(days=days), start=start, end=end, capacity=capacity
    )


def make_citizen(n: int, *, verified=True) -> Citizen:
    return Citizen.objects.create(
        phone=f"1370000{n:04d}",
        name=f"群众{n}",
        id_number=f"13110219900101{n:04d}",
        verified_at=timezone.now() if verified else None,
    )


# ------------------------------------------------------------------ counter appointments


def test_a_citizen_books_a_slot_and_gets_a_code_by_sms(citizen, office, django_capture_on_commit_callbacks):
    slot = make_slot(office)
    with django_capture_on_commit_callbacks(execute=True):
        appointment = BookSlot(citizen=citizen, slot=slot, purpose="身份证换领").execute()
    slot.refresh_from_db()
    assert slot.booked == 1
    assert appointment.status == Appointment.Status.BOOKED
    assert len(appointment.code) == 8
    assert appointment.code in sms.last_message(citizen.phone)
    assert AuditEntry.objects.filter(action="bookings.book", object_id=str(appointment.pk)).exists()


def test_it_refuses_a_full_slot_saying_so(citizen, office):
    slot = make_slot(office, capacity=1)
    BookSlot(citizen=make_citizen(1), slot=slot).execute()
    with pytest.raises(Conflict) as caught:
        BookSlot(citizen=citizen, slot=slot).execute()
    assert (caught.value.field, caught.value.code) == ("slot", "full")
    assert "已约满" in caught.value.message
    slot.refresh_from_db()
    assert slot.booked == 1 and slot.appointments.count() == 1


def test_it_refuses_booking_the_same_slot_twice(citizen, office):
    slot = make_slot(office)
    BookSlot(citizen=citizen, slot=slot).execute()
    with pytest.raises(Conflict) as caught:
        BookSlot(citizen=citizen, slot=slot).execute()
    assert caught.value.code == "duplicate"
    slot.refresh_from_db()
    assert slot.booked == 1


def test_it_refuses_a_slot_in_the_past(citizen, office):
    slot = make_slot(office)
    with pytest.raises(ActionError) as caught:
        BookSlot(citizen=citizen, slot=slot, now=slot.starts_at + timedelta(minutes=1)).execute()
    assert (caught.value.field, caught.value.code) == ("slot", "past")
    assert not Appointment.objects.exists()


def test_it_refuses_an_unverified_citizen(office):
    with pytest.raises(Denied):
        BookSlot(citizen=make_citizen(2, verified=False), slot=make_slot(office)).execute()


def test_a_cancelled_appointment_frees_the_seat_and_may_be_booked_again(citizen, office):
    slot = make_slot(office, capacity=1)
    appointment = BookSlot(citizen=citizen, slot=slot).execute()
    CancelAppointment(citizen=citizen, appointment=appointment).execute()
    slot.refresh_from_db()
    assert slot.booked == 0
    again = BookSlot(citizen=citizen, slot=slot).execute()
    assert again.pk != appointment.pk
    slot.refresh_from_db()
    assert slot.booked == 1


def test_it_refuses_cancelling_after_the_slot_started(citizen, office):
    slot = make_slot(office)
    appointment = BookSlot(citizen=citizen, slot=slot).execute()
    with pytest.raises(ActionError) as caught:
        CancelAppointment(citizen=citizen, appointment=appointment, now=slot.starts_at).execute()
    assert caught.value.code == "started"
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED


def test_a_citizen_cannot_cancel_anothers_appointment(citizen, office):
    other = make_citizen(3)
    appointment = BookSlot(citizen=other, slot=make_slot(office)).execute()
    with pytest.raises(Denied):
        CancelAppointment(citizen=citizen, appointment=appointment).execute()
    response = portal_client(citizen).post(f"/portal/bookings/appointments/{appointment.pk}/cancel/")
    assert response.status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED


def test_staff_mark_attended_and_no_show(city, citizen, office):
    slot = make_slot(office, days=0, start=time(0, 5))  # today, already started
    slot.date = timezone.localdate()
    slot.save()
    a = Appointment.objects.create(citizen=citizen, slot=slot)
    b = Appointment.objects.create(citizen=make_citizen(4), slot=slot)
    MarkAppointment(by=city.station_officer, appointment=a, status="attended").execute()
    MarkAppointment(by=city.station_officer, appointment=b, status="no_show").execute()
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, b.status) == (Appointment.Status.ATTENDED, Appointment.Status.NO_SHOW)
    assert a.marked_by == city.station_officer
    with pytest.raises(Conflict):
        MarkAppointment(by=city.station_officer, appointment=a, status="no_show").execute()


def test_a_no_show_cannot_be_recorded_before_the_slot_starts(city, citizen, office):
    appointment = BookSlot(citizen=citizen, slot=make_slot(office)).execute()
    with pytest.raises(ActionError) as caught:
        MarkAppointment(by=city.station_officer, appointment=appointment, status="no_show").execute()
    assert caught.value.field == "status"


def test_an_officer_of_another_station_cannot_mark(city, citizen, office):
    appointment = BookSlot(citizen=citizen, slot=make_slot(office)).execute()
    with pytest.raises(Denied):
        MarkAppointment(by=city.outsider, appointment=appointment, status="attended").execute()


def test_slots_are_created_in_bulk_on_working_days_only(city, office):
    now = aware(date(2026, 9, 25), time(8))
    made = CreateSlots(
        by=city.station_officer,
        office=office,
        first_day="2026-09-28",
        last_day="2026-10-11",
        start="09:00",
        end="11:00",
        minutes=30,
        capacity=3,
        now=now,
    ).execute()
    days = sorted({s.date for s in made})
    # 国庆 2026: 1–7 October off; the surrounding weekdays and the make-up Saturday 10 October work.
    assert date(2026, 10, 1) not in days and date(2026, 10, 5) not in days
    assert date(2026, 9, 28) in days and date(2026, 10, 9) in days
    assert all(s.capacity == 3 for s in made)
    assert len(made) == 4 * len(days)
    again = CreateSlots(
        by=city.station_officer,
        office=office,
        first_day="2026-09-28",
        last_day="2026-09-28",
        start="09:00",
        end="11:00",
        now=now,
    ).execute()
    assert again == []  # existing slots are left alone


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"first_day": "2026-13-01"}, "first_day"),
        ({"last_day": "2026-12-01"}, "last_day"),
        ({"last_day": "2027-12-31"}, "last_day"),
        ({"end": "08:00"}, "end"),
        ({"capacity": "0"}, "capacity"),
        ({"minutes": "abc"}, "minutes"),
    ],
)
def test_bulk_slot_creation_names_the_bad_field(city, office, values, field):
    params = {
        "first_day": "2026-12-03",
        "last_day": "2026-12-10",
        "start": "09:00",
        "end": "11:00",
        "minutes": 30,
        "capacity": 3,
        **values,
    }
    with pytest.raises(ActionError) as caught:
        CreateSlots(by=city.station_officer, office=office, now=aware(date(2026, 12, 2)), **params).execute()
    assert caught.value.field == field
    assert not Slot.objects.exists()


def test_an_outsider_cannot_create_slots(city, office):
    with pytest.raises(Denied):
        CreateSlots(
            by=city.outsider, office=office, first_day="2026-12-03", last_day="2026-12-03", start="9:00", end="10:00"
        ).execute()


# ------------------------------------------------------------------ 约考: the ranking rule


def applicant(city, n, accepted_on, **dates) -> ExamApplicant:
    citizen = make_citizen(100 + n)
    return ExamApplicant.objects.create(
        organization=city.traffic,
        id_number=citizen.id_number,
        name=citizen.name,
        licence_class="C1",
        accepted_on=accepted_on,
        **dates,
    )


def held_seat_before(venue, person: ExamApplicant, subject: str, on: date):
    """A past session of `subject` in which `person` held a seat (a repeater of that subject)."""
    past = ExamSession.objects.create(
        venue=venue,
        subject=subject,
        date=on,
        start=time(9),
        seats=10,
        opens_at=aware(on - timedelta(days=10)),
        closes_at=aware(on - timedelta(days=3)),
        status=ExamSession.Status.PUBLISHED,
    )
    ExamBooking.objects.create(
        applicant=person,
        session=past,
        status=ExamBooking.Status.ALLOCATED,
        allocated_at=aware(on - timedelta(days=3)),
        result=ExamBooking.Result.FAIL,
    )


def open_session(venue, *, subject="2", seats=3) -> ExamSession:
    now = timezone.now()
    return ExamSession.objects.create(
        venue=venue,
        subject=subject,
        date=timezone.localdate() + timedelta(days=10),
        start=time(9),
        seats=seats,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=2),
    )


def request_as(person: ExamApplicant, session, at: datetime) -> ExamBooking:
    return RequestExamSeat(
        citizen=Citizen.objects.by_id_number(person.id_number).get(), session=session, now=at
    ).execute()


def test_seats_go_by_acceptance_date_for_first_timers_and_latest_event_for_repeaters(
    city, venue, django_capture_on_commit_callbacks
):
    d = date(2026, 6, 1)
    first_late = applicant(city, 1, d + timedelta(days=9))  # first time: ranks by 受理日期 06-10
    first_a = applicant(city, 2, d + timedelta(days=4))  # first time: 06-05, asked second
    repeater = applicant(  # last exam 06-08 is the latest of its dates: ranks 06-08
        city, 3, d - timedelta(days=90), last_exam_on=d + timedelta(days=7), last_cancelled_on=d + timedelta(days=1)
    )
    no_show = applicant(  # latest is the no-show on 06-03: ranks 06-03
        city, 4, d - timedelta(days=60), last_exam_on=d - timedelta(days=20), last_no_show_on=d + timedelta(days=2)
    )
    first_b = applicant(city, 5, d + timedelta(days=4))  # first time: 06-05, asked first → before first_a
    held_seat_before(venue, repeater, "2", d - timedelta(days=30))
    held_seat_before(venue, no_show, "2", d - timedelta(days=40))
    # A seat in 科目一 does not make first_late a repeater of 科目二, despite a recent exam date.
    held_seat_before(venue, first_late, "1", d - timedelta(days=5))
    ExamApplicant.objects.filter(pk=first_late.pk).update(last_exam_on=d - timedelta(days=5))

    session = open_session(venue, seats=3)
    t0 = timezone.now() - timedelta(hours=1)
    for i, person in enumerate([first_late, repeater, first_b, no_show, first_a]):
        request_as(person, session, t0 + timedelta(minutes=i))

    with django_capture_on_commit_callbacks(execute=True):
        ordered = AllocateSession(session=session, by=city.leader, now=session.closes_at).execute()
    names = [b.applicant_id for b in ordered]
    assert names == [no_show.pk, first_b.pk, first_a.pk, repeater.pk, first_late.pk]
    assert [b.first_time for b in ordered] == [False, True, True, False, True]
    assert [b.rank_date for b in ordered] == [
        d + timedelta(days=2),
        d + timedelta(days=4),
        d + timedelta(days=4),
        d + timedelta(days=7),
        d + timedelta(days=9),
    ]
    statuses = dict(ExamBooking.objects.filter(session=session).values_list("applicant_id", "status"))
    assert [statuses[p] for p in names] == ["allocated"] * 3 + ["waitlisted"] * 2
    session.refresh_from_db()
    assert (session.status, session.allocated) == (ExamSession.Status.ALLOCATED, 3)
    assert "已分配考位" in sms.last_message(f"1370000{104:04d}")
    assert "未分配到考位" in sms.last_message(f"1370000{101:04d}")


def test_the_ranking_function_breaks_ties_by_request_time_then_id():
    class A:
        def __init__(self, accepted_on):
            self.accepted_on = accepted_on
            self.last_exam_on = self.last_cancelled_on = self.last_no_show_on = None

    class B:
        def __init__(self, pk, applicant_id, applicant, at):
            self.pk, self.applicant_id, self.applicant, self.requested_at = pk, applicant_id, applicant, at

    day = date(2026, 1, 5)
    at = aware(day)
    same = [B(3, 1, A(day), at), B(1, 2, A(day), at + timedelta(seconds=1)), B(2, 3, A(day), at)]
    assert [b.pk for b in ranking.rank(same, set())] == [2, 3, 1]
    # A repeater with no recorded dates falls back to the acceptance date.
    assert ranking.rank_date(A(day), first_time=False) == day


def test_allocation_waits_for_the_window_to_close_and_happens_once(city, venue):
    session = open_session(venue, seats=1)
    person = applicant(city, 6, date(2026, 5, 1))
    request_as(person, session, timezone.now())
    with pytest.raises(ActionError) as caught:
        AllocateSession(session=session, by=city.leader).execute()
    assert caught.value.code == "window_open"
    AllocateSession(session=session, by=city.leader, now=session.closes_at).execute()
    with pytest.raises(Conflict):
        AllocateSession(session=session, by=city.leader, now=session.closes_at).execute()
    with pytest.raises(ActionError) as caught:
        request_as(applicant(city, 7, date(2026, 5, 2)), session, session.closes_at)
    assert caught.value.code == "closed"


def test_a_staff_outside_the_venue_cannot_allocate(city, venue):
    session = open_session(venue)
    with pytest.raises(Denied):
        AllocateSession(session=session, by=city.outsider, now=session.closes_at).execute()


def test_the_allocate_command_runs_sessions_whose_window_closed(city, venue):
    session = open_session(venue, seats=1)
    request_as(applicant(city, 8, date(2026, 5, 1)), session, timezone.now())
    still_open = open_session(venue, subject="1")
    ExamSession.objects.filter(pk=session.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    out = StringIO()
    call_command("bookings", "allocate", stdout=out)
    assert "1 个场次" in out.getvalue()
    session.refresh_from_db()
    still_open.refresh_from_db()
    assert (session.status, session.allocated) == (ExamSession.Status.ALLOCATED, 1)
    assert still_open.status == ExamSession.Status.OPEN


def test_exam_request_bad_input(city, venue, citizen):
    session = open_session(venue)
    with pytest.raises(ActionError) as caught:
        RequestExamSeat(citizen=citizen, session=session).execute()  # no 受理 record
    assert caught.value.code == "no_applicant"
    person = applicant(city, 9, date(2026, 5, 1))
    request_as(person, session, timezone.now())
    with pytest.raises(Conflict) as caught:
        request_as(person, session, timezone.now())
    assert caught.value.code == "duplicate"
    with pytest.raises(Conflict) as caught:
        request_as(person, open_session(venue), timezone.now())  # same subject, another session
    assert caught.value.code == "duplicate_subject"
    future = open_session(venue, subject="3")
    with pytest.raises(ActionError) as caught:
        request_as(person, future, future.opens_at - timedelta(seconds=1))
    assert caught.value.code == "not_open"


def test_giving_back_a_seat_counts_as_a_cancellation_and_promotes_the_waiting_list(
    city, venue, django_capture_on_commit_callbacks
):
    session = open_session(venue, seats=1)
    first = applicant(city, 10, date(2026, 4, 1))
    second = applicant(city, 11, date(2026, 4, 2))
    b1 = request_as(first, session, timezone.now())
    b2 = request_as(second, session, timezone.now())
    AllocateSession(session=session, now=session.closes_at).execute()
    with django_capture_on_commit_callbacks(execute=True):
        CancelExamBooking(citizen=b1.citizen, booking=b1, now=session.closes_at + timedelta(hours=1)).execute()
    b1.refresh_from_db()
    b2.refresh_from_db()
    first.refresh_from_db()
    session.refresh_from_db()
    assert (b1.status, b2.status, session.allocated) == ("cancelled", "allocated", 1)
    assert first.last_cancelled_on == timezone.localdate(session.closes_at + timedelta(hours=1))
    assert "已分配考位" in sms.last_message(b2.citizen.phone)


def test_results_are_published_and_absence_counts_as_a_no_show(city, venue, django_capture_on_commit_callbacks):
    session = open_session(venue, seats=2)
    p1, p2 = applicant(city, 12, date(2026, 4, 1)), applicant(city, 13, date(2026, 4, 2))
    b1, b2 = request_as(p1, session, timezone.now()), request_as(p2, session, timezone.now())
    AllocateSession(session=session, now=session.closes_at).execute()
    after = session.starts_at + timedelta(hours=3)
    with pytest.raises(ActionError) as caught:  # every seat needs a result: nothing partial
        PublishResults(session=session, results={b1.pk: "pass"}, by=city.leader, now=after).execute()
    assert caught.value.field == f"result-{b2.pk}"
    assert not ExamBooking.objects.exclude(result="").exists()
    with pytest.raises(ActionError):
        PublishResults(session=session, results={b1.pk: "pass", b2.pk: "absent"}, by=city.leader).execute()
    with django_capture_on_commit_callbacks(execute=True):
        PublishResults(
            session=session, results={str(b1.pk): "pass", str(b2.pk): "absent"}, by=city.leader, now=after
        ).execute()
    p1.refresh_from_db()
    p2.refresh_from_db()
    assert (p1.last_exam_on, p1.last_no_show_on) == (session.date, None)
    assert (p2.last_exam_on, p2.last_no_show_on) == (None, session.date)
    assert "缺考" in sms.last_message(b2.citizen.phone)
    session.refresh_from_db()
    assert session.status == ExamSession.Status.PUBLISHED


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"subject": "5"}, "subject"),
        ({"date": "2026-02-30"}, "date"),
        ({"seats": "0"}, "seats"),
        ({"closes_at": "2026-12-02T08:00"}, "closes_at"),  # before it opens
        ({"closes_at": "2026-12-31T08:00"}, "closes_at"),  # after the exam
    ],
)
def test_session_creation_names_the_bad_field(city, venue, values, field):
    params = {
        "subject": "1",
        "date": "2026-12-20",
        "start": "09:00",
        "seats": "20",
        "opens_at": "2026-12-05T08:00",
        "closes_at": "2026-12-15T17:00",
        **values,
    }
    with pytest.raises(ActionError) as caught:
        CreateExamSession(by=city.leader, venue=venue, now=aware(date(2026, 12, 1)), **params).execute()
    assert caught.value.field == field
    assert not ExamSession.objects.exists()


def test_applicant_registration_checks_the_id_number(city):
    with pytest.raises(ActionError) as caught:
        RegisterApplicant(
            by=city.leader,
            organization=city.traffic,
            id_number="110105194912310021",
            name="李四",
            licence_class="C1",
            accepted_on="2026-11-01",
        ).execute()
    assert caught.value.field == "id_number"
    ok = RegisterApplicant(
        by=city.leader,
        organization=city.traffic,
        id_number="11010519491231002X",
        name="张三",
        licence_class="C1",
        accepted_on="2026-11-01",
    ).execute()
    assert ok.accepted_on == date(2026, 11, 1)


# ------------------------------------------------------------------ pages and API


def test_the_citizen_books_through_the_page_and_sees_only_their_own(citizen, office):
    slot = make_slot(office, capacity=1)
    other = make_citizen(20)
    theirs = BookSlot(citizen=other, slot=make_slot(office, start=time(10))).execute()
    client = portal_client(citizen)
    page = client.get(f"/portal/bookings/offices/{office.pk}/")
    assert page.status_code == 200 and "09:00" in page.content.decode()
    response = client.post(f"/portal/bookings/offices/{office.pk}/", {"slot": slot.pk, "purpose": "户口迁移"})
    assert response.status_code == 302
    mine = client.get("/portal/bookings/").content.decode()
    assert "户口迁移" in mine and theirs.code not in mine
    full = portal_client(other).post(f"/portal/bookings/offices/{office.pk}/", {"slot": slot.pk})
    assert full.status_code == 409 and "已约满" in full.content.decode()
    missing = client.post(f"/portal/bookings/offices/{office.pk}/", {"slot": "x"})
    assert missing.status_code == 400 and "请选择预约时段" in missing.content.decode()


def test_portal_pages_need_a_verified_citizen(office):
    response = portal_client(make_citizen(21, verified=False)).get("/portal/bookings/")
    assert response.status_code == 302 and response["Location"].startswith("/portal/me/")


def test_the_exam_page_requests_a_seat(city, venue, citizen):
    ExamApplicant.objects.create(
        organization=city.traffic,
        id_number=citizen.id_number,
        name="张三",
        licence_class="C1",
        accepted_on=date(2026, 11, 2),
    )
    session = open_session(venue, subject="1")
    client = portal_client(citizen)
    page = client.get("/portal/bookings/exams/?subject=1")
    assert "申请考位" in page.content.decode()
    assert client.post("/portal/bookings/exams/", {"session": session.pk}).status_code == 302
    assert ExamBooking.objects.get().citizen == citizen
    again = client.post("/portal/bookings/exams/", {"session": session.pk})
    assert again.status_code == 409 and "已申请该场次" in again.content.decode()


def test_staff_pages_are_scoped_to_the_office_organization(city, citizen, office):
    slot = make_slot(office)
    appointment = BookSlot(citizen=citizen, slot=slot).execute()
    mine = city.login(city.station_officer)
    page = mine.get(f"/bookings/offices/{office.pk}/?date={slot.date:%Y-%m-%d}")
    assert page.status_code == 200 and appointment.code in page.content.decode()
    assert "139****5678" in page.content.decode()
    outsider = city.login(city.outsider)
    assert outsider.get(f"/bookings/offices/{office.pk}/").status_code == 404
    assert outsider.post(f"/bookings/appointments/{appointment.pk}/mark/", {"status": "attended"}).status_code == 404
    assert office.name not in outsider.get("/bookings/").content.decode()


def test_staff_create_slots_and_sessions_through_the_pages(city, office, venue):
    client = city.login(city.station_officer)
    bad = client.post(
        f"/bookings/offices/{office.pk}/",
        {
            "first_day": "2027-01-04",
            "last_day": "2027-01-01",
            "start": "09:00",
            "end": "10:00",
            "minutes": 30,
            "capacity": 2,
        },
    )
    assert bad.status_code == 400 and "结束日期不能早于开始日期" in bad.content.decode()
    ok = client.post(
        f"/bookings/offices/{office.pk}/",
        {
            "first_day": "2027-01-04",
            "last_day": "2027-01-05",
            "start": "09:00",
            "end": "10:00",
            "minutes": 30,
            "capacity": 2,
        },
    )
    assert ok.status_code == 302 and Slot.objects.filter(office=office).count() == 4
    leader = city.login(city.leader)
    response = leader.post(
        "/bookings/exams/",
        {
            "venue": venue.pk,
            "subject": "1",
            "date": "2027-01-20",
            "start": "09:00",
            "seats": "30",
            "opens_at": "2027-01-05T08:00",
            "closes_at": "2027-01-15T17:00",
        },
    )
    assert response.status_code == 302 and ExamSession.objects.count() == 1
    assert city.login(city.outsider).get(f"/bookings/exams/{ExamSession.objects.get().pk}/").status_code == 404


def test_the_api_allocates_and_refuses_an_outsider(city, venue):
    session = open_session(venue, seats=1)
    request_as(applicant(city, 30, date(2026, 5, 1)), session, timezone.now())
    api = city.api(city.leader)
    ranked = api.get(f"/api/v1/bookings/exam-sessions/{session.pk}/bookings").json()
    assert [r["rank"] for r in ranked] == [1]
    early = api.post(f"/api/v1/bookings/exam-sessions/{session.pk}/allocate")
    assert early.status_code == 400 and early.json()["detail"][0]["field"] == "session"
    assert city.api(city.outsider).post(f"/api/v1/bookings/exam-sessions/{session.pk}/allocate").status_code == 404
    ExamSession.objects.filter(pk=session.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    done = api.post(f"/api/v1/bookings/exam-sessions/{session.pk}/allocate")
    assert done.status_code == 200 and done.json()[0]["status"] == "allocated"
    bad = api.post(
        f"/api/v1/bookings/offices/{venue.pk}/slots",
        data=json.dumps({"first_day": "x", "last_day": "2027-01-01", "start": "09:00", "end": "10:00"}),
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["detail"][0]["field"] == "first_day"

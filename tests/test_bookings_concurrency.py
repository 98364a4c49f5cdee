"""No slot or exam seat is ever over-booked, with many citizens pressing 预约 at the same moment.

Each citizen runs in a thread of its own with its own database connection, all released together by
a barrier (as tests/test_concurrency.py does). On PostgreSQL this is the real test: 50 connections
race for 10 seats under READ COMMITTED. SQLite serializes writers, so there the same test runs with
fewer threads and checks that the losers get a clean "已约满", not a lock error.
"""

from datetime import time, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from anmin.bookings.actions import AllocateSession, BookSlot, CancelAppointment, RequestExamSeat
from anmin.bookings.models import Appointment, ExamApplicant, ExamBooking, ExamSession, Office, Slot
from anmin.citizens.models import Citizen
from anmin.core.errors import Conflict
from anmin.core.models import verify_chain
from tests.test_concurrency import in_thread, run_together

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CAPACITY = 10


def threads() -> int:
    return 50 if connection.vendor == "postgresql" else 16


def make_citizens(n: int) -> list[Citizen]:
    now = timezone.now()
    return Citizen.objects.bulk_create(
        Citizen(phone=f"1360000{i:04d}", name=f"群众{i}", id_number=f"13110219900101{i:04d}", verified_at=now)
        for i in range(n)
    )


def test_fifty_citizens_racing_for_ten_seats_book_exactly_ten(city):
    office = in_thread(lambda: Office.objects.create(organization=city.station_a1, name="户政窗口"))
    slot = in_thread(
        lambda: Slot.objects.create(
            office=office,
            date=timezone.localdate() + timedelta(days=1),
            start=time(9),
            end=time(9, 30),
            capacity=CAPACITY,
        )
    )
    citizens = in_thread(lambda: make_citizens(threads()))

    outcomes = run_together(*[lambda c=c: BookSlot(citizen=c, slot=slot).execute() for c in citizens])

    ok = [o for o in outcomes if o[0] == "ok"]
    refused = [o[1] for o in outcomes if o[0] == "error"]
    assert len(ok) == CAPACITY, outcomes
    assert len(refused) == len(citizens) - CAPACITY
    assert all(isinstance(e, Conflict) and e.code == "full" for e in refused), {repr(e) for e in refused}
    slot.refresh_from_db()
    assert slot.booked == CAPACITY == slot.appointments.filter(status=Appointment.Status.BOOKED).count()

    # Cancellations racing with new bookings: the counter still equals the rows, never above capacity.
    holders = [o[1] for o in ok][:5]
    losers = [c for c in citizens if not Appointment.objects.filter(citizen=c).exists()][:15]
    jobs = [lambda a=a: CancelAppointment(citizen=a.citizen, appointment=a).execute() for a in holders]
    jobs += [lambda c=c: BookSlot(citizen=c, slot=slot).execute() for c in losers]
    run_together(*jobs)
    slot.refresh_from_db()
    live = slot.appointments.filter(status=Appointment.Status.BOOKED).count()
    assert slot.booked == live <= CAPACITY
    assert verify_chain()[1] is None


def test_one_citizen_double_clicking_gets_one_appointment(city):
    office = in_thread(lambda: Office.objects.create(organization=city.station_a1, name="户政窗口"))
    slot = in_thread(
        lambda: Slot.objects.create(
            office=office, date=timezone.localdate() + timedelta(days=1), start=time(9), end=time(9, 30), capacity=5
        )
    )
    [citizen] = in_thread(lambda: make_citizens(1))
    outcomes = run_together(*[lambda: BookSlot(citizen=citizen, slot=slot).execute() for _ in range(6)])
    assert sum(o[0] == "ok" for o in outcomes) == 1, outcomes
    assert all(isinstance(o[1], Conflict) and o[1].code == "duplicate" for o in outcomes if o[0] == "error")
    slot.refresh_from_db()
    assert slot.booked == 1 == slot.appointments.count()


def test_exam_requests_race_and_allocation_gives_exactly_the_seats(city):
    venue = in_thread(lambda: Office.objects.create(organization=city.traffic, name="科目一考场"))
    now = timezone.now()
    session = in_thread(
        lambda: ExamSession.objects.create(
            venue=venue,
            subject="1",
            date=timezone.localdate() + timedelta(days=7),
            start=time(9),
            seats=CAPACITY,
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(hours=1),
        )
    )
    citizens = in_thread(lambda: make_citizens(threads()))

    def register():
        return ExamApplicant.objects.bulk_create(
            ExamApplicant(
                organization=city.traffic,
                id_number=c.id_number,
                name=c.name,
                licence_class="C1",
                accepted_on=timezone.localdate() - timedelta(days=30 + i % 7),
            )
            for i, c in enumerate(citizens)
        )

    in_thread(register)
    requests = run_together(*[lambda c=c: RequestExamSeat(citizen=c, session=session).execute() for c in citizens])
    assert all(o[0] == "ok" for o in requests), [o for o in requests if o[0] == "error"][:3]

    # Staff press 排考 while the cron job runs it too: one allocation, the others told it is done.
    at = session.closes_at
    allocations = run_together(*[lambda: AllocateSession(session=session, now=at).execute() for _ in range(4)])
    assert sum(o[0] == "ok" for o in allocations) == 1, allocations
    assert all(isinstance(o[1], Conflict) for o in allocations if o[0] == "error")

    session.refresh_from_db()
    allocated = ExamBooking.objects.filter(session=session, status=ExamBooking.Status.ALLOCATED)
    assert session.allocated == CAPACITY == allocated.count()
    assert ExamBooking.objects.filter(session=session, status=ExamBooking.Status.WAITLISTED).count() == (
        len(citizens) - CAPACITY
    )
    # The seats went to the earliest acceptance dates.
    worst_in = max(b.applicant.accepted_on for b in allocated.select_related("applicant"))
    waiting = ExamBooking.objects.filter(session=session, status=ExamBooking.Status.WAITLISTED)
    assert all(b.applicant.accepted_on >= worst_in for b in waiting.select_related("applicant"))

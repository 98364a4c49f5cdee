"""Staff API for appointments and 约考 (/api/v1/bookings/…): the same actions as the pages, every
read through visible_to (another unit's office answers 404), every refusal naming its field."""

from datetime import date, datetime, time

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema

from anmin.bookings.actions import (
    MAX_CAPACITY,
    AllocateSession,
    CreateSlots,
    MarkAppointment,
    PublishResults,
    ranked_requests,
)
from anmin.bookings.models import Appointment, ExamBooking, ExamSession, Office, Slot
from anmin.core.pii import mask_name
from anmin.core.schema import Id

router = Router(tags=["bookings"])


class OfficeOut(Schema):
    id: int
    name: str
    address: str
    organization_id: int
    active: bool


class SlotOut(Schema):
    id: int
    office_id: int
    date: date
    start: time
    end: time
    capacity: int
    booked: int


class SlotsIn(Schema):
    first_day: str = Field(..., max_length=20)
    last_day: str = Field(..., max_length=20)
    start: str = Field(..., max_length=10)
    end: str = Field(..., max_length=10)
    minutes: int = Field(30, ge=5, le=480)
    capacity: int = Field(5, ge=1, le=MAX_CAPACITY)
    working_days_only: bool = True


class AppointmentOut(Schema):
    id: int
    code: str
    slot_id: int
    status: str
    purpose: str
    citizen_name: str = Field(..., description="已脱敏")

    @staticmethod
    def resolve_citizen_name(appointment) -> str:
        return mask_name(appointment.citizen.name)


class MarkIn(Schema):
    status: str = Field(..., max_length=20, description="attended | no_show")


class SessionOut(Schema):
    id: int
    venue_id: int
    subject: str
    date: date
    start: time
    seats: int
    allocated: int
    opens_at: datetime
    closes_at: datetime
    status: str


class BookingOut(Schema):
    id: int
    applicant_name: str = Field(..., description="已脱敏")
    licence_class: str = Field(..., alias="applicant.licence_class")
    requested_at: datetime
    status: str
    rank: int | None
    rank_date: date | None
    first_time: bool
    result: str

    @staticmethod
    def resolve_applicant_name(booking) -> str:
        return mask_name(booking.applicant.name)


class ResultsIn(Schema):
    results: dict[str, str] = Field(..., max_length=5000, description="booking id → pass | fail | absent")


@router.get("/bookings/offices", response=list[OfficeOut])
def list_offices(request):
    return Office.objects.visible_to(request.user).order_by("pk")


@router.get("/bookings/slots", response=list[SlotOut])
def list_slots(request, office: Id, day: date):
    office_obj = get_object_or_404(Office.objects.visible_to(request.user), pk=office)
    return Slot.objects.filter(office=office_obj, date=day)


@router.post("/bookings/offices/{office_id}/slots", response={201: list[SlotOut]})
def create_slots(request, office_id: Id, payload: SlotsIn):
    office = get_object_or_404(Office.objects.visible_to(request.user), pk=office_id)
    return 201, CreateSlots(by=request.user, office=office, **payload.dict()).execute()


@router.get("/bookings/appointments", response=list[AppointmentOut])
def list_appointments(request, office: Id, day: date):
    office_obj = get_object_or_404(Office.objects.visible_to(request.user), pk=office)
    return Appointment.objects.filter(slot__office=office_obj, slot__date=day).select_related("citizen")


@router.post("/bookings/appointments/{pk}/mark", response=AppointmentOut)
def mark_appointment(request, pk: Id, payload: MarkIn):
    appointment = get_object_or_404(Appointment.objects.visible_to(request.user).select_related("slot__office"), pk=pk)
    return MarkAppointment(by=request.user, appointment=appointment, status=payload.status).execute()


@router.get("/bookings/exam-sessions", response=list[SessionOut])
def list_sessions(request):
    return ExamSession.objects.visible_to(request.user).order_by("-date", "start")[:500]


@router.get("/bookings/exam-sessions/{pk}/bookings", response=list[BookingOut])
def session_bookings(request, pk: Id):
    """The requests in allocation order (before allocation: the order they would get)."""
    session = get_object_or_404(ExamSession.objects.visible_to(request.user), pk=pk)
    if session.status == ExamSession.Status.OPEN:
        return ranked_requests(session)
    return (
        ExamBooking.objects.filter(session=session)
        .exclude(status=ExamBooking.Status.CANCELLED)
        .select_related("applicant")
        .order_by("rank", "requested_at")
    )


@router.post("/bookings/exam-sessions/{pk}/allocate", response=list[BookingOut])
def allocate(request, pk: Id):
    session = get_object_or_404(ExamSession.objects.visible_to(request.user).select_related("venue"), pk=pk)
    return AllocateSession(session=session, by=request.user).execute()


@router.post("/bookings/exam-sessions/{pk}/results", response=SessionOut)
def publish_results(request, pk: Id, payload: ResultsIn):
    session = get_object_or_404(ExamSession.objects.visible_to(request.user).select_related("venue"), pk=pk)
    return PublishResults(session=session, results=payload.results, by=request.user).execute()

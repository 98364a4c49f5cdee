"""Every change to appointments and exam bookings: one action each, checked, audited, in one transaction.

Over-booking is impossible by construction: a seat is taken by a conditional UPDATE
(`booked < capacity`) in the booking's own transaction, so two citizens racing for the last seat
cannot both see it free — the database applies one increment, the other updates no row and is
told "已约满". The check constraints on `Slot` and `ExamSession` refuse any counter above capacity
even if some future code forgot the condition.
"""

from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from anmin.bookings import ranking
from anmin.bookings.models import (
    Appointment,
    ExamApplicant,
    ExamBooking,
    ExamSession,
    LicenceClass,
    Office,
    Slot,
    Subject,
)
from anmin.citizens import sms
from anmin.citizens.models import Citizen
from anmin.core.actions import Action
from anmin.core.crypto import matching
from anmin.core.errors import ActionError, Conflict, Denied
from anmin.core.idnumber import clean_id_number
from anmin.core.validation import clean_text
from anmin.org.models import Organization

#: Slots are created at most this far ahead in one go (a quarter), so a typo cannot make 10,000 rows.
MAX_SLOT_DAYS = 92
MAX_CAPACITY = 500


# ---------------------------------------------------------------- parsing helpers (fields named)


def parse_date(value, field: str, label: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise ActionError(_("%(label)s应为日期（YYYY-MM-DD）") % {"label": label}, field=field) from None


def parse_time(value, field: str, label: str) -> time:
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value or "").strip())
    except ValueError:
        raise ActionError(_("%(label)s应为时间（HH:MM）") % {"label": label}, field=field) from None


def parse_datetime(value, field: str, label: str) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value or "").strip())
        except ValueError:
            raise ActionError(_("%(label)s应为时间（YYYY-MM-DD HH:MM）") % {"label": label}, field=field) from None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def parse_int(value, field: str, label: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ActionError(_("%(label)s应为整数") % {"label": label}, field=field) from None
    if not low <= number <= high:
        raise ActionError(
            _("%(label)s应在 %(low)s 到 %(high)s 之间") % {"label": label, "low": low, "high": high}, field=field
        )
    return number


def require_visible(user, organization_id: int) -> None:
    """Staff act only on offices of their own organization subtree."""
    if user is None or not Organization.objects.visible_to(user).filter(pk=organization_id).exists():
        raise Denied(_("该网点不属于您的单位"))


def notify(phone: str, text: str) -> None:
    """SMS after commit: a refused or rolled-back action tells nobody anything."""
    sms.send(phone, text)


def _require_verified(citizen: Citizen) -> None:
    if not citizen.is_verified:
        raise Denied(_("请先完成实名认证"), field="citizen", code="unverified")


# ---------------------------------------------------------------- offices and slots (staff)


class CreateOffice(Action):
    """Open an office (户政窗口、车管所窗口、考场) for bookings under a unit the officer belongs to."""

    audit_action = "bookings.office_create"

    def __init__(self, *, by, organization: Organization, name: str, address: str = ""):
        self.by, self.organization, self.name, self.address = by, organization, name, address

    def check(self) -> None:
        require_visible(self.by, self.organization.pk)
        self.clean_name = clean_text(self.name, "name", _("名称"), 60, required=True)
        self.clean_address = clean_text(self.address, "address", _("地址"), 200, required=False)

    def run(self) -> Office:
        office = Office.objects.create(organization=self.organization, name=self.clean_name, address=self.clean_address)
        self.audit(office, {"name": office.name})
        return office


class CreateSlots(Action):
    """Create the slots of an office for a range of days in one go: from `start` to `end` every
    `minutes`, each for `capacity` citizens; by default on working days only (法定节假日 and weekends
    off, make-up days on). Slots that already exist are left as they are."""

    audit_action = "bookings.slots_create"

    def __init__(
        self,
        *,
        by,
        office: Office,
        first_day,
        last_day,
        start,
        end,
        minutes=30,
        capacity=5,
        working_days_only: bool = True,
        now: datetime | None = None,
    ):
        self.by, self.office = by, office
        self.raw = {"first_day": first_day, "last_day": last_day, "start": start, "end": end}
        self.minutes, self.capacity = minutes, capacity
        self.working_days_only = working_days_only
        self.now = now or timezone.now()

    def check(self) -> None:
        require_visible(self.by, self.office.organization_id)
        self.first = parse_date(self.raw["first_day"], "first_day", _("开始日期"))
        self.last = parse_date(self.raw["last_day"], "last_day", _("结束日期"))
        self.start = parse_time(self.raw["start"], "start", _("开始时间"))
        self.end = parse_time(self.raw["end"], "end", _("结束时间"))
        self.step = parse_int(self.minutes, "minutes", _("每段分钟数"), 5, 480)
        self.cap = parse_int(self.capacity, "capacity", _("每段人数"), 1, MAX_CAPACITY)
        if self.first < timezone.localdate(self.now):
            raise ActionError(_("开始日期不能早于今天"), field="first_day")
        if self.last < self.first:
            raise ActionError(_("结束日期不能早于开始日期"), field="last_day")
        if (self.last - self.first).days >= MAX_SLOT_DAYS:
            raise ActionError(_("一次最多创建 %(n)s 天的时段") % {"n": MAX_SLOT_DAYS}, field="last_day")
        if self.end <= self.start:
            raise ActionError(_("结束时间应晚于开始时间"), field="end")

    def run(self) -> list[Slot]:
        from anmin.supervision.calendar import is_working_day

        times = []
        cursor = datetime.combine(self.first, self.start)
        while (cursor + timedelta(minutes=self.step)).time() <= self.end and cursor.date() == self.first:
            times.append((cursor.time(), (cursor + timedelta(minutes=self.step)).time()))
            cursor += timedelta(minutes=self.step)
        if not times:
            raise ActionError(_("开始与结束时间之间放不下一个时段"), field="minutes")
        existing = set(
            Slot.objects.filter(office=self.office, date__range=(self.first, self.last)).values_list("date", "start")
        )
        new = []
        day = self.first
        while day <= self.last:
            if not self.working_days_only or is_working_day(day):
                for begin, finish in times:
                    if (day, begin) not in existing and timezone.make_aware(datetime.combine(day, begin)) > self.now:
                        new.append(Slot(office=self.office, date=day, start=begin, end=finish, capacity=self.cap))
            day += timedelta(days=1)
        Slot.objects.bulk_create(new)
        self.audit(self.office, {"from": self.first, "to": self.last, "count": len(new), "capacity": self.cap})
        return new


# ---------------------------------------------------------------- counter appointments (citizen)


class BookSlot(Action):
    """A citizen books a counter slot: not one that has started, not twice, never beyond capacity."""

    audit_action = "bookings.book"

    def audit_actor(self):
        return self.citizen

    def __init__(self, *, citizen: Citizen, slot: Slot, purpose: str = "", now: datetime | None = None):
        self.citizen, self.slot, self.purpose = citizen, slot, purpose
        self.now = now or timezone.now()

    def check(self) -> None:
        _require_verified(self.citizen)
        self.clean_purpose = clean_text(self.purpose, "purpose", _("办理事项"), 100, required=False)
        if not self.slot.office.active:
            raise ActionError(_("该网点暂停预约"), field="slot", code="closed")
        if self.slot.starts_at <= self.now:
            raise ActionError(_("该时段已开始或已过去，请选择其他时段"), field="slot", code="past")
        mine = Appointment.objects.filter(citizen=self.citizen, slot=self.slot).exclude(
            status=Appointment.Status.CANCELLED
        )
        if mine.exists():
            raise Conflict(_("您已预约该时段"), field="slot", code="duplicate")

    def run(self) -> Appointment:
        # The seat is taken by one conditional UPDATE: of racing citizens for the last seat, the
        # database lets exactly one through (the row is locked until this transaction ends).
        taken = Slot.objects.filter(pk=self.slot.pk, booked__lt=F("capacity")).update(booked=F("booked") + 1)
        if not taken:
            raise Conflict(_("该时段已约满，请选择其他时段"), field="slot", code="full")
        try:
            with transaction.atomic():  # a savepoint: the same citizen racing themselves
                appointment = Appointment.objects.create(
                    citizen=self.citizen, slot=self.slot, purpose=self.clean_purpose, booked_at=self.now
                )
        except IntegrityError:
            raise Conflict(_("您已预约该时段"), field="slot", code="duplicate") from None
        self.audit(appointment, {"slot": self.slot.pk, "code": appointment.code})
        slot = self.slot
        notify(
            self.citizen.phone,
            _(
                "【安民】您已预约 %(office)s %(date)s %(start)s–%(end)s，预约码 %(code)s。"
                "请按时到场，如不能前往请提前取消。"
            )
            % {
                "office": slot.office.name,
                "date": slot.date.strftime("%Y-%m-%d"),
                "start": slot.start.strftime("%H:%M"),
                "end": slot.end.strftime("%H:%M"),
                "code": appointment.code,
            },
        )
        return appointment


class CancelAppointment(Action):
    """The citizen cancels their own appointment, up to the moment the slot starts; the seat is freed."""

    audit_action = "bookings.cancel"

    def audit_actor(self):
        return self.citizen

    def __init__(self, *, citizen: Citizen, appointment: Appointment, now: datetime | None = None):
        self.citizen, self.appointment = citizen, appointment
        self.now = now or timezone.now()

    def check(self) -> None:
        if self.appointment.citizen_id != self.citizen.pk:
            raise Denied(_("只能取消本人的预约"))

    def run(self) -> Appointment:
        appointment = Appointment.objects.select_for_update().select_related("slot").get(pk=self.appointment.pk)
        if appointment.status != Appointment.Status.BOOKED:
            raise Conflict(
                _("该预约已%(status)s，不能取消") % {"status": appointment.get_status_display()}, field="appointment"
            )
        if appointment.slot.starts_at <= self.now:
            raise ActionError(_("预约时段已开始，不能再取消"), field="appointment", code="started")
        appointment.status = Appointment.Status.CANCELLED
        appointment.closed_at = self.now
        appointment.save(update_fields=["status", "closed_at"])
        Slot.objects.filter(pk=appointment.slot_id).update(booked=F("booked") - 1)
        self.audit(appointment, {"slot": appointment.slot_id})
        return appointment


class MarkAppointment(Action):
    """At the counter: the citizen came (已到场), or the slot started and they did not (爽约)."""

    audit_action = "bookings.mark"

    def __init__(self, *, by, appointment: Appointment, status: str, now: datetime | None = None):
        self.by, self.appointment, self.status = by, appointment, status
        self.now = now or timezone.now()

    def check(self) -> None:
        require_visible(self.by, self.appointment.slot.office.organization_id)
        if self.status not in (Appointment.Status.ATTENDED, Appointment.Status.NO_SHOW):
            raise ActionError(_("请选择“已到场”或“爽约”"), field="status")

    def run(self) -> Appointment:
        appointment = Appointment.objects.select_for_update().select_related("slot").get(pk=self.appointment.pk)
        if appointment.status != Appointment.Status.BOOKED:
            raise Conflict(_("该预约已%(status)s") % {"status": appointment.get_status_display()}, field="status")
        if self.status == Appointment.Status.ATTENDED and timezone.localdate(self.now) < appointment.slot.date:
            raise ActionError(_("预约日期未到，不能核验到场"), field="status")
        if self.status == Appointment.Status.NO_SHOW and self.now < appointment.slot.starts_at:
            raise ActionError(_("时段尚未开始，不能记为爽约"), field="status")
        appointment.status = self.status
        appointment.closed_at = self.now
        appointment.marked_by = self.by
        appointment.save(update_fields=["status", "closed_at", "marked_by"])
        self.audit(appointment, {"status": self.status})
        return appointment


# ---------------------------------------------------------------- 约考 (exam booking)


class RegisterApplicant(Action):
    """车管所 受理: record a driving-licence applicant with the class applied for and the acceptance
    date that ranks their first exam booking. The citizen finds it by their real-name ID number."""

    audit_action = "bookings.applicant_register"

    def __init__(self, *, by, organization: Organization, id_number: str, name: str, licence_class: str, accepted_on):
        self.by, self.organization = by, organization
        self.id_number, self.name, self.licence_class, self.accepted_on = id_number, name, licence_class, accepted_on

    def check(self) -> None:
        require_visible(self.by, self.organization.pk)
        self.clean_number = clean_id_number(self.id_number, field="id_number")
        self.clean_name = clean_text(self.name, "name", _("姓名"), 30, required=True)
        if self.licence_class not in LicenceClass.values:
            raise ActionError(_("请选择申请准驾车型"), field="licence_class")
        self.day = parse_date(self.accepted_on, "accepted_on", _("受理日期"))
        if self.day > timezone.localdate():
            raise ActionError(_("受理日期不能晚于今天"), field="accepted_on")
        # The number is stored encrypted: it is found by its blind index (under every data key, so
        # also in the middle of a key rotation).
        if ExamApplicant.objects.filter(matching(ExamApplicant, "id_number", self.clean_number)).exists():
            raise self.duplicate()

    @staticmethod
    def duplicate() -> Conflict:
        return Conflict(_("该身份证号码已有考试申请记录"), field="id_number", code="duplicate")

    def run(self) -> ExamApplicant:
        try:
            with transaction.atomic():
                applicant = ExamApplicant.objects.create(
                    organization=self.organization,
                    id_number=self.clean_number,
                    name=self.clean_name,
                    licence_class=self.licence_class,
                    accepted_on=self.day,
                )
        except IntegrityError:
            # The unique index on the blind index: the same number registered meanwhile.
            raise self.duplicate() from None
        self.audit(applicant, {"class": self.licence_class})
        return applicant


class CreateExamSession(Action):
    """Open a 考试场次: subject, day and time at a venue, seats, and the booking window, which must
    close before the exam starts."""

    audit_action = "bookings.session_create"

    def __init__(self, *, by, venue: Office, subject: str, date, start, seats, opens_at, closes_at, now=None):
        self.by, self.venue, self.subject = by, venue, subject
        self.raw = {"date": date, "start": start, "seats": seats, "opens_at": opens_at, "closes_at": closes_at}
        self.now = now or timezone.now()

    def check(self) -> None:
        require_visible(self.by, self.venue.organization_id)
        if self.subject not in Subject.values:
            raise ActionError(_("请选择考试科目"), field="subject")
        self.day = parse_date(self.raw["date"], "date", _("考试日期"))
        self.start = parse_time(self.raw["start"], "start", _("开考时间"))
        self.seats = parse_int(self.raw["seats"], "seats", _("考位数"), 1, MAX_CAPACITY)
        self.opens_at = parse_datetime(self.raw["opens_at"], "opens_at", _("预约开始"))
        self.closes_at = parse_datetime(self.raw["closes_at"], "closes_at", _("预约截止"))
        starts = timezone.make_aware(datetime.combine(self.day, self.start))
        if starts <= self.now:
            raise ActionError(_("考试时间应在将来"), field="date")
        if self.closes_at <= self.opens_at:
            raise ActionError(_("预约截止应晚于预约开始"), field="closes_at")
        if self.closes_at > starts:
            raise ActionError(_("预约截止应早于开考时间"), field="closes_at")

    def run(self) -> ExamSession:
        session = ExamSession.objects.create(
            venue=self.venue,
            subject=self.subject,
            date=self.day,
            start=self.start,
            seats=self.seats,
            opens_at=self.opens_at,
            closes_at=self.closes_at,
        )
        self.audit(session, {"seats": self.seats})
        return session


class RequestExamSeat(Action):
    """An applicant asks for a seat in a session while its booking window is open. One request per
    session, and one live request per subject at a time (the seat they already hold or wait for)."""

    audit_action = "bookings.exam_request"

    def audit_actor(self):
        return self.citizen

    def __init__(self, *, citizen: Citizen, session: ExamSession, now: datetime | None = None):
        self.citizen, self.session = citizen, session
        self.now = now or timezone.now()

    def check(self) -> None:
        _require_verified(self.citizen)
        self.applicant = ExamApplicant.of(self.citizen)
        if self.applicant is None:
            raise ActionError(
                _("未找到您的驾驶证申请受理记录，请先到车管所或驾校办理受理"), field="session", code="no_applicant"
            )

    def run(self) -> ExamBooking:
        # The session row is locked so no request slips in while the seats are being allocated.
        session = ExamSession.objects.select_for_update().get(pk=self.session.pk)
        if session.status != ExamSession.Status.OPEN or self.now >= session.closes_at:
            raise ActionError(_("该场次预约已截止"), field="session", code="closed")
        if self.now < session.opens_at:
            raise ActionError(_("该场次尚未开放预约"), field="session", code="not_open")
        applicant = ExamApplicant.objects.select_for_update().get(pk=self.applicant.pk)
        live = ExamBooking.objects.filter(
            applicant=applicant,
            session__subject=session.subject,
            status__in=[ExamBooking.Status.REQUESTED, ExamBooking.Status.ALLOCATED],
            result="",
        )
        if live.filter(session=session).exists():
            raise Conflict(_("您已申请该场次"), field="session", code="duplicate")
        if live.exists():
            raise Conflict(_("您已有该科目的约考申请或考位，请勿重复预约"), field="session", code="duplicate_subject")
        booking = ExamBooking.objects.create(
            applicant=applicant, session=session, citizen=self.citizen, requested_at=self.now
        )
        self.audit(booking, {"session": session.pk})
        return booking


class CancelExamBooking(Action):
    """The applicant withdraws: a request costs nothing; an allocated seat may be given back until
    the exam starts, counts as a cancellation for their next ranking, and goes to the first on the
    waiting list."""

    audit_action = "bookings.exam_cancel"

    def audit_actor(self):
        return self.citizen

    def __init__(self, *, citizen: Citizen, booking: ExamBooking, now: datetime | None = None):
        self.citizen, self.booking = citizen, booking
        self.now = now or timezone.now()

    def check(self) -> None:
        if self.booking.citizen_id != self.citizen.pk:
            raise Denied(_("只能取消本人的约考"))

    def run(self) -> ExamBooking:
        session = ExamSession.objects.select_for_update().get(pk=self.booking.session_id)
        booking = ExamBooking.objects.select_for_update().select_related("applicant").get(pk=self.booking.pk)
        if booking.status not in (ExamBooking.Status.REQUESTED, ExamBooking.Status.ALLOCATED) or booking.result:
            raise Conflict(_("该约考已%(s)s，不能取消") % {"s": booking.get_status_display()}, field="booking")
        if session.starts_at <= self.now:
            raise ActionError(_("考试已开始，不能取消"), field="booking", code="started")
        held = booking.status == ExamBooking.Status.ALLOCATED
        booking.status = ExamBooking.Status.CANCELLED
        booking.cancelled_at = self.now
        booking.save(update_fields=["status", "cancelled_at"])
        promoted = None
        if held:
            ExamApplicant.objects.filter(pk=booking.applicant_id).update(last_cancelled_on=timezone.localdate(self.now))
            ExamSession.objects.filter(pk=session.pk).update(allocated=F("allocated") - 1)
            promoted = self._promote(session)
        self.audit(booking, {"held_seat": held, "promoted": promoted.pk if promoted else None})
        return booking

    def _promote(self, session: ExamSession) -> ExamBooking | None:
        nxt = (
            ExamBooking.objects.select_for_update(of=("self",))
            .select_related("citizen")
            .filter(session=session, status=ExamBooking.Status.WAITLISTED)
            .order_by("rank", "requested_at")
            .first()
        )
        if nxt is None:
            return None
        if not ExamSession.objects.filter(pk=session.pk, allocated__lt=F("seats")).update(allocated=F("allocated") + 1):
            return None
        nxt.status = ExamBooking.Status.ALLOCATED
        nxt.allocated_at = self.now
        nxt.save(update_fields=["status", "allocated_at"])
        if nxt.citizen is not None:
            notify(nxt.citizen.phone, seat_message(session, allocated=True))
        return nxt


def seat_message(session: ExamSession, *, allocated: bool) -> str:
    values = {
        "subject": session.get_subject_display(),
        "date": session.date.strftime("%Y-%m-%d"),
        "start": session.start.strftime("%H:%M"),
        "venue": session.venue.name,
    }
    if allocated:
        return (
            _("【安民】您预约的%(subject)s考试已分配考位：%(date)s %(start)s，%(venue)s。请携带身份证按时参加。")
            % values
        )
    return _("【安民】%(date)s %(venue)s %(subject)s考试考位已满，您未分配到考位，请预约其他场次。") % values


def ranked_requests(session: ExamSession) -> list[ExamBooking]:
    """The session's open requests in allocation order (also shown to staff before allocating)."""
    requests = list(
        ExamBooking.objects.filter(session=session, status=ExamBooking.Status.REQUESTED).select_related(
            "applicant", "citizen"
        )
    )
    repeaters = set(
        ExamBooking.objects.filter(
            applicant_id__in={b.applicant_id for b in requests},
            session__subject=session.subject,
            allocated_at__isnull=False,
        )
        .exclude(session=session)
        .values_list("applicant_id", flat=True)
    )
    return ranking.rank(requests, repeaters)


class AllocateSession(Action):
    """排考: when a session's booking window has closed, rank its requests (see
    `anmin.bookings.ranking` for the rule and its basis), give the seats down the list, put the
    rest on the waiting list, and tell every applicant by SMS. Run by staff from the session page or
    by `anmin bookings allocate` for every session whose window has closed."""

    audit_action = "bookings.allocate"

    def __init__(self, *, session: ExamSession, by=None, now: datetime | None = None):
        self.session, self.by = session, by
        self.now = now or timezone.now()

    def check(self) -> None:
        if self.by is not None:
            require_visible(self.by, self.session.venue.organization_id)

    def run(self) -> list[ExamBooking]:
        session = ExamSession.objects.select_for_update().select_related("venue").get(pk=self.session.pk)
        if session.status != ExamSession.Status.OPEN:
            raise Conflict(_("该场次已排考"), field="session", code="allocated")
        if self.now < session.closes_at:
            raise ActionError(_("预约尚未截止，截止后才能排考"), field="session", code="window_open")
        ordered = ranked_requests(session)
        for booking in ordered:
            won = booking.rank <= session.seats
            booking.status = ExamBooking.Status.ALLOCATED if won else ExamBooking.Status.WAITLISTED
            booking.allocated_at = self.now if won else None
            if booking.citizen is not None:
                notify(booking.citizen.phone, seat_message(session, allocated=won))
        ExamBooking.objects.bulk_update(ordered, ["status", "allocated_at", "rank", "rank_date", "first_time"])
        allocated = min(session.seats, len(ordered))
        session.allocated = allocated
        session.status = ExamSession.Status.ALLOCATED
        session.allocated_at = self.now
        session.save(update_fields=["allocated", "status", "allocated_at"])
        self.audit(session, {"requests": len(ordered), "allocated": allocated, "order": [b.pk for b in ordered]})
        return ordered


class PublishResults(Action):
    """成绩公布: a result for every allocated seat — 合格, 不合格 or 缺考. A result dates the
    applicant's last exam, and 缺考 their last no-show, which rank their next booking."""

    audit_action = "bookings.results"

    def __init__(self, *, session: ExamSession, results: dict, by, now: datetime | None = None):
        self.session, self.results, self.by = session, results, by
        self.now = now or timezone.now()

    def check(self) -> None:
        require_visible(self.by, self.session.venue.organization_id)

    def run(self) -> ExamSession:
        session = ExamSession.objects.select_for_update().select_related("venue").get(pk=self.session.pk)
        if session.status != ExamSession.Status.ALLOCATED:
            raise Conflict(_("该场次不在待公布成绩状态"), field="session")
        if self.now < session.starts_at:
            raise ActionError(_("考试尚未开始，不能公布成绩"), field="session", code="not_started")
        seats = list(
            ExamBooking.objects.select_for_update(of=("self",))
            .filter(session=session, status=ExamBooking.Status.ALLOCATED)
            .select_related("applicant", "citizen")
        )
        valid = {ExamBooking.Result.PASS, ExamBooking.Result.FAIL, ExamBooking.Result.ABSENT}
        for booking in seats:
            value = self.results.get(booking.pk) or self.results.get(str(booking.pk)) or ""
            if value not in valid:
                raise ActionError(
                    _("请填写 %(name)s 的考试结果") % {"name": booking.applicant.name}, field=f"result-{booking.pk}"
                )
            booking.result = value
        ExamBooking.objects.bulk_update(seats, ["result"])
        for booking in seats:
            field = "last_no_show_on" if booking.result == ExamBooking.Result.ABSENT else "last_exam_on"
            ExamApplicant.objects.filter(pk=booking.applicant_id).update(**{field: session.date})
            if booking.citizen is not None:
                notify(
                    booking.citizen.phone,
                    _("【安民】您 %(date)s 的%(subject)s考试结果：%(result)s。")
                    % {
                        "date": session.date.strftime("%Y-%m-%d"),
                        "subject": session.get_subject_display(),
                        "result": booking.get_result_display(),
                    },
                )
        session.status = ExamSession.Status.PUBLISHED
        session.save(update_fields=["status"])
        self.audit(session, {"results": {b.pk: b.result for b in seats}})
        return session


def allocate_due(now: datetime | None = None) -> list[ExamSession]:
    """Allocate every session whose booking window has closed (`anmin bookings allocate`)."""
    now = now or timezone.now()
    done = []
    for session in ExamSession.objects.filter(status=ExamSession.Status.OPEN, closes_at__lte=now).select_related(
        "venue"
    ):
        try:
            AllocateSession(session=session, now=now).execute()
        except Conflict:
            continue  # allocated meanwhile by staff or another run
        session.refresh_from_db()
        done.append(session)
    return done

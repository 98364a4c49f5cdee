"""Counter appointments (窗口预约) and driving-exam booking (约考).

A citizen books a time slot at an office's counter (户政窗口, 车管所窗口…) instead of queueing; a
driving-licence applicant asks for a seat in an exam session and the 车管所 allocates the seats by the
traffic authority's ranking when booking closes (see `anmin.bookings.ranking`).

No slot and no exam session is ever over-booked: the counters are raised by a conditional UPDATE
inside the booking's transaction, and the database refuses a counter above the capacity.
"""

import secrets
from datetime import datetime

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anmin.citizens.models import Citizen
from anmin.core.crypto import BlindIndexField, EncryptedCharField, matching
from anmin.org.models import Organization, scope_path

#: Booking codes avoid letters and digits people confuse when read out at a counter (0/O, 1/I).
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_code(length: int = 8) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def scoped(queryset, user, prefix: str):
    """Rows whose organization (reached through `prefix`) is in the user's subtree."""
    path = scope_path(user)
    if path is None:
        return queryset.none()
    return queryset.filter(**{f"{prefix}path__startswith": path}) if path else queryset


class OfficeQuerySet(models.QuerySet):
    def visible_to(self, user):
        return scoped(self, user, "organization__")


class Office(models.Model):
    """A place the public comes to: a 户政窗口 of a 派出所, a 车管所 counter or an exam venue (考场)."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("所属单位"), related_name="offices", on_delete=models.PROTECT
    )
    name = models.CharField(_("名称"), max_length=60)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    active = models.BooleanField(_("开放预约"), default=True)

    objects = OfficeQuerySet.as_manager()

    class Meta:
        verbose_name = _("办事网点")
        verbose_name_plural = _("办事网点")
        ordering = ["organization__code", "name"]

    def __str__(self):
        return self.name


class SlotQuerySet(models.QuerySet):
    def visible_to(self, user):
        return scoped(self, user, "office__organization__")


class Slot(models.Model):
    """A time slot at an office on one day, with the number of citizens it can serve."""

    office = models.ForeignKey(Office, verbose_name=_("网点"), related_name="slots", on_delete=models.CASCADE)
    date = models.DateField(_("日期"))
    start = models.TimeField(_("开始时间"))
    end = models.TimeField(_("结束时间"))
    capacity = models.PositiveSmallIntegerField(_("可预约人数"))
    booked = models.PositiveSmallIntegerField(_("已预约人数"), default=0)

    objects = SlotQuerySet.as_manager()

    class Meta:
        verbose_name = _("预约时段")
        verbose_name_plural = _("预约时段")
        ordering = ["date", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(booked__lte=F("capacity")) & Q(booked__gte=0), name="bookings_slot_not_overbooked"
            ),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="bookings_slot_ends_after_start"),
            models.UniqueConstraint(fields=["office", "date", "start"], name="bookings_slot_unique_start"),
        ]

    def __str__(self):
        return f"{self.office} {self.date:%Y-%m-%d} {self.start:%H:%M}–{self.end:%H:%M}"

    @property
    def starts_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.date, self.start))

    @property
    def left(self) -> int:
        return max(0, self.capacity - self.booked)


class AppointmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        return scoped(self, user, "slot__office__organization__")


class Appointment(models.Model):
    """A citizen's booking of a slot (预约), shown at the counter by its booking code."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("已预约")
        CANCELLED = "cancelled", _("已取消")
        ATTENDED = "attended", _("已到场")
        NO_SHOW = "no_show", _("爽约")

    citizen = models.ForeignKey(
        Citizen, verbose_name=_("预约人"), related_name="appointments", on_delete=models.PROTECT
    )
    slot = models.ForeignKey(Slot, verbose_name=_("时段"), related_name="appointments", on_delete=models.PROTECT)
    purpose = models.CharField(_("办理事项"), max_length=100, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.BOOKED)
    code = models.CharField(_("预约码"), max_length=8, unique=True, default=new_code)
    booked_at = models.DateTimeField(_("预约时间"), default=timezone.now)
    closed_at = models.DateTimeField(_("取消/核验时间"), null=True, blank=True)
    marked_by = models.ForeignKey(
        "org.Officer", verbose_name=_("核验民警"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("窗口预约")
        verbose_name_plural = _("窗口预约")
        ordering = ["slot__date", "slot__start", "booked_at"]
        constraints = [
            # One live appointment per citizen per slot; a cancelled one may be booked again.
            models.UniqueConstraint(
                fields=["citizen", "slot"],
                condition=~Q(status="cancelled"),
                name="bookings_one_appointment_per_slot",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.slot}"


class Subject(models.TextChoices):
    """The four parts of the driving test (《机动车驾驶证申领和使用规定》 art. 26)."""

    ONE = "1", _("科目一")
    TWO = "2", _("科目二")
    THREE = "3", _("科目三")
    FOUR = "4", _("科目四")


class LicenceClass(models.TextChoices):
    A1 = "A1", "A1"
    A2 = "A2", "A2"
    A3 = "A3", "A3"
    B1 = "B1", "B1"
    B2 = "B2", "B2"
    C1 = "C1", "C1"
    C2 = "C2", "C2"
    C5 = "C5", "C5"
    C6 = "C6", "C6"
    D = "D", "D"
    E = "E", "E"
    F = "F", "F"


class ExamSessionQuerySet(models.QuerySet):
    def visible_to(self, user):
        return scoped(self, user, "venue__organization__")


class ExamSession(models.Model):
    """A driving-test session (考试场次) at a venue: one subject, a day and time, a number of seats,
    and the window during which applicants may ask for a seat (预约期)."""

    class Status(models.TextChoices):
        OPEN = "open", _("预约中")
        ALLOCATED = "allocated", _("已排考")
        PUBLISHED = "results_published", _("成绩已公布")

    venue = models.ForeignKey(Office, verbose_name=_("考场"), related_name="exam_sessions", on_delete=models.PROTECT)
    subject = models.CharField(_("考试科目"), max_length=1, choices=Subject.choices)
    date = models.DateField(_("考试日期"))
    start = models.TimeField(_("开考时间"))
    seats = models.PositiveSmallIntegerField(_("考位数"))
    allocated = models.PositiveSmallIntegerField(_("已分配考位"), default=0)
    opens_at = models.DateTimeField(_("预约开始"))
    closes_at = models.DateTimeField(_("预约截止"))
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.OPEN)
    allocated_at = models.DateTimeField(_("排考时间"), null=True, blank=True)

    objects = ExamSessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("考试场次")
        verbose_name_plural = _("考试场次")
        ordering = ["date", "start", "subject"]
        constraints = [
            models.CheckConstraint(
                condition=Q(allocated__lte=F("seats")) & Q(allocated__gte=0), name="bookings_session_not_overbooked"
            ),
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="bookings_window_closes_after_open"),
        ]

    def __str__(self):
        return f"{self.get_subject_display()} {self.date:%Y-%m-%d} {self.start:%H:%M} {self.venue}"

    @property
    def starts_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.date, self.start))

    def is_window_open(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.status == self.Status.OPEN and self.opens_at <= now < self.closes_at


class ExamApplicantQuerySet(models.QuerySet):
    def visible_to(self, user):
        return scoped(self, user, "organization__")


class ExamApplicant(models.Model):
    """A driving-licence applicant (驾驶证申请人) as the 车管所 accepted them: the licence class
    applied for, the acceptance date (受理日期), and the dates that rank their next booking.

    The citizen sees this record once their real-name ID number matches it.
    """

    organization = models.ForeignKey(
        Organization, verbose_name=_("受理单位"), related_name="exam_applicants", on_delete=models.PROTECT
    )
    # Encrypted at rest; one applicant per ID number is held by the unique blind index.
    id_number = EncryptedCharField(_("公民身份号码"), max_length=18, blank=False)
    id_number_index = BlindIndexField(source="id_number", kind="id_number", unique=True)
    name = models.CharField(_("姓名"), max_length=30)
    licence_class = models.CharField(_("申请准驾车型"), max_length=2, choices=LicenceClass.choices)
    accepted_on = models.DateField(_("受理日期"))
    last_exam_on = models.DateField(_("上次考试日期"), null=True, blank=True)
    last_cancelled_on = models.DateField(_("上次取消考试日期"), null=True, blank=True)
    last_no_show_on = models.DateField(_("上次缺考日期"), null=True, blank=True)

    objects = ExamApplicantQuerySet.as_manager()

    class Meta:
        verbose_name = _("驾驶人考试申请人")
        verbose_name_plural = _("驾驶人考试申请人")
        ordering = ["accepted_on", "id"]

    def __str__(self):
        return f"{self.name} {self.licence_class}"

    @classmethod
    def of(cls, citizen: Citizen) -> "ExamApplicant | None":
        if not citizen.is_verified or not citizen.id_number:
            return None
        return cls.objects.filter(matching(cls, "id_number", citizen.id_number)).first()


class ExamBookingQuerySet(models.QuerySet):
    def visible_to(self, user):
        return scoped(self, user, "session__venue__organization__")


class ExamBooking(models.Model):
    """An applicant's request for a seat in a session (约考申请), its allocation and its result."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("已申请")
        ALLOCATED = "allocated", _("已分配")
        WAITLISTED = "waitlisted", _("未分配（候补）")
        CANCELLED = "cancelled", _("已取消")

    class Result(models.TextChoices):
        NONE = "", _("—")
        PASS = "pass", _("合格")
        FAIL = "fail", _("不合格")
        ABSENT = "absent", _("缺考")

    applicant = models.ForeignKey(
        ExamApplicant, verbose_name=_("申请人"), related_name="bookings", on_delete=models.PROTECT
    )
    session = models.ForeignKey(ExamSession, verbose_name=_("场次"), related_name="bookings", on_delete=models.PROTECT)
    citizen = models.ForeignKey(
        Citizen,
        verbose_name=_("预约账号"),
        null=True,
        blank=True,
        related_name="exam_bookings",
        on_delete=models.SET_NULL,
    )
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    rank = models.PositiveIntegerField(_("排序"), null=True, blank=True)
    rank_date = models.DateField(_("排序日期"), null=True, blank=True)
    first_time = models.BooleanField(_("首次预约该科目"), default=True)
    allocated_at = models.DateTimeField(_("分配时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    result = models.CharField(_("考试结果"), max_length=6, choices=Result.choices, blank=True, default="")

    objects = ExamBookingQuerySet.as_manager()

    class Meta:
        verbose_name = _("约考")
        verbose_name_plural = _("约考")
        ordering = ["session", "rank", "requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "session"],
                condition=~Q(status="cancelled"),
                name="bookings_one_request_per_session",
            ),
        ]

    def __str__(self):
        return f"{self.applicant} → {self.session}"

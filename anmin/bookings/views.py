"""Pages for appointments and 约考: the citizen's on the phone (/portal/bookings/…), staff's at the
counter and the 车管所 (/bookings/…). Every citizen read is limited to `request.citizen`'s own
bookings; every staff read goes through `visible_to(request.user)`."""

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anmin.bookings.actions import (
    AllocateSession,
    BookSlot,
    CancelAppointment,
    CancelExamBooking,
    CreateExamSession,
    CreateOffice,
    CreateSlots,
    MarkAppointment,
    PublishResults,
    RegisterApplicant,
    RequestExamSeat,
    ranked_requests,
)
from anmin.bookings.forms import (
    ApplicantForm,
    BookForm,
    DayForm,
    MarkForm,
    OfficeForm,
    SeatForm,
    SessionForm,
    SlotsForm,
    SubjectForm,
    results_form_class,
)
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
from anmin.citizens.auth import citizen_required
from anmin.core.errors import ActionError
from anmin.core.forms import valid
from anmin.org.models import Organization

#: How far ahead the citizen's date chooser looks for slots.
BOOKING_HORIZON_DAYS = 14


# ------------------------------------------------------------------ citizen (mobile)


@citizen_required(verified=True)
def my_bookings(request):
    """我的预约: the citizen's counter appointments and exam bookings, newest first."""
    appointments = (
        Appointment.objects.filter(citizen=request.citizen)
        .select_related("slot__office")
        .order_by("-slot__date", "-slot__start")[:50]
    )
    exams = (
        ExamBooking.objects.filter(citizen=request.citizen)
        .select_related("session__venue")
        .order_by("-session__date", "-requested_at")[:50]
    )
    now = timezone.now()
    return render(
        request,
        "bookings/portal_mine.html",
        {
            "appointments": appointments,
            "exams": exams,
            "now": now,
            "Status": Appointment.Status,
            "ExamStatus": ExamBooking.Status,
        },
    )


@citizen_required(verified=True)
def offices(request):
    """窗口预约 step 1: choose an office that has slots in the coming days."""
    today = timezone.localdate()
    rows = (
        Office.objects.filter(active=True)
        .annotate(
            open_slots=Count(
                "slots",
                filter=Q(slots__date__gte=today, slots__date__lte=today + timedelta(days=BOOKING_HORIZON_DAYS)),
            )
        )
        .filter(open_slots__gt=0)
        .select_related("organization")
    )
    return render(request, "bookings/portal_offices.html", {"offices": rows})


def _day(request, data, default):
    """The day asked for in `data` (a DayForm), or `default` with the error when it is not a day."""
    form = DayForm(data)
    try:
        return valid(form)["date"] or default, None
    except ActionError as exc:
        return default, exc


@require_http_methods(["GET", "POST"])
@citizen_required(verified=True)
def office(request, pk):
    """窗口预约 step 2: a day, its slots with the seats left, and the booking form."""
    office = get_object_or_404(Office.objects.filter(active=True), pk=pk)
    now = timezone.now()
    today = timezone.localdate(now)
    error, purpose = None, ""
    if request.method == "POST":
        form = BookForm(request.POST)
        try:
            values = valid(form)
            slot = Slot.objects.filter(office=office, pk=values["slot"]).select_related("office").first()
            if slot is None:
                raise ActionError(_("请选择预约时段"), field="slot", code="required")
            appointment = BookSlot(citizen=request.citizen, slot=slot, purpose=values["purpose"]).execute()
        except ActionError as exc:
            error = exc
            purpose = form.cleaned_data.get("purpose", "")
        else:
            messages.success(request, _("预约成功，预约码 %(code)s") % {"code": appointment.code})
            return redirect("bookings:mine")
    days = list(
        Slot.objects.filter(office=office, date__gte=today, date__lte=today + timedelta(days=BOOKING_HORIZON_DAYS))
        .values_list("date", flat=True)
        .distinct()
        .order_by("date")
    )
    day, day_error = _day(request, request.POST if request.method == "POST" else request.GET, None)
    day = day or (days[0] if days else today)
    error = error or day_error
    slots = [s for s in Slot.objects.filter(office=office, date=day).select_related("office") if s.starts_at > now]
    return render(
        request,
        "bookings/portal_office.html",
        {"office": office, "days": days, "day": day, "slots": slots, "error": error, "purpose": purpose},
        status=error.status if error else 200,
    )


@require_POST
@citizen_required(verified=True)
def cancel_appointment(request, pk):
    appointment = get_object_or_404(Appointment.objects.filter(citizen=request.citizen).select_related("slot"), pk=pk)
    try:
        CancelAppointment(citizen=request.citizen, appointment=appointment).execute()
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已取消预约 %(code)s") % {"code": appointment.code})
    return redirect("bookings:mine")


@require_http_methods(["GET", "POST"])
@citizen_required(verified=True)
def exams(request):
    """约考: the open sessions of a subject with the seats and requests so far; ask for a seat."""
    applicant = ExamApplicant.of(request.citizen)
    error, session = None, None
    try:
        subject = valid(SubjectForm(request.GET))["subject"] or Subject.ONE
    except ActionError as exc:
        subject, error = Subject.ONE, exc
    if request.method == "POST":
        try:
            values = valid(SeatForm(request.POST))
            session = ExamSession.objects.filter(pk=values["session"]).select_related("venue").first()
            if session is None:
                raise ActionError(_("请选择考试场次"), field="session", code="required")
            RequestExamSeat(citizen=request.citizen, session=session).execute()
        except ActionError as exc:
            error = exc
            subject = session.subject if session else subject
        else:
            messages.success(request, _("已提交约考申请，预约截止后按规定排序分配考位，结果将短信通知"))
            return redirect("bookings:mine")
    now = timezone.now()
    sessions = (
        ExamSession.objects.filter(subject=subject, status=ExamSession.Status.OPEN, closes_at__gt=now)
        .select_related("venue")
        .annotate(requests=Count("bookings", filter=Q(bookings__status=ExamBooking.Status.REQUESTED)))
        .order_by("date", "start")
    )
    mine = set()
    if applicant is not None:
        mine = set(
            ExamBooking.objects.filter(applicant=applicant, session__in=sessions)
            .exclude(status=ExamBooking.Status.CANCELLED)
            .values_list("session_id", flat=True)
        )
    return render(
        request,
        "bookings/portal_exams.html",
        {
            "applicant": applicant,
            "subject": subject,
            "subjects": Subject.choices,
            "sessions": sessions,
            "mine": mine,
            "now": now,
            "error": error,
        },
        status=error.status if error else 200,
    )


@require_POST
@citizen_required(verified=True)
def cancel_exam(request, pk):
    booking = get_object_or_404(ExamBooking.objects.filter(citizen=request.citizen), pk=pk)
    try:
        CancelExamBooking(citizen=request.citizen, booking=booking).execute()
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已取消约考"))
    return redirect("bookings:mine")


# ------------------------------------------------------------------ staff


def _organizations(user):
    return Organization.objects.visible_to(user).order_by("code")


@login_required
@require_http_methods(["GET", "POST"])
def staff_offices(request):
    """网点: the offices of the officer's units with today's bookings; open a new one."""
    error, values = None, {}
    if request.method == "POST":
        form = OfficeForm(request.POST)
        try:
            values = valid(form)
            org = _organizations(request.user).filter(pk=values["organization"]).first()
            if org is None:
                raise ActionError(_("请选择所属单位"), field="organization", code="required")
            office = CreateOffice(
                by=request.user, organization=org, name=values["name"], address=values["address"]
            ).execute()
        except ActionError as exc:
            error, values = exc, form.cleaned_data
        else:
            messages.success(request, _("已开设网点 %(name)s") % {"name": office.name})
            return redirect("bookings:staff-office", pk=office.pk)
    today = timezone.localdate()
    rows = (
        Office.objects.visible_to(request.user)
        .select_related("organization")
        .annotate(
            today_slots=Count("slots", filter=Q(slots__date=today), distinct=True),
            today_booked=Count(
                "slots__appointments",
                filter=Q(slots__date=today) & ~Q(slots__appointments__status=Appointment.Status.CANCELLED),
                distinct=True,
            ),
        )
    )
    return render(
        request,
        "bookings/staff_offices.html",
        {
            "nav": "bookings",
            "offices": rows,
            "organizations": _organizations(request.user),
            "error": error,
            "values": values,
        },
        status=error.status if error else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def staff_office(request, pk):
    """One office's day: its slots (booked/capacity), the appointments with 到场/爽约 buttons, and
    the form that creates slots for a range of days."""
    office = get_object_or_404(Office.objects.visible_to(request.user).select_related("organization"), pk=pk)
    today = timezone.localdate()
    day, error = _day(request, request.GET, today)
    values = {}
    if request.method == "POST":
        form = SlotsForm(request.POST)
        try:
            values = valid(form)
            made = CreateSlots(by=request.user, office=office, **values).execute()
        except ActionError as exc:
            error, values = exc, form.cleaned_data
        else:
            messages.success(request, _("已创建 %(n)s 个时段") % {"n": len(made)})
            return redirect(f"{request.path}?{urlencode({'date': values['first_day']})}")
    slots = Slot.objects.filter(office=office, date=day)
    appointments = (
        Appointment.objects.filter(slot__office=office, slot__date=day)
        .exclude(status=Appointment.Status.CANCELLED)
        .select_related("slot", "citizen")
    )
    return render(
        request,
        "bookings/staff_office.html",
        {
            "nav": "bookings",
            "office": office,
            "day": day,
            "prev_day": day - timedelta(days=1),
            "next_day": day + timedelta(days=1),
            "slots": slots,
            "appointments": appointments,
            "error": error,
            "values": values or {"first_day": today + timedelta(days=1), "last_day": today + timedelta(days=7)},
            "Status": Appointment.Status,
        },
        status=error.status if error else 200,
    )


@login_required
@require_POST
def staff_mark(request, pk):
    appointment = get_object_or_404(Appointment.objects.visible_to(request.user).select_related("slot__office"), pk=pk)
    try:
        MarkAppointment(by=request.user, appointment=appointment, **valid(MarkForm(request.POST))).execute()
    except ActionError as exc:
        messages.error(request, exc.message)
    url = redirect("bookings:staff-office", pk=appointment.slot.office_id)
    url["Location"] += f"?date={appointment.slot.date:%Y-%m-%d}"
    return url


def _exams_page(request, error: ActionError | None = None, values: dict | None = None):
    sessions = (
        ExamSession.objects.visible_to(request.user)
        .select_related("venue")
        .annotate(requests=Count("bookings", filter=~Q(bookings__status=ExamBooking.Status.CANCELLED)))
        .order_by("-date", "start")[:200]
    )
    return render(
        request,
        "bookings/staff_exams.html",
        {
            "nav": "bookings",
            "sessions": sessions,
            "venues": _venues(request.user),
            "organizations": _organizations(request.user),
            "subjects": Subject.choices,
            "classes": LicenceClass.choices,
            "error": error,
            "values": values or {},
        },
        status=error.status if error else 200,
    )


def _venues(user):
    return Office.objects.visible_to(user).filter(active=True)


@login_required
@require_http_methods(["GET", "POST"])
def staff_exams(request):
    """考试场次: sessions at the officer's venues and the form that opens one (受理 of an applicant
    is `staff_applicant`)."""
    if request.method == "GET":
        return _exams_page(request)
    form = SessionForm(request.POST)
    try:
        values = valid(form)
        venue = _venues(request.user).filter(pk=values.pop("venue")).first()
        if venue is None:
            raise ActionError(_("请选择考场"), field="venue", code="required")
        session = CreateExamSession(by=request.user, venue=venue, **values).execute()
    except ActionError as exc:
        return _exams_page(request, exc, form.cleaned_data)
    messages.success(request, _("已开设场次 %(s)s") % {"s": session})
    return redirect("bookings:staff-exams")


@login_required
@require_POST
def staff_applicant(request):
    """车管所 受理: register a driving-licence applicant."""
    form = ApplicantForm(request.POST)
    try:
        values = valid(form)
        org = _organizations(request.user).filter(pk=values.pop("organization")).first()
        if org is None:
            raise ActionError(_("请选择受理单位"), field="organization", code="required")
        applicant = RegisterApplicant(by=request.user, organization=org, **values).execute()
    except ActionError as exc:
        return _exams_page(request, exc, form.cleaned_data)
    messages.success(request, _("已受理 %(name)s") % {"name": applicant.name})
    return redirect("bookings:staff-exams")


def _session(request, pk) -> ExamSession:
    return get_object_or_404(ExamSession.objects.visible_to(request.user).select_related("venue"), pk=pk)


def _session_rows(session: ExamSession) -> list[ExamBooking]:
    if session.status == ExamSession.Status.OPEN:
        return ranked_requests(session)
    return list(
        ExamBooking.objects.filter(session=session)
        .exclude(status=ExamBooking.Status.CANCELLED)
        .select_related("applicant")
        .order_by("rank", "requested_at")
    )


def _session_page(request, session: ExamSession, error: ActionError | None = None):
    return render(
        request,
        "bookings/staff_session.html",
        {
            "nav": "bookings",
            "session": session,
            "rows": _session_rows(session),
            "error": error,
            "can_allocate": session.status == ExamSession.Status.OPEN and timezone.now() >= session.closes_at,
            "can_publish": session.status == ExamSession.Status.ALLOCATED and timezone.now() >= session.starts_at,
            "Results": [c for c in ExamBooking.Result.choices if c[0]],
            "Status": ExamBooking.Status,
        },
        status=error.status if error else 200,
    )


@login_required
@require_GET
def staff_session(request, pk):
    """One session: the requests in allocation order (before allocation, the order they would get),
    the allocate button once booking has closed, and the results form after the exam."""
    return _session_page(request, _session(request, pk))


@login_required
@require_POST
def staff_allocate(request, pk):
    """排考: allocate the seats once booking has closed and tell every applicant by SMS."""
    session = _session(request, pk)
    try:
        ordered = AllocateSession(session=session, by=request.user).execute()
    except ActionError as exc:
        session.refresh_from_db()
        return _session_page(request, session, exc)
    messages.success(request, _("已排考：%(n)s 人申请") % {"n": len(ordered)})
    return redirect("bookings:staff-session", pk=session.pk)


@login_required
@require_POST
def staff_results(request, pk):
    """成绩公布: a result for every allocated seat."""
    session = _session(request, pk)
    seats = ExamBooking.objects.filter(session=session, status=ExamBooking.Status.ALLOCATED)
    form = results_form_class(list(seats))(request.POST)
    try:
        results = {name.removeprefix("result-"): value for name, value in valid(form).items()}
        PublishResults(session=session, results=results, by=request.user).execute()
    except ActionError as exc:
        session.refresh_from_db()
        return _session_page(request, session, exc)
    messages.success(request, _("成绩已公布"))
    return redirect("bookings:staff-session", pk=session.pk)

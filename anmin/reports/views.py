"""Pages of 群众上报: the citizen's mobile pages under /portal/reports/ (only their own matters) and
the staff queues under /reports/ (scoped by organization)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from anmin.citizens.auth import citizen_required
from anmin.core.audit import security_event
from anmin.core.errors import ActionError
from anmin.core.forms import valid
from anmin.core.pii import RevealPersonalData
from anmin.incidents.models import Category
from anmin.reports.actions import (
    MIN_ACCIDENT_PHOTOS,
    ONLINE_CATEGORIES,
    CloseTip,
    ConfirmAgreement,
    DecideLiability,
    PostMessage,
    ReportAccident,
    ReportMissingPerson,
    RequestDecision,
    ResendConfirmCode,
    SetMissingStatus,
    SubmitOnlineReport,
    SubmitTip,
    tip_by_code,
)
from anmin.reports.forms import (
    AccidentForm,
    AccidentQueueForm,
    ConfirmForm,
    DecideForm,
    MessageForm,
    MissingPersonForm,
    MissingStatusForm,
    OnlineReportForm,
    TipForm,
    TrackForm,
    TrackMessageForm,
)
from anmin.reports.models import (
    AccidentParty,
    Liability,
    MissingPersonReport,
    OnlineReport,
    QuickAccident,
    Tip,
)

PAGE = 100


def _pdf(accident: QuickAccident) -> FileResponse:
    if not accident.document:
        raise Http404
    return FileResponse(
        accident.document.open("rb"),
        as_attachment=True,
        filename=f"{accident.number}-{accident.document_title}.pdf",
        content_type="application/pdf",
    )


def _post_message(request, matter, **who):
    try:
        PostMessage(matter=matter, **valid(MessageForm(request.POST)), **who).execute()
    except ActionError as exc:
        return exc
    messages.success(request, _("留言已发送"))
    return None


# --- citizens --------------------------------------------------------------------------------------


@citizen_required
def my_matters(request):
    """我的事项: the citizen's accidents, online reports and lost-person reports, newest first."""
    citizen = request.citizen
    items = []
    for a in QuickAccident.objects.of_citizen(citizen):
        items.append(
            (
                a.created_at,
                _("事故快处") if a.citizen_id == citizen.pk else _("事故快处（乙方）"),
                a.number,
                a.get_status_display(),
                a.status in ("agreed", "decided"),
                "reports:portal-accident",
                a.pk,
            )
        )
    for r in OnlineReport.objects.filter(citizen=citizen).select_related("incident__category"):
        items.append(
            (
                r.created_at,
                r.incident.category.name,
                r.incident.number,
                r.incident.get_status_display(),
                not r.incident.is_open,
                "reports:portal-online",
                r.pk,
            )
        )
    for m in MissingPersonReport.objects.filter(citizen=citizen):
        items.append(
            (
                m.created_at,
                _("走失人员"),
                m.number,
                m.get_status_display(),
                m.status != "searching",
                "reports:portal-missing",
                m.pk,
            )
        )
    items.sort(key=lambda i: i[0], reverse=True)
    return render(request, "reports/my_matters.html", {"items": items, "citizen": citizen})


@require_http_methods(["GET", "POST"])
@citizen_required(verified=True)
def accident_new(request):
    """事故快处: report a minor property-only accident between two vehicles."""
    citizen = request.citizen
    values = dict.fromkeys(AccidentForm.base_fields, "")
    values.update(a_name=citizen.name, a_phone=citizen.phone, a_licence_number=citizen.id_number, mode="agreement")
    values["occurred_at"] = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    error = None
    if request.method == "POST":
        form = AccidentForm(request.POST)
        try:
            data = valid(form)
            accident = ReportAccident(citizen=citizen, data=data, photos=request.FILES.getlist("photos")).execute()
        except ActionError as exc:
            error, values = exc, {**dict.fromkeys(AccidentForm.base_fields, ""), **form.cleaned_data}
        else:
            return redirect("reports:portal-accident", accident.pk)
    return render(
        request,
        "reports/accident_new.html",
        {"values": values, "error": error, "liabilities": Liability.choices, "min_photos": MIN_ACCIDENT_PHOTOS},
        status=400 if error else 200,
    )


def _own_accident(request, pk) -> QuickAccident:
    """An accident the signed-in citizen reported (甲方): the one who acts on it."""
    return get_object_or_404(QuickAccident.objects.filter(citizen=request.citizen), pk=pk)


def _party_accident(request, pk) -> QuickAccident:
    """An accident the signed-in citizen is a party to, as 甲方 or as 乙方."""
    return get_object_or_404(QuickAccident.objects.of_citizen(request.citizen), pk=pk)


def _accident_page(request, accident: QuickAccident, error: ActionError | None = None):
    parties = list(accident.parties.all())
    liability = Liability(accident.liability) if accident.liability else None
    reporter = accident.citizen_id == request.citizen.pk
    return render(
        request,
        "reports/accident.html",
        {
            "a": accident,
            "parties": [(p, liability.of(p.role) if liability else "") for p in parties],
            "party_b": next(p for p in parties if p.role == AccidentParty.Role.B),
            # 乙方 reads the accident and takes the document; confirming, asking for a decision and
            # the thread with the traffic police are 甲方's, who reported it.
            "reporter": reporter,
            "thread": accident.messages.all() if reporter else [],
            "error": error,
            "photo_count": accident.photos.count(),
        },
        status=400 if error else 200,
    )


@require_http_methods(["GET", "POST"])
@citizen_required
def accident_page(request, pk):
    """The citizen's accident: B's confirmation, the PDF, the thread with the traffic police (a POST
    here is a message on the thread). 乙方 sees it too, without the reporter's forms."""
    if request.method == "GET":
        return _accident_page(request, _party_accident(request, pk))
    accident = _own_accident(request, pk)
    error = _post_message(request, accident, citizen=request.citizen)
    if error is None:
        return redirect("reports:portal-accident", accident.pk)
    return _accident_page(request, accident, error)


def _accident_step(request, pk, run, done: str):
    accident = _own_accident(request, pk)
    try:
        run(accident)
    except ActionError as exc:
        accident.refresh_from_db()
        return _accident_page(request, accident, exc)
    messages.success(request, done)
    return redirect("reports:portal-accident", accident.pk)


@require_POST
@citizen_required
def accident_confirm(request, pk):
    """乙方确认 with the code sent to B's phone."""

    def run(accident):
        ConfirmAgreement(accident=accident, citizen=request.citizen, **valid(ConfirmForm(request.POST))).execute()

    return _accident_step(request, pk, run, _("乙方已确认，协议书已生成"))


@require_POST
@citizen_required
def accident_resend(request, pk):
    """A new confirmation code to B's phone."""

    def run(accident):
        ResendConfirmCode(accident=accident, citizen=request.citizen).execute()

    return _accident_step(request, pk, run, _("确认码已重新发送到乙方手机"))


@require_POST
@citizen_required
def accident_request_decision(request, pk):
    """协商不成: ask the traffic police to decide online."""

    def run(accident):
        RequestDecision(accident=accident, citizen=request.citizen).execute()

    return _accident_step(request, pk, run, _("已申请民警在线定责"))


@citizen_required
def accident_document(request, pk):
    """The 协议书 or 认定书, for either party: both were told by SMS to take it from 我的事项."""
    return _pdf(_party_accident(request, pk))


def _online_categories():
    found = {c.code: c for c in Category.objects.filter(code__in=ONLINE_CATEGORIES, active=True)}
    return [found[code] for code in ONLINE_CATEGORIES if code in found]


@require_http_methods(["GET", "POST"])
@citizen_required(verified=True)
def online_new(request):
    """网上报警/求助 (non-emergency)."""
    values, error = dict.fromkeys(OnlineReportForm.base_fields, ""), None
    if request.method == "POST":
        form = OnlineReportForm(request.POST)
        try:
            report = SubmitOnlineReport(citizen=request.citizen, data=valid(form)).execute()
        except ActionError as exc:
            error, values = exc, {**values, **form.cleaned_data}
        else:
            return redirect("reports:portal-online", report.pk)
    return render(
        request,
        "reports/online_new.html",
        {"values": values, "error": error, "categories": _online_categories()},
        status=400 if error else 200,
    )


@require_http_methods(["GET", "POST"])
@citizen_required
def online_page(request, pk):
    report = get_object_or_404(
        OnlineReport.objects.filter(citizen=request.citizen).select_related("incident__category"), pk=pk
    )
    error = None
    if request.method == "POST":
        error = _post_message(request, report, citizen=request.citizen)
        if error is None:
            return redirect("reports:portal-online", report.pk)
    return render(
        request,
        "reports/online.html",
        {
            "r": report,
            "i": report.incident,
            "events": report.incident.events.all(),
            "thread": report.messages.all(),
            "error": error,
        },
        status=400 if error else 200,
    )


@require_http_methods(["GET", "POST"])
@citizen_required(verified=True)
def missing_new(request):
    """走失人员 report."""
    values, error = dict.fromkeys(MissingPersonForm.base_fields, ""), None
    if request.method == "POST":
        form = MissingPersonForm(request.POST)
        try:
            report = ReportMissingPerson(
                citizen=request.citizen, data=valid(form), photo=request.FILES.get("photo")
            ).execute()
        except ActionError as exc:
            error, values = exc, {**values, **form.cleaned_data}
        else:
            return redirect("reports:portal-missing", report.pk)
    return render(
        request,
        "reports/missing_new.html",
        {"values": values, "error": error, "sexes": MissingPersonReport.Sex.choices},
        status=400 if error else 200,
    )


@require_http_methods(["GET", "POST"])
@citizen_required
def missing_page(request, pk):
    report = get_object_or_404(MissingPersonReport.objects.filter(citizen=request.citizen), pk=pk)
    error = None
    if request.method == "POST":
        error = _post_message(request, report, citizen=request.citizen)
        if error is None:
            return redirect("reports:portal-missing", report.pk)
    return render(
        request,
        "reports/missing.html",
        {"m": report, "thread": report.messages.all(), "error": error},
        status=400 if error else 200,
    )


@require_http_methods(["GET", "POST"])
def tip_new(request):
    """举报线索, anonymous: nothing about the visitor is read or kept, signed in or not. The tracking
    code is in this one response and nowhere else (no redirect, so it never sits in a session)."""
    values, error = dict.fromkeys(TipForm.base_fields, ""), None
    if request.method == "POST":
        form = TipForm(request.POST)
        try:
            tip, code = SubmitTip(data=valid(form)).execute()
        except ActionError as exc:
            error, values = exc, {**values, **form.cleaned_data}
        else:
            response = render(request, "reports/tip_done.html", {"code": code})
            response["Cache-Control"] = "no-store"
            return response
    return render(
        request,
        "reports/tip_new.html",
        {"values": values, "error": error, "kinds": Tip.Kind.choices},
        status=400 if error else 200,
    )


def _track_page(request, tip: Tip | None, code: str, error: ActionError | None = None):
    response = render(
        request,
        "reports/tip_track.html",
        {"tip": tip, "code": code if tip else "", "thread": tip.messages.all() if tip else [], "error": error},
        status=error.status if error else 200,
    )
    response["Cache-Control"] = "no-store"
    return response


def _tip_of(form) -> tuple[Tip, str]:
    code = valid(form)["code"]
    tip = tip_by_code(code)
    if tip is None:
        raise ActionError(_("查询码不正确"), field="code", code="not_found")
    return tip, code


@require_http_methods(["GET", "POST"])
def tip_track(request):
    """查询举报答复: the tracking code (posted, never in the URL) shows the thread."""
    if request.method == "GET":
        return _track_page(request, None, "")
    try:
        tip, code = _tip_of(TrackForm(request.POST))
    except ActionError as exc:
        return _track_page(request, None, "", exc)
    return _track_page(request, tip, code)


@require_POST
def tip_message(request):
    """The tipster's message on the tip whose tracking code comes with it."""
    form = TrackMessageForm(request.POST)
    try:
        tip, code = _tip_of(form)
    except ActionError as exc:
        return _track_page(request, None, "", exc)
    try:
        PostMessage(matter=tip, text=form.cleaned_data["text"], tipster=True).execute()
    except ActionError as exc:
        return _track_page(request, tip, code, exc)
    return _track_page(request, tip, code)


# --- staff -----------------------------------------------------------------------------------------


@login_required
def staff_index(request):
    user = request.user
    counts = {
        "accidents": QuickAccident.objects.visible_to(user)
        .filter(status=QuickAccident.Status.PENDING_DECISION)
        .count(),
        "tips": Tip.objects.visible_to(user).exclude(status=Tip.Status.CLOSED).count(),
        "missing": MissingPersonReport.objects.visible_to(user)
        .filter(status=MissingPersonReport.Status.SEARCHING)
        .count(),
    }
    online = OnlineReport.objects.visible_to(user).select_related("incident__category", "incident__station")[:50]
    return render(request, "reports/staff_index.html", {"nav": "reports", "counts": counts, "online": online})


@login_required
def staff_accidents(request):
    """事故快处 queue: pending decisions first; the others for reference."""
    data = request.GET if "status" in request.GET else {"status": QuickAccident.Status.PENDING_DECISION}
    error = None
    try:
        status = valid(AccidentQueueForm(data))["status"]
    except ActionError as exc:
        status, error = QuickAccident.Status.PENDING_DECISION, exc
    qs = QuickAccident.objects.visible_to(request.user).select_related("traffic_unit", "station")
    if status in QuickAccident.Status.values:
        qs = qs.filter(status=status)
    rows = list(qs.prefetch_related("parties")[:PAGE])
    return render(
        request,
        "reports/staff_accidents.html",
        {"nav": "reports", "rows": rows, "status": status, "statuses": QuickAccident.Status.choices, "error": error},
        status=error.status if error else 200,
    )


def _staff_accident(request, pk) -> QuickAccident:
    return get_object_or_404(
        QuickAccident.objects.visible_to(request.user).select_related("traffic_unit", "station", "decided_by"), pk=pk
    )


def _staff_accident_page(request, accident: QuickAccident, error=None, values=None):
    can_decide = QuickAccident.objects.decidable_by(request.user).filter(pk=accident.pk).exists()
    liability = Liability(accident.liability) if accident.liability else None
    return render(
        request,
        "reports/staff_accident.html",
        {
            "nav": "reports",
            "a": accident,
            "parties": [(p, liability.of(p.role) if liability else "") for p in accident.parties.all()],
            "photos": accident.photos.all(),
            "thread": accident.messages.select_related("officer"),
            "can_decide": can_decide and accident.status == QuickAccident.Status.PENDING_DECISION,
            "liabilities": Liability.choices,
            "values": values or {"liability": "", "facts": ""},
            "error": error,
        },
        status=(error.status if error else 200),
    )


@require_http_methods(["GET", "POST"])
@login_required
def staff_accident(request, pk):
    """A quick accident for the traffic police (a POST here is a message to the parties)."""
    accident = _staff_accident(request, pk)
    if request.method == "POST":
        error = _post_message(request, accident, officer=request.user)
        if error is None:
            return redirect("reports:accident", pk)
        return _staff_accident_page(request, accident, error)
    return _staff_accident_page(request, accident)


@require_POST
@login_required
def staff_accident_decide(request, pk):
    """民警在线定责: the liability and the facts; the 认定书 is generated."""
    accident = _staff_accident(request, pk)
    form = DecideForm(request.POST)
    try:
        DecideLiability(accident=accident, by=request.user, **valid(form)).execute()
    except ActionError as exc:
        accident.refresh_from_db()
        return _staff_accident_page(request, accident, exc, {"liability": "", "facts": "", **form.cleaned_data})
    messages.success(request, _("已定责，认定书已生成"))
    return redirect("reports:accident", pk)


@login_required
def staff_accident_photo(request, pk, photo):
    accident = get_object_or_404(QuickAccident.objects.visible_to(request.user), pk=pk)
    item = get_object_or_404(accident.photos, pk=photo)
    return FileResponse(item.file.open("rb"), content_type=item.content_type)


@login_required
def staff_accident_document(request, pk):
    """The 协议书/认定书 as the parties received it: a legal document, so it names them in full
    (姓名、联系电话、驾驶证号). An officer downloading it sees their data unmasked, which is a
    viewing of personal data like 显示, and is audited as one."""
    accident = get_object_or_404(QuickAccident.objects.visible_to(request.user), pk=pk)
    response = _pdf(accident)
    security_event(
        RevealPersonalData.audit_action,
        request=request,
        obj=accident,
        data={"field": "accident.document", "kind": "document"},
    )
    response["Cache-Control"] = "no-store, private"
    return response


@require_http_methods(["GET", "POST"])
@login_required
def staff_online(request, pk):
    report = get_object_or_404(
        OnlineReport.objects.visible_to(request.user).select_related("incident__category", "citizen"), pk=pk
    )
    error = None
    if request.method == "POST":
        error = _post_message(request, report, officer=request.user)
        if error is None:
            return redirect("reports:online", pk)
    return render(
        request,
        "reports/staff_thread.html",
        {
            "nav": "reports",
            "title": report.incident.number,
            "matter": report,
            "incident": report.incident,
            "thread": report.messages.select_related("officer"),
            "error": error,
        },
        status=error.status if error else 200,
    )


@login_required
def staff_tips(request):
    """举报线索 queue: what was reported, where it goes — and nothing about who reported it."""
    rows = Tip.objects.visible_to(request.user).select_related("organization")[:PAGE]
    return render(request, "reports/staff_tips.html", {"nav": "reports", "rows": rows})


def _staff_tip(request, pk) -> Tip:
    return get_object_or_404(Tip.objects.visible_to(request.user).select_related("organization"), pk=pk)


def _staff_tip_page(request, tip: Tip, error: ActionError | None = None):
    return render(
        request,
        "reports/staff_tip.html",
        {"nav": "reports", "tip": tip, "thread": tip.messages.select_related("officer"), "error": error},
        status=error.status if error else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def staff_tip(request, pk):
    """A tip for the station (a POST here is a reply to the tipster)."""
    tip = _staff_tip(request, pk)
    if request.method == "POST":
        error = _post_message(request, tip, officer=request.user)
        if error is None:
            return redirect("reports:tip", pk)
        return _staff_tip_page(request, tip, error)
    return _staff_tip_page(request, tip)


@require_POST
@login_required
def staff_tip_close(request, pk):
    """办结 a tip."""
    tip = _staff_tip(request, pk)
    try:
        CloseTip(tip=tip, by=request.user).execute()
    except ActionError as exc:
        return _staff_tip_page(request, tip, exc)
    return redirect("reports:tip", pk)


@login_required
def staff_missing_list(request):
    rows = MissingPersonReport.objects.visible_to(request.user).select_related("station")[:PAGE]
    return render(request, "reports/staff_missing_list.html", {"nav": "reports", "rows": rows})


def _staff_missing(request, pk) -> MissingPersonReport:
    return get_object_or_404(
        MissingPersonReport.objects.visible_to(request.user).select_related("station", "citizen"), pk=pk
    )


def _staff_missing_page(request, report: MissingPersonReport, error: ActionError | None = None):
    return render(
        request,
        "reports/staff_missing.html",
        {
            "nav": "reports",
            "m": report,
            "thread": report.messages.select_related("officer"),
            "error": error,
            "statuses": MissingPersonReport.Status.choices,
        },
        status=error.status if error else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def staff_missing(request, pk):
    """A lost-person report for the station (a POST here is a message to the family)."""
    report = _staff_missing(request, pk)
    if request.method == "POST":
        error = _post_message(request, report, officer=request.user)
        if error is None:
            return redirect("reports:missing-detail", pk)
        return _staff_missing_page(request, report, error)
    return _staff_missing_page(request, report)


@require_POST
@login_required
def staff_missing_status(request, pk):
    """已找到 / 已结束; the family is told by SMS."""
    report = _staff_missing(request, pk)
    try:
        SetMissingStatus(report=report, by=request.user, **valid(MissingStatusForm(request.POST))).execute()
    except ActionError as exc:
        return _staff_missing_page(request, report, exc)
    return redirect("reports:missing-detail", pk)


@login_required
def staff_missing_photo(request, pk):
    report = get_object_or_404(MissingPersonReport.objects.visible_to(request.user), pk=pk)
    return FileResponse(report.photo.open("rb"), content_type=report.photo_type)

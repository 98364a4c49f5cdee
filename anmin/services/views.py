"""Screens: the citizen's (掌上办: catalogue, apply, my applications, 补正, messages, public progress
query) and the department's (办件 queue and application page)."""

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anmin.citizens.auth import citizen_required, current_citizen
from anmin.citizens.views import client_ip
from anmin.core.errors import ActionError
from anmin.core.forms import valid
from anmin.services.actions import (
    PostMessage,
    ProcessApplication,
    Resubmit,
    Step,
    SubmitApplication,
    available_steps,
    can_process,
)
from anmin.services.forms import (
    MessageForm,
    ProcessForm,
    ProgressForm,
    QueueForm,
    item_form_class,
    supplement_form_class,
)
from anmin.services.models import (
    OPEN_STATUSES,
    Application,
    ApplicationFile,
    ApplicationStatus,
    Notice,
    ServiceItem,
    describe_time_left,
)
from anmin.services.progress import lookup

PAGE_SIZE = 50
FILE_TYPES = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}
#: The main road of an application, shown as steps (退回补正 and 不予受理 are side roads).
ROAD = [
    (ApplicationStatus.SUBMITTED, _("提交")),
    (ApplicationStatus.ACCEPTED, _("受理")),
    (ApplicationStatus.REVIEWING, _("审核")),
    (ApplicationStatus.COMPLETED, _("办结")),
]


def road(status: str) -> list[tuple[str, bool, bool]]:
    """(label, done, current) for each step of the main road."""
    order = [s for s, _label in ROAD]
    reached = order.index(status) if status in order else 0
    return [(str(label), i <= reached, i == reached) for i, (_s, label) in enumerate(ROAD)]


def _uploads(request, materials) -> dict[int, list]:
    files = {}
    for material in materials:
        uploads = request.FILES.getlist(f"material-{material.pk}")
        if uploads:
            files[material.pk] = uploads
    return files


def _file_response(row: ApplicationFile) -> FileResponse:
    response = FileResponse(row.file.open("rb"), content_type=FILE_TYPES.get(row.content_type))
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(row.original_name)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- citizen --------------------------------------------------------------------------------------


def catalogue(request):
    """办事服务: the active items (anyone may look; applying needs sign-in and real name)."""
    items = ServiceItem.objects.filter(active=True)
    return render(request, "services/catalogue.html", {"items": items, "citizen": current_citizen(request)})


def item_page(request, code):
    """One item: what to upload, how long it takes, whether any office of the province accepts it."""
    item = get_object_or_404(ServiceItem.objects.prefetch_related("materials"), code=code, active=True)
    return render(request, "services/item.html", {"item": item, "citizen": current_citizen(request)})


@require_http_methods(["GET", "POST"])
@citizen_required(verified=True)
def apply(request, code):
    """申请: the item's form fields and one upload box per material (several files each)."""
    item = get_object_or_404(ServiceItem.objects.prefetch_related("materials"), code=code, active=True)
    materials = list(item.materials.all())
    values, error = {}, None
    if request.method == "POST":
        form = item_form_class(item)(request.POST)
        try:
            application = SubmitApplication(
                citizen=request.citizen, item=item, form=valid(form), files=_uploads(request, materials)
            ).execute()
        except ActionError as exc:
            error = exc
            values = form.cleaned_data
        else:
            messages.success(request, _("申请已提交，办件编号 %(number)s") % {"number": application.number})
            return redirect("services:portal-application", number=application.number)
    fields = [dict(spec, value=values.get(spec["name"], "")) for spec in item.form_fields]
    return render(
        request,
        "services/apply.html",
        {"item": item, "materials": materials, "fields": fields, "error": error},
        status=400 if error else 200,
    )


@citizen_required
def my_applications(request):
    """我的办件 and the notices about them (opening the page marks them read)."""
    apps = Application.objects.of_citizen(request.citizen).select_related("item")
    notices = list(Notice.objects.filter(citizen=request.citizen).select_related("application")[:20])
    Notice.objects.filter(citizen=request.citizen, read_at__isnull=True).update(read_at=timezone.now())
    rows = [(a, describe_time_left(a)) for a in apps[:100]]
    return render(request, "services/mine.html", {"rows": rows, "notices": notices})


def _citizen_app(request, number) -> Application:
    return get_object_or_404(Application.objects.of_citizen(request.citizen).select_related("item"), number=number)


def _detail_page(request, app: Application, error: ActionError | None = None, values: dict | None = None):
    fields = [dict(spec, value=(values or app.form_data).get(spec["name"], "")) for spec in app.item.form_fields]
    return render(
        request,
        "services/detail.html",
        {
            "app": app,
            "road": road(app.status),
            "events": app.events.all(),
            "files": app.files.all(),
            "thread": app.messages.all(),
            "time_left": describe_time_left(app),
            "materials": list(app.item.materials.all()),
            "fields": fields,
            "labels": {spec["name"]: spec["label"] for spec in app.item.form_fields},
            "error": error,
        },
        status=error.status if error else 200,
    )


@require_GET
@citizen_required
def my_application(request, number):
    """One of the citizen's applications: steps, time left, files, messages; 补正 when returned."""
    return _detail_page(request, _citizen_app(request, number))


@require_POST
@citizen_required
def my_message(request, number):
    """留言 on the citizen's own application."""
    app = _citizen_app(request, number)
    form = MessageForm(request.POST)
    try:
        PostMessage(application=app, citizen=request.citizen, **valid(form)).execute()
    except ActionError as exc:
        return _detail_page(request, app, exc)
    messages.success(request, _("留言已发送"))
    return redirect("services:portal-application", number=app.number)


@require_POST
@citizen_required
def my_supplement(request, number):
    """补正后重新提交: the form fields again, the files asked for, a note."""
    app = _citizen_app(request, number)
    form = supplement_form_class(app.item)(request.POST)
    try:
        values = valid(form)
        note = values.pop("note")
        Resubmit(
            citizen=request.citizen,
            application=app,
            form=values,
            files=_uploads(request, app.item.materials.all()),
            note=note,
        ).execute()
    except ActionError as exc:
        return _detail_page(request, app, exc, {**app.form_data, **form.cleaned_data})
    messages.success(request, _("补正材料已提交"))
    return redirect("services:portal-application", number=app.number)


@citizen_required
def my_file(request, number, pk):
    app = get_object_or_404(Application.objects.of_citizen(request.citizen), number=number)
    return _file_response(get_object_or_404(ApplicationFile, pk=pk, application=app))


def progress(request):
    """办件进度查询 without signing in: 办件编号 + 手机号码后四位 → status and steps only."""
    form = ProgressForm(request.GET)
    result, error = None, None
    if "number" in request.GET:
        try:
            values = valid(form)
            result = lookup(values["number"], values["phone_last4"], ip=client_ip(request))
        except ActionError as exc:
            error = exc
    else:
        form.is_valid()
    return render(
        request,
        "services/progress.html",
        {
            "number": form.cleaned_data.get("number", ""),
            "result": result,
            "road": road(result.status) if result else None,
            "error": error,
        },
        status=error.status if error else 200,
    )


# --- staff ----------------------------------------------------------------------------------------


@login_required
def queue(request):
    """办件队列: the department's applications (a station its own, the bureau all), the most urgent
    first — overdue on top, then by time left; those not yet accepted follow by submission time."""
    qs = Application.objects.visible_to(request.user).select_related("item", "department")
    form = QueueForm(request.GET if "status" in request.GET else {**request.GET.dict(), "status": "open"})
    error = None
    try:
        values = valid(form)
    except ActionError as exc:
        error, values = exc, {"status": "open", "page": None}
    status = values["status"]
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status in ApplicationStatus.values:
        qs = qs.filter(status=status)
    qs = qs.order_by(F("due_at").asc(nulls_last=True), "submitted_at", "id")
    page = Paginator(qs, PAGE_SIZE).get_page(values["page"])
    now = timezone.now()
    rows = [
        (a, describe_time_left(a, now), a.time_left(now) is not None and a.time_left(now).total_seconds() < 0)
        for a in page
    ]
    return render(
        request,
        "services/queue.html",
        {
            "nav": "services",
            "page": page,
            "rows": rows,
            "status": status,
            "statuses": ApplicationStatus.choices,
            "error": error,
        },
        status=error.status if error else 200,
    )


def _staff_app(request, pk) -> Application:
    return get_object_or_404(
        Application.objects.visible_to(request.user).select_related("item", "department", "citizen", "handled_by"),
        pk=pk,
    )


def _staff_page(request, app: Application, error: ActionError | None = None):
    return render(
        request,
        "services/staff_application.html",
        {
            "nav": "services",
            "app": app,
            "labels": {spec["name"]: spec["label"] for spec in app.item.form_fields},
            "events": app.events.select_related("officer"),
            "files": app.files.all(),
            "thread": app.messages.select_related("officer"),
            "steps": available_steps(app) if can_process(request.user) else [],
            "Step": Step,
            "materials": app.item.materials.all(),
            "time_left": describe_time_left(app),
            "road": road(app.status),
            "error": error,
        },
        status=error.status if error else 200,
    )


@login_required
@require_GET
def staff_application(request, pk):
    """办件 page for staff: applicant, form, files, timeline, the steps allowed now, messages."""
    return _staff_page(request, _staff_app(request, pk))


@login_required
@require_POST
def staff_process(request, pk):
    """A step of 办理 (受理, 审核, 办结, 退回补正 with what is missing, 不予受理 with the reason)."""
    app = _staff_app(request, pk)
    form = ProcessForm(request.POST)
    try:
        values = valid(form)
        ProcessApplication(
            by=request.user,
            application=app,
            step=values["step"],
            missing=values["missing"] + values["missing_other"].splitlines(),
            reason=values["reason"],
        ).execute()
    except ActionError as exc:
        return _staff_page(request, app, exc)
    messages.success(request, _("办件已更新"))
    return redirect("services:application", pk=app.pk)


@login_required
@require_POST
def staff_message(request, pk):
    """回复 on the application's thread; the citizen is told by a notice and an SMS."""
    app = _staff_app(request, pk)
    form = MessageForm(request.POST)
    try:
        PostMessage(application=app, officer=request.user, **valid(form)).execute()
    except ActionError as exc:
        return _staff_page(request, app, exc)
    messages.success(request, _("已回复"))
    return redirect("services:application", pk=app.pk)


@login_required
def staff_file(request, pk, file_pk):
    return _file_response(get_object_or_404(ApplicationFile, pk=file_pk, application=_staff_app(request, pk)))

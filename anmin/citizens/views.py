"""Portal pages shared by every citizen service (home, sign-in by SMS code, real-name verification
and its change request) and the staff pages that review identity changes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from anmin.citizens import auth
from anmin.citizens.actions import (
    RequestCode,
    RequestIdentityChange,
    ReviewIdentityChange,
    SignIn,
    VerifyRealName,
    can_review_identity,
)
from anmin.citizens.forms import (
    IdentityChangeForm,
    IdentityChangesForm,
    NextForm,
    RealNameForm,
    RequestCodeForm,
    ReviewIdentityChangeForm,
    SignInForm,
)
from anmin.citizens.models import IdentityChangeRequest, IdentityChangeStatus
from anmin.citizens.portal import TILES
from anmin.core.errors import ActionError
from anmin.core.forms import valid
from anmin.org.models import Organization

PAGE_SIZE = 50


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _given_next(request) -> str:
    """The `next` address posted with the form (or in the query string), if it is one of ours; "" otherwise."""
    data = request.POST if "next" in request.POST else request.GET
    form = NextForm(data)
    target = form.cleaned_data["next"] if form.is_valid() else ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return ""


def _next(request, default: str = "") -> str:
    """The `next` address the visitor came with; otherwise `default`, or the portal's home."""
    return _given_next(request) or default or reverse("citizens:home")


def _status(error: ActionError | None) -> int:
    """A refusal's status: its own (429 too many, 409 already done, 503 register down), else 400."""
    if error is None:
        return 200
    return error.status if error.status in (409, 429, 503) else 400


def _login_page(request, *, phone: str = "", error: ActionError | None = None, sent: bool = False):
    status = _status(error)
    return render(
        request,
        "citizens/login.html",
        {"phone": phone, "error": error, "sent": sent, "next": _next(request)},
        status=status,
    )


def home(request):
    """掌上办 home: the services as tiles, the citizen's name or a sign-in link."""
    tiles = []
    for tile in TILES:
        try:
            tiles.append((tile, reverse(tile.url_name)))
        except NoReverseMatch:
            continue
    return render(request, "citizens/home.html", {"citizen": auth.current_citizen(request), "tiles": tiles})


@require_http_methods(["GET", "POST"])
def login(request):
    """Sign in with a phone number and the one-time SMS code sent to it (see send_code)."""
    if request.method == "GET":
        return _login_page(request)
    form = SignInForm(request.POST)
    try:
        citizen = SignIn(**valid(form), ip=client_ip(request)).execute()
    except ActionError as exc:
        return _login_page(request, phone=form.cleaned_data.get("phone", ""), error=exc, sent=True)
    auth.sign_in(request, citizen)
    return redirect(_next(request))


@require_http_methods(["POST"])
def send_code(request):
    """获取验证码: the login page's first button; the page comes back ready for the code."""
    form = RequestCodeForm(request.POST)
    try:
        RequestCode(**valid(form), ip=client_ip(request)).execute()
    except ActionError as exc:
        return _login_page(request, phone=form.cleaned_data.get("phone", ""), error=exc)
    return _login_page(request, phone=form.cleaned_data["phone"], sent=True)


@require_http_methods(["POST"])
def logout(request):
    auth.sign_out(request)
    return redirect("citizens:home")


def _me_page(request, citizen, *, error=None, values=None, change_values=None, status=None):
    change = citizen.identity_changes.select_related("organization").order_by("-submitted_at").first()
    return render(
        request,
        "citizens/me.html",
        {
            "citizen": citizen,
            "error": error,
            "values": values or {"name": citizen.name, "id_number": ""},
            "change_values": change_values or {},
            "change": change,
            "stations": Organization.objects.filter(kind=Organization.Kind.STATION).order_by("path"),
            # Only a `next` the citizen came with: none means back to this page, saying it is done.
            "next": _given_next(request),
            "done": "done" in request.GET,
        },
        status=status or _status(error),
    )


@require_http_methods(["GET", "POST"])
@auth.citizen_required
def me(request):
    """我的: real-name verification (姓名 + 身份证号码); once verified, shown masked and locked, with
    the form that asks a 派出所 to change it."""
    citizen = request.citizen
    if request.method == "GET":
        return _me_page(request, citizen)
    form = RealNameForm(request.POST)
    try:
        VerifyRealName(citizen=citizen, **valid(form), ip=client_ip(request)).execute()
    except ActionError as exc:
        values = {"name": citizen.name, **form.cleaned_data, "id_number": ""}
        return _me_page(request, citizen, error=exc, values=values)
    return redirect(_next(request, reverse("citizens:me") + "?done=1"))


@require_POST
@auth.citizen_required
def identity_change(request):
    """实名信息变更申请: sent to the chosen 派出所 for review; the account keeps its identity meanwhile."""
    citizen = request.citizen
    form = IdentityChangeForm(request.POST)
    try:
        RequestIdentityChange(citizen=citizen, **valid(form)).execute()
    except ActionError as exc:
        return _me_page(request, citizen, error=exc, change_values={**form.cleaned_data, "id_number": ""})
    messages.success(request, _("变更申请已提交，请等待派出所审核"))
    return redirect("citizens:me")


# --- staff: 实名信息变更审核 -------------------------------------------------------------------------


def _reviewer(request) -> None:
    if not can_review_identity(request.user):
        raise PermissionDenied(_("只有派出所民警或领导可以审核实名信息变更"))


@login_required
def identity_changes(request):
    """实名信息变更审核: the requests addressed to the user's stations, pending ones oldest first
    (?reviewed=1: the reviewed ones, latest first)."""
    _reviewer(request)
    error = None
    try:
        values = valid(IdentityChangesForm(request.GET))
    except ActionError as exc:
        error, values = exc, {"reviewed": False, "page": None}
    qs = IdentityChangeRequest.objects.visible_to(request.user).select_related("citizen", "organization", "reviewed_by")
    if values["reviewed"]:
        qs = qs.exclude(status=IdentityChangeStatus.PENDING).order_by("-reviewed_at", "-id")
    else:
        qs = qs.pending().order_by("submitted_at", "id")
    page = Paginator(qs, PAGE_SIZE).get_page(values["page"])
    return render(
        request,
        "citizens/identity_changes.html",
        {"page": page, "reviewed": values["reviewed"], "error": error},
        status=_status(error),
    )


@login_required
@require_http_methods(["GET", "POST"])
def identity_change_review(request, pk):
    """One request: the identity now and the one asked for (both masked), and the decision."""
    change = get_object_or_404(
        IdentityChangeRequest.objects.visible_to(request.user).select_related("citizen", "organization", "reviewed_by"),
        pk=pk,
    )
    _reviewer(request)
    error = None
    if request.method == "POST":
        form = ReviewIdentityChangeForm(request.POST)
        try:
            done = ReviewIdentityChange(change=change, by=request.user, **valid(form)).execute()
        except ActionError as exc:
            error = exc
        else:
            messages.success(
                request,
                _("已审核：%(citizen)s %(status)s")
                % {"citizen": done.citizen.masked_phone, "status": done.get_status_display()},
            )
            return redirect("citizens:identity-changes")
    return render(request, "citizens/identity_change.html", {"change": change, "error": error}, status=_status(error))

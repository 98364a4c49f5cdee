"""Portal pages shared by every citizen service: home, sign-in by SMS code, real-name verification."""

from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from anmin.citizens import auth
from anmin.citizens.actions import RequestCode, SignIn, VerifyRealName
from anmin.citizens.portal import TILES
from anmin.core.errors import ActionError


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _next(request, default: str = "/portal/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return default
    return target


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
    """Sign in with a phone number and a one-time SMS code (two steps on one page)."""
    phone = (request.POST.get("phone") or "").strip()
    error, sent = None, False
    if request.method == "POST":
        try:
            if request.POST.get("step") == "send":
                RequestCode(phone=phone, ip=client_ip(request)).execute()
                sent = True
            else:
                citizen = SignIn(phone=phone, code=request.POST.get("code", "")).execute()
                auth.sign_in(request, citizen)
                return redirect(_next(request))
        except ActionError as exc:
            error = exc
            sent = request.POST.get("step") != "send"
    status = 200 if error is None else (429 if error.status == 429 else 400)
    return render(
        request,
        "citizens/login.html",
        {"phone": phone, "error": error, "sent": sent, "next": _next(request)},
        status=status,
    )


@require_http_methods(["POST"])
def logout(request):
    auth.sign_out(request)
    return redirect("portal")


@require_http_methods(["GET", "POST"])
@auth.citizen_required
def me(request):
    """我的: real-name verification (姓名 + 身份证号码); once verified, shown masked."""
    citizen = request.citizen
    error = None
    values = {"name": citizen.name, "id_number": ""}
    if request.method == "POST":
        values = {"name": request.POST.get("name", ""), "id_number": request.POST.get("id_number", "")}
        try:
            citizen = VerifyRealName(citizen=citizen, **values).execute()
        except ActionError as exc:
            error = exc
        else:
            return redirect(_next(request, "/portal/me/?done=1"))
    return render(
        request,
        "citizens/me.html",
        {
            "citizen": citizen,
            "error": error,
            "values": values,
            "next": _next(request, ""),
            "done": "done" in request.GET,
        },
        status=400 if error else 200,
    )

"""Portal pages shared by every citizen service: home, sign-in by SMS code, real-name verification."""

from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from anmin.citizens import auth
from anmin.citizens.actions import RequestCode, SignIn, VerifyRealName
from anmin.citizens.forms import NextForm, RealNameForm, RequestCodeForm, SignInForm
from anmin.citizens.portal import TILES
from anmin.core.errors import ActionError
from anmin.core.forms import valid


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _next(request, default: str = "") -> str:
    """The `next` address posted with the form (or in the query string), if it is one of ours;
    otherwise `default`, or the portal's home."""
    default = default or reverse("citizens:home")
    data = request.POST if "next" in request.POST else request.GET
    form = NextForm(data)
    target = (form.cleaned_data["next"] if form.is_valid() else "") or default
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return default
    return target


def _login_page(request, *, phone: str = "", error: ActionError | None = None, sent: bool = False):
    status = 200 if error is None else (429 if error.status == 429 else 400)
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
        citizen = SignIn(**valid(form)).execute()
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


@require_http_methods(["GET", "POST"])
@auth.citizen_required
def me(request):
    """我的: real-name verification (姓名 + 身份证号码); once verified, shown masked."""
    citizen = request.citizen
    error = None
    values = {"name": citizen.name, "id_number": ""}
    if request.method == "POST":
        form = RealNameForm(request.POST)
        try:
            citizen = VerifyRealName(citizen=citizen, **valid(form)).execute()
        except ActionError as exc:
            error = exc
            values = {**values, "id_number": "", **form.cleaned_data}
        else:
            return redirect(_next(request, reverse("citizens:me") + "?done=1"))
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

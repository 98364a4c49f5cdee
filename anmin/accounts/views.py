"""Account security pages: the officer's own password and second factor, the code step of a
sign-in, and the security administrator's reset of an officer's second factor."""

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from anmin.accounts import flow, totp
from anmin.accounts.actions import ChangeOwnPassword, EnrolTotp, ResetTwoFactor, VerifySecondFactor
from anmin.accounts.forms import CodeForm, OfficerForm, OwnPasswordForm
from anmin.accounts.models import Credential
from anmin.core.audit import Result, security_event
from anmin.core.errors import ActionError
from anmin.core.forms import first_error
from anmin.org.models import Officer, Role

#: The secret being enrolled, kept in the (server-side) session until a code confirms it.
ENROL_SECRET = "anmin_enrol_secret"  # noqa: S105 - a session key's name, not a secret


@login_required
@require_http_methods(["GET", "HEAD"])
def security(request):
    """账号安全: when the password was set, whether the second factor is on, the links to change."""
    credential = Credential.objects.of(request.user)
    left = credential.recovery_codes.filter(used_at__isnull=True).count() if credential and credential.has_totp else 0
    context = {
        "credential": credential,
        "recovery_left": left,
        "totp_required": flow.requires_second_factor(request.user),
        "is_security_admin": request.user.role == Role.SECURITY_ADMIN,
    }
    return render(request, "accounts/security.html", context)


@login_required
@never_cache
@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
def password(request):
    """修改密码: the officer's own change. The session stays signed in; the officer's other
    sessions end, since the password they were opened with is gone."""
    owed = request.session.get(flow.MUST_CHANGE, "")
    form = OwnPasswordForm(request.user, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            ChangeOwnPassword(by=request.user, new_password=form.cleaned_data["new_password1"]).execute()
            auth.update_session_auth_hash(request, request.user)
            messages.success(request, _("密码已修改"))
            return flow.step_done(request, flow.MUST_CHANGE) if owed else redirect("accounts:security")
        status = 400
    context = {"form": form, "owed": owed, "error": first_error(form) if form.errors else None}
    return render(request, "accounts/password.html", context, status=status)


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def two_factor(request):
    """启用双因素认证: the QR code of a new secret (and the secret as text, for typing in), confirmed
    by one code; the ten recovery codes are shown on the answer to that, and never again."""
    credential = Credential.objects.of(request.user)
    if credential is not None and credential.has_totp:
        return render(request, "accounts/two_factor_on.html", {"credential": credential})
    secret = request.session.get(ENROL_SECRET)
    if not secret:
        secret = request.session[ENROL_SECRET] = totp.new_secret()
    form, error, status = CodeForm(), None, 200
    if request.method == "POST":
        form = CodeForm(request.POST)
        try:
            if not form.is_valid():
                raise first_error(form)
            codes = EnrolTotp(by=request.user, secret=secret, code=form.cleaned_data["code"]).execute()
        except ActionError as exc:
            error, status = exc, exc.status
        else:
            request.session.pop(ENROL_SECRET, None)
            owed = request.session.pop(flow.MUST_ENROL, None)
            next_url = flow.pending_step(request) or (request.session.pop(flow.NEXT, "") if owed else "")
            context = {"codes": codes, "next_url": next_url or settings.LOGIN_REDIRECT_URL}
            return render(request, "accounts/recovery_codes.html", context)
    uri = totp.provisioning_uri(secret, request.user.audit_label)
    context = {
        "form": form,
        "error": error,
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "qr": mark_safe(totp.qr_svg(uri)),  # noqa: S308 - SVG drawn by segno from our own URI
        "owed": bool(request.session.get(flow.MUST_ENROL)),
        "issuer": settings.TOTP_ISSUER,
    }
    return render(request, "accounts/two_factor.html", context, status=status)


@never_cache
@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
def verify(request):
    """The code step of a sign-in: the password was right, now a code from the authenticator or a
    recovery code. Five wrong codes, or five minutes, and the password must be typed again."""
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    pending = request.session.get(flow.PENDING)
    officer = None
    if pending and flow.now_ts() - pending["at"] <= flow.PENDING_SECONDS:
        officer = Officer.objects.filter(pk=pending["user"], is_active=True).first()
    if officer is None:
        request.session.pop(flow.PENDING, None)
        if pending:
            messages.info(request, _("验证超时，请重新登录"))
        return redirect(settings.LOGIN_URL)
    form, error, status = CodeForm(), None, 200
    if request.method == "POST":
        form = CodeForm(request.POST)
        try:
            if not form.is_valid():
                raise first_error(form)
            factor = VerifySecondFactor(officer=officer, code=form.cleaned_data["code"]).execute()
        except ActionError as exc:
            error, status = exc, 400
            pending["failures"] += 1
            request.session[flow.PENDING] = pending
            security_event(
                "auth.totp_failed",
                request=request,
                actor=officer,
                obj=officer,
                result=Result.FAILED,
                data={"failures": pending["failures"], "reason": exc.code},
            )
            if pending["failures"] >= flow.MAX_CODE_FAILURES:
                request.session.pop(flow.PENDING, None)
                messages.error(request, _("验证码错误次数过多，请重新输入密码登录"))
                return redirect(settings.LOGIN_URL)
        else:
            officer.backend = pending["backend"]
            credential = Credential.objects.of(officer)
            return flow.complete_login(
                request, officer, redirect_to=pending["next"], factors=["password", factor], credential=credential
            )
    left = flow.MAX_CODE_FAILURES - pending["failures"]
    return render(request, "accounts/verify.html", {"form": form, "error": error, "left": left}, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def reset_two_factor(request):
    """重置双因素认证, for the security administrator only: an officer who lost his phone."""
    if request.user.role != Role.SECURITY_ADMIN:
        raise PermissionDenied
    form, error, status = OfficerForm(), None, 200
    if request.method == "POST":
        form = OfficerForm(request.POST)
        try:
            if not form.is_valid():
                raise first_error(form)
            name = form.cleaned_data["officer"].strip()
            officer = Officer.objects.visible_to(request.user).filter(Q(username=name) | Q(badge_number=name)).first()
            if officer is None:
                raise ActionError(_("没有找到该民警"), field="officer")
            ResetTwoFactor(by=request.user, officer=officer, reason=form.cleaned_data["reason"]).execute()
        except ActionError as exc:
            error, status = exc, exc.status
        else:
            messages.success(request, _("已重置 %(officer)s 的双因素认证") % {"officer": officer})
            return redirect("accounts:reset-two-factor")
    enrolled = (
        Credential.objects.filter(officer__in=Officer.objects.visible_to(request.user), totp_confirmed_at__isnull=False)
        .select_related("officer")
        .order_by("officer__badge_number", "officer__username")
    )
    context = {"form": form, "error": error, "enrolled": enrolled}
    return render(request, "accounts/reset_two_factor.html", context, status=status)

"""The end of a staff sign-in, after the password was accepted: the second factor, then the
session, then whatever the account still owes (a new password, enrolling a second factor).

What a session still owes is decided here, once, and kept in the session (server-side), so the
middleware that enforces it costs no query per request. Any change of the password ends every
other session of the officer (Django's session auth hash), so a flag cannot outlive its cause;
a role newly requiring a second factor takes effect at the next sign-in, at most
SESSION_MAX_HOURS later.
"""

from django.conf import settings
from django.contrib import auth
from django.shortcuts import redirect
from django.utils import timezone

from anmin.core.audit import Result, security_event

#: The sign-in waiting for its second factor: {"user", "backend", "at", "next", "failures"}.
PENDING = "anmin_pending_login"
#: Epoch seconds: when the session began and when its officer was last active.
STARTED = "anmin_session_started"
SEEN = "anmin_session_seen"
#: What the session must do before anything else: "first" (a password an administrator set) or
#: "expired" (older than PASSWORD_MAX_AGE_DAYS); and whether a second factor must be enrolled.
MUST_CHANGE = "anmin_must_change_password"
MUST_ENROL = "anmin_must_enrol_totp"
#: Where to go once the session owes nothing any more.
NEXT = "anmin_next"

#: The code step must follow the password within this many seconds.
PENDING_SECONDS = 300
#: Wrong codes allowed at the code step before the password must be typed again.
MAX_CODE_FAILURES = 5


def now_ts() -> float:
    return timezone.now().timestamp()


def backend_of(user) -> str:
    """The backend that accepted the password (authenticate() notes it on the user), else the first
    configured one that loads users (the session needs it to find the officer again)."""
    backend = getattr(user, "backend", None)
    if backend:
        return backend
    for path, candidate in zip(settings.AUTHENTICATION_BACKENDS, auth.get_backends(), strict=True):
        if hasattr(candidate, "get_user"):
            return path
    raise ValueError("no authentication backend loads users")


def requires_second_factor(user) -> bool:
    return user.role in settings.TWO_FACTOR_ROLES


def finish_login(request, user, *, redirect_to: str):
    """Start the session for `user`, whose password was just accepted, and answer the request.

    An officer with an authenticator enrolled is not signed in yet: the pending sign-in is kept in
    the session (under a new session key) and the code step asked for."""
    from anmin.accounts.models import Credential

    credential = Credential.objects.of(user)
    if credential is not None and credential.has_totp:
        request.session.cycle_key()
        request.session[PENDING] = {
            "user": user.pk,
            "backend": backend_of(user),
            "at": now_ts(),
            "next": redirect_to,
            "failures": 0,
        }
        return redirect("accounts:verify")
    return complete_login(request, user, redirect_to=redirect_to, factors=["password"], credential=credential)


def complete_login(request, user, *, redirect_to: str, factors: list[str], credential=None):
    """Sign `user` in with the factors given and send him on, by way of what he still owes."""
    from anmin.accounts.actions import StartPasswordClock

    request.session.pop(PENDING, None)
    auth.login(request, user, backend=backend_of(user))
    security_event("auth.login", request=request, actor=user, obj=user, data={"factors": factors})
    now = now_ts()
    request.session[STARTED] = request.session[SEEN] = now
    if credential is None and settings.PASSWORD_MAX_AGE_DAYS:
        credential = StartPasswordClock(officer=user).execute()
    owes = False
    if credential is not None and credential.must_change:
        request.session[MUST_CHANGE] = "first"
        owes = True
    elif credential is not None and credential.password_expired():
        request.session[MUST_CHANGE] = "expired"
        security_event(
            "auth.password_expired",
            request=request,
            actor=user,
            obj=user,
            result=Result.DENIED,
            data={"changed_at": credential.password_changed_at.isoformat(), "days": settings.PASSWORD_MAX_AGE_DAYS},
        )
        owes = True
    if requires_second_factor(user) and not (credential is not None and credential.has_totp):
        request.session[MUST_ENROL] = True
        owes = True
    if owes:
        request.session[NEXT] = redirect_to
        return redirect(pending_step(request))
    return redirect(redirect_to)


def pending_step(request) -> str:
    """The page the session must go to next, or "" when it owes nothing."""
    from django.urls import reverse

    if request.session.get(MUST_CHANGE):
        return reverse("accounts:password")
    if request.session.get(MUST_ENROL):
        return reverse("accounts:two-factor")
    return ""


def step_done(request, flag: str):
    """Clear `flag` and send the officer to what he still owes, or where he was going."""
    request.session.pop(flag, None)
    step = pending_step(request)
    if step:
        return redirect(step)
    return redirect(request.session.pop(NEXT, None) or settings.LOGIN_REDIRECT_URL)

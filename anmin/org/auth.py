"""Staff sign-in by 警号 or username: the throttled password check and its audit entries.

Every password check goes through `attempt()`, the staff login page's and (through the backend)
Django admin's alike, so no door skips the throttle (anmin.org.throttle). An attempt's outcome
depends only on the name as typed, the address and the password — never on whether the account
exists: the same message, the same status, the same throttle, and about the same time.
"""

import enum
from dataclasses import dataclass

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from anmin.core.audit import Result, client_address, security_event
from anmin.org import challenge, throttle
from anmin.org.models import Officer

BACKEND = "anmin.org.auth.BadgeOrUsernameBackend"
#: What a failed sign-in names as its actor when the typed name is no account (a typed name may be
#: a password typed into the wrong box, so it is not kept).
UNKNOWN = "unknown"


class Outcome(enum.Enum):
    SIGNED_IN = "signed_in"
    FAILED = "failed"  # wrong name or password (or an inactive account: not told apart)
    WAIT = "wait"  # too soon after the last failures; the password was not checked
    CHALLENGE = "challenge"  # a challenge is needed and none was answered
    CHALLENGE_FAILED = "challenge_failed"  # the challenge was answered wrongly


@dataclass
class Attempt:
    outcome: Outcome
    user: Officer | None = None
    wait: int = 0
    #: Whether the next attempt from this page needs a challenge (show the image).
    challenge: bool = False


def find_officer(username: str) -> Officer | None:
    username = username.strip()
    if not username:
        return None
    return Officer.objects.filter(Q(username=username) | Q(badge_number=username)).first()


def _labelled(officer: Officer | None) -> dict:
    """Whom a refused attempt's audit entry names: the account when the typed name is one."""
    if officer is None:
        return {"actor_label": UNKNOWN}
    return {"actor_label": officer.audit_label, "obj": officer}


def check_password(officer: Officer | None, password: str) -> bool:
    if officer is None:
        Officer().set_password(password)  # one hash all the same: no user enumeration by timing
        return False
    return officer.check_password(password)


def attempt(request, username: str, password: str, answer: str = "") -> Attempt:
    """One sign-in attempt: throttle, challenge, password. Writes the audit entries of a refusal;
    the successful sign-in is audited where the session starts (anmin.accounts.flow)."""
    keys = throttle.Keys.of(username, client_address(request))
    state = throttle.peek(keys)
    passed = False
    if not state.wait and state.challenge and answer:
        solved = challenge.verify(request, answer)
        if solved is False:
            security_event(
                "auth.challenge_failed", request=request, result=Result.FAILED, **_labelled(find_officer(username))
            )
            return Attempt(Outcome.CHALLENGE_FAILED, challenge=True)
        passed = bool(solved)
    if not state.wait and not (state.challenge and not passed):
        state = throttle.reserve(keys, challenge_passed=passed)
    if not state.reserved:
        return _refused(request, username, keys, state)

    officer = find_officer(username)
    if check_password(officer, password) and ModelBackend().user_can_authenticate(officer):
        throttle.succeeded(keys)
        officer.backend = BACKEND
        return Attempt(Outcome.SIGNED_IN, user=officer)
    security_event(
        "auth.login_failed",
        request=request,
        result=Result.FAILED,
        data={"failures": state.failures, "wait": state.delay},
        **_labelled(officer),
    )
    if state.challenge_started:
        security_event(
            "auth.challenge_required",
            request=request,
            result=Result.DENIED,
            data={"keys": sorted(state.challenge_started)},
            **_labelled(officer),
        )
    return Attempt(Outcome.FAILED, wait=state.delay, challenge=state.challenge or bool(state.challenge_started))


def _refused(request, username: str, keys: throttle.Keys, state: throttle.State) -> Attempt:
    """An attempt turned away before its password was checked: one audit entry per wait, not per
    request, so that a flood of refused requests cannot flood the trail."""
    outcome = Outcome.WAIT if state.wait else Outcome.CHALLENGE
    if throttle.first_refusal(keys):
        action = "auth.throttled" if state.wait else "auth.challenge_required"
        security_event(
            action,
            request=request,
            result=Result.DENIED,
            data={"wait": state.wait} if state.wait else None,
            **_labelled(find_officer(username)),
        )
    return Attempt(outcome, wait=state.wait, challenge=state.challenge)


class BadgeOrUsernameBackend(ModelBackend):
    """Authenticate with a 警号 (six digits) or a username, through the throttle (`attempt`).

    Django's admin login calls this too; it has no challenge field, so once a name or address needs
    a challenge the admin login refuses it and the officer signs in on the staff login page.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or not password:
            return None
        result = attempt(request, username, password)
        if request is not None:
            request.anmin_attempt = result
        return result.user

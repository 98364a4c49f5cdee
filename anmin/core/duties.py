"""三权分立 — separation of duties between the three administrators (GB/T 22239-2019 8.1.4.2).

- the system administrator (系统管理员, Role.ADMIN) keeps the units, the reference data and the
  configuration in the admin; he cannot create accounts, change roles or passwords, issue tokens,
  or read the audit trail;
- the security administrator (安全管理员, Role.SECURITY_ADMIN) keeps the accounts (create, disable,
  roles, password reset) and the API tokens, and nothing else; he cannot read the audit trail;
- the audit administrator (审计管理员, Role.AUDITOR) reads and exports the audit trail (the audit
  viewer) and changes nothing.

Django's admin asks `user.has_perm("app.change_model")`; `RolePermissionBackend` answers it from
the officer's role, and refuses (PermissionDenied, which stops Django asking other backends) what
belongs to another administrator, so no group or per-user permission can hand it over. A superuser
would bypass every backend, so none may exist in production (`startup_problems`).
"""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError

from anmin.org.models import Role

log = logging.getLogger(__name__)

#: Accounts and what authenticates them: the security administrator's.
SECURITY_APPS = {"accounts", "auth"}
SECURITY_MODELS = {"org.officer", "org.apitoken", "org.loginthrottle"}
#: The audit trail: read by the audit administrator only, changed by no one.
AUDIT_MODELS = {"core.auditentry", "core.audithead"}


def duty_of(model_label: str) -> str:
    """Whose work a model is: "security", "audit" or "system" (app_label.model_name, lower case)."""
    app_label = model_label.split(".", 1)[0]
    if model_label in SECURITY_MODELS or app_label in SECURITY_APPS:
        return "security"
    if model_label in AUDIT_MODELS:
        return "audit"
    return "system"


DUTY_ROLES = {"security": Role.SECURITY_ADMIN, "audit": Role.AUDITOR, "system": Role.ADMIN}
#: Read-only exceptions: the system administrator puts officers into units' crews, so he sees the
#: list of officers (not their passwords, which no one sees) but cannot change an account.
SHARED_VIEW = {("org.officer", Role.ADMIN)}


def _role(user) -> str:
    return getattr(user, "role", "") if getattr(user, "is_active", False) else ""


def is_security_admin(user) -> bool:
    return _role(user) == Role.SECURITY_ADMIN


def is_auditor(user) -> bool:
    return _role(user) == Role.AUDITOR


def may(user, action: str, model_label: str) -> bool:
    """Whether `user` may `action` ("view", "add", "change", "delete") objects of `model_label`."""
    duty = duty_of(model_label)
    if action == "view" and (model_label, _role(user)) in SHARED_VIEW:
        return True
    if _role(user) != DUTY_ROLES[duty]:
        return False
    if duty == "audit":
        return action == "view"  # the trail is only ever appended to
    return True


class RolePermissionBackend:
    """Model permissions by role (see the module's docstring). Authenticates no one."""

    def authenticate(self, request, **credentials):
        return None

    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        app_label, _, codename = perm.partition(".")
        action, _, model = codename.partition("_")
        if not model or action not in ("view", "add", "change", "delete"):
            return False
        label = f"{app_label}.{model}"
        if may(user_obj, action, label):
            return True
        if duty_of(label) != "system":
            raise PermissionDenied  # another administrator's work: no group may grant it
        return False

    def has_module_perms(self, user_obj, app_label: str) -> bool:
        role = _role(user_obj)
        if role == Role.ADMIN:
            return app_label not in SECURITY_APPS
        if role == Role.SECURITY_ADMIN:
            return app_label in SECURITY_APPS or app_label == "org"
        if role == Role.AUDITOR:
            return app_label == "core"
        return False


def demo_accounts():
    """Active accounts that still open with the demo's published password."""
    from anmin.demo.data import DEMO_PASSWORD, DEMO_USERNAMES
    from anmin.org.models import Officer

    candidates = Officer.objects.filter(username__in=DEMO_USERNAMES, is_active=True)
    return [officer for officer in candidates if officer.check_password(DEMO_PASSWORD)]


def startup_problems(*, database_required: bool = True) -> list[str]:
    """Why a production server (DEBUG off) must not start: missing keys, accounts anyone can
    sign in to with the published demo password, superusers that bypass the separation of duties.

    `anmin serve` checks everything before it starts the server. anmin.asgi (imported by whatever
    ASGI server runs it) passes database_required=False: when the database cannot be reached at
    import, the account checks are skipped with a warning rather than refusing the import (a server
    without its database answers nothing anyway)."""
    from anmin.core.keys import configured
    from anmin.org.models import Officer

    if settings.DEBUG:
        return []
    problems = []
    missing = configured()
    if missing:
        problems.append(
            f"{' and '.join(missing)} not set: set them (or *_FILE naming a key file) to keys kept outside the "
            "database; `anmin keys init` writes development keys"
        )
    try:
        problems += _account_problems(Officer)
    except (DatabaseError, RuntimeError) as exc:  # RuntimeError: database access refused (a test without one)
        if database_required:
            problems.append(f"cannot check the accounts: {exc}")
        else:
            log.warning("accounts not checked at start: %s", exc)
    return problems


def _account_problems(Officer) -> list[str]:  # noqa: N803 - the model class
    problems = []
    # The benchmarks serve a demo city as deployed (DEBUG off) on the loopback address: they set
    # ALLOW_DEMO_ACCOUNTS, which nothing else should.
    demo = [] if settings.ALLOW_DEMO_ACCOUNTS else demo_accounts()
    if demo:
        names = ", ".join(sorted(officer.username for officer in demo))
        problems.append(
            f"demo accounts with the published demo password exist ({names}): this is a demo database — "
            "disable these accounts or give them new passwords in the admin (security administrator) "
            "before serving it in production"
        )
    superusers = Officer.objects.filter(is_superuser=True, is_active=True).count()
    if superusers:
        problems.append(
            f"{superusers} active superuser account(s) exist: a superuser bypasses the separation of the system, "
            "security and audit administrators — clear their is_superuser flag (in `anmin shell` or the "
            "database) and give each administrator the role of his duty instead"
        )
    return problems

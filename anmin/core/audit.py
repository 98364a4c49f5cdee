"""Security events in the audit trail (安全审计): sign-ins and their failures, lock-outs, sign-outs,
password, role and token changes, exports. They happen outside an Action (Django's sign-in, a
management command), so each is written here in a transaction of its own.

    security_event("auth.login_failed", request=request, actor_label=username, result=Result.FAILED)
"""

from anmin.core.actions import write_transaction
from anmin.core.models import AuditEntry, Result, append_audit

__all__ = ["Result", "client_address", "security_event"]


def client_address(request) -> str | None:
    """The client's address as the server saw it (REMOTE_ADDR; a proxy in front must set it)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def security_event(
    action: str,
    *,
    request=None,
    actor=None,
    actor_label: str = "",
    obj=None,
    object_type: str = "",
    object_id: str = "",
    result: str = Result.OK,
    data: dict | None = None,
) -> AuditEntry:
    """Append one security event. `actor` is the officer (or citizen) who acted, when known;
    `actor_label` names an actor that is not an account (the user name typed at a failed sign-in)."""
    if actor is None and request is not None and getattr(request, "user", None) is not None:
        if request.user.is_authenticated:
            actor = request.user
    if actor is not None and actor_label and not getattr(actor, "pk", None):
        actor = None

    class _Labelled:
        audit_label = actor_label

        def __str__(self):
            return actor_label

    with write_transaction():
        return append_audit(
            actor=actor if actor is not None else (_Labelled() if actor_label else None),
            action=action,
            obj=obj,
            object_type=object_type,
            object_id=object_id,
            result=result,
            address=client_address(request),
            data=data,
        )

"""Shared foundations: the tamper-evident audit trail."""

import hashlib
import json

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AuditEntry(models.Model):
    """One line of the append-only, hash-chained audit trail (操作留痕).

    Each entry stores the hash of the previous one, so editing or deleting any entry breaks the
    chain from that point on; `anmin audit verify` finds the first broken link.
    """

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_label = models.CharField(_("操作人标识"), max_length=100, blank=True)
    action = models.CharField(_("操作"), max_length=60)
    object_type = models.CharField(_("对象类型"), max_length=60)
    object_id = models.CharField(_("对象编号"), max_length=64)
    data = models.JSONField(_("内容"), default=dict, blank=True)
    prev_hash = models.CharField(_("前一条哈希"), max_length=64)
    hash = models.CharField(_("哈希"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_type}#{self.object_id}"

    def compute_hash(self) -> str:
        payload = json.dumps(
            {
                "at": self.at.isoformat(),
                "actor": self.actor_label,
                "action": self.action,
                "object_type": self.object_type,
                "object_id": self.object_id,
                "data": self.data,
                "prev": self.prev_hash,
            },
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
            default=str,
        )
        return hashlib.sha256(payload.encode()).hexdigest()


def _lock_chain() -> None:
    # Appends must be serialized or two entries would claim the same predecessor. SQLite already
    # serializes writers (IMMEDIATE transactions); PostgreSQL takes a transaction-scoped lock.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(727001)")


def append_audit(*, actor, action: str, obj, data: dict | None = None) -> AuditEntry:
    """Append one entry to the trail; must run inside the action's transaction."""
    assert transaction.get_connection().in_atomic_block, "audit entries are written inside an action"  # noqa: S101
    _lock_chain()
    last = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first()
    entry = AuditEntry(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=getattr(actor, "audit_label", "") or ("system" if actor is None else str(actor)),
        action=action,
        object_type=obj._meta.label_lower if hasattr(obj, "_meta") else str(type(obj).__name__),
        object_id=str(getattr(obj, "pk", obj)),
        data=json.loads(json.dumps(data or {}, default=str, ensure_ascii=False)),
        prev_hash=last or GENESIS_HASH,
    )
    entry.at = timezone.now()
    entry.hash = entry.compute_hash()
    entry.save()
    return entry


def verify_chain() -> tuple[int, AuditEntry | None, str]:
    """Walk the trail; return (entries checked, first bad entry or None, reason)."""
    prev = GENESIS_HASH
    checked = 0
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        if entry.prev_hash != prev:
            return checked, entry, "previous hash does not match: an entry before it was deleted or altered"
        if entry.compute_hash() != entry.hash:
            return checked, entry, "content does not match its hash: this entry was altered"
        prev = entry.hash
        checked += 1
    return checked, None, ""

"""Shared foundations: the tamper-evident audit trail."""

import hashlib
import json

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class Result(models.TextChoices):
    OK = "ok", _("成功")
    FAILED = "failed", _("失败")
    DENIED = "denied", _("拒绝")


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
    result = models.CharField(_("结果"), max_length=10, choices=Result.choices, default=Result.OK)
    address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
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


class AuditHead(models.Model):
    """The end of the chain: how many entries there are and the hash of the last one.

    Without it, deleting the newest entries would leave a shorter chain that still verifies.
    The row is also the lock that serializes appends (SELECT … FOR UPDATE)."""

    count = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")

    def __str__(self):
        return f"{self.count} · {self.last_hash[:12]}"


def _head_for_update() -> AuditHead:
    # Appends must be serialized or two entries would claim the same predecessor: the head row's
    # lock does that on PostgreSQL; SQLite serializes writers anyway.
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        last = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first()
        head, _created = AuditHead.objects.get_or_create(
            pk=1, defaults={"count": AuditEntry.objects.count(), "last_hash": last or GENESIS_HASH}
        )
        head = AuditHead.objects.select_for_update().get(pk=1)
    return head


def _is_officer(actor) -> bool:
    return getattr(getattr(actor, "_meta", None), "label", "") == settings.AUTH_USER_MODEL


def _object_type(obj) -> str:
    if obj is None:
        return ""
    return obj._meta.label_lower if hasattr(obj, "_meta") else str(type(obj).__name__)


def append_audit(
    *,
    actor,
    action: str,
    obj=None,
    data: dict | None = None,
    result: str = Result.OK,
    address: str | None = None,
    object_type: str = "",
    object_id: str = "",
) -> AuditEntry:
    """Append one entry to the trail; must run inside the action's transaction."""
    assert transaction.get_connection().in_atomic_block, "audit entries are written inside an action"  # noqa: S101
    head = _head_for_update()
    entry = AuditEntry(
        # Officers are linked; a citizen (the portal's users) is recorded by its label only.
        actor=actor if getattr(actor, "pk", None) and _is_officer(actor) else None,
        actor_label=getattr(actor, "audit_label", "") or ("system" if actor is None else str(actor)),
        action=action,
        object_type=object_type or _object_type(obj),
        object_id=object_id or ("" if obj is None else str(getattr(obj, "pk", obj))),
        data=json.loads(json.dumps(data or {}, default=str, ensure_ascii=False)),
        result=result,
        address=address or None,
        prev_hash=head.last_hash,
    )
    entry.at = timezone.now()
    entry.hash = entry.compute_hash()
    entry.save()
    AuditHead.objects.filter(pk=1).update(count=head.count + 1, last_hash=entry.hash)
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
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.count != checked or head.last_hash != prev):
        last = AuditEntry.objects.order_by("-id").first()
        return (
            checked,
            last,
            f"the chain ends after {checked} entries but its head records {head.count}: "
            "the newest entries were deleted or the head was altered",
        )
    return checked, None, ""

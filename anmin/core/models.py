"""Shared foundations: the keyed, tamper-evident audit trail (安全审计).

Every entry carries an HMAC of all its columns (its id and position, time, actor id and label,
action, object, data, result, address) and of the previous entry's HMAC. The key is not in the
database (anmin.core.keys.audit_key): someone who can write to the database but has not got the
key cannot change, insert or remove an entry and recompute the chain. The head row (count, last
HMAC, where a purge left the chain's start) is sealed with the same key, so deleting the newest
entries and adjusting the head is caught too; a database rewritten by someone holding the key is
caught by the anchors `anmin audit anchor` writes outside it (see anmin.core.management.commands.audit).
"""

import hashlib
import hmac as std_hmac
import ipaddress
import json
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64

#: The keyed hash of the chain: HMAC-SM3 (GB/T 32905, the national standard hash an assessor asks
#: for) when this build's OpenSSL has SM3, otherwise HMAC-SHA256. The head records which one wrote
#: the chain, so `verify` uses the same one.
HMAC_SM3 = "hmac-sm3"
HMAC_SHA256 = "hmac-sha256"


def _sm3_available() -> bool:
    try:
        from cryptography.hazmat.primitives import hashes, hmac

        mac = hmac.HMAC(b"\0" * 32, hashes.SM3())
        mac.update(b"abc")
        mac.finalize()
    except Exception:  # noqa: BLE001 - any failure (unsupported algorithm, old OpenSSL) means "not here"
        return False
    return True


SM3_AVAILABLE = _sm3_available()
DEFAULT_ALGORITHM = HMAC_SM3 if SM3_AVAILABLE else HMAC_SHA256
ALGORITHMS = (HMAC_SM3, HMAC_SHA256)


class UnavailableAlgorithm(RuntimeError):
    pass


def keyed_digest(message: bytes, *, key: bytes, algorithm: str) -> str:
    """The hex HMAC of `message` under the audit key with the chain's algorithm."""
    if algorithm == HMAC_SHA256:
        return std_hmac.new(key, message, hashlib.sha256).hexdigest()
    if algorithm == HMAC_SM3:
        if not SM3_AVAILABLE:
            raise UnavailableAlgorithm("the audit chain was written with HMAC-SM3, which this build lacks")
        from cryptography.hazmat.primitives import hashes, hmac

        mac = hmac.HMAC(key, hashes.SM3())
        mac.update(message)
        return mac.finalize().hex()
    raise UnavailableAlgorithm(f"unknown audit chain algorithm {algorithm!r}")


def canonical(payload: dict) -> bytes:
    """One byte string per content: keys sorted, no spaces, UTF-8 — what the HMAC is taken of."""
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def entry_payload(values: dict) -> dict:
    """The columns an entry's HMAC covers — every column except the HMAC itself."""
    at = values["at"]
    return {
        "id": values["id"],
        "seq": values["seq"],
        "at": at.isoformat() if hasattr(at, "isoformat") else str(at),
        "actor_id": values["actor_id"],
        "actor_label": values["actor_label"],
        "action": values["action"],
        "object_type": values["object_type"],
        "object_id": values["object_id"],
        "data": values["data"],
        "result": values["result"],
        "address": values["address"],
        "prev_hash": values["prev_hash"],
    }


ENTRY_COLUMNS = (
    "id",
    "seq",
    "at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "data",
    "result",
    "address",
    "prev_hash",
)


def entry_digest(values: dict, *, key: bytes, algorithm: str) -> str:
    return keyed_digest(canonical(entry_payload(values)), key=key, algorithm=algorithm)


def head_digest(values: dict, *, key: bytes, algorithm: str) -> str:
    payload = {name: values[name] for name in ("count", "last_hash", "start_count", "start_hash", "algorithm")}
    return keyed_digest(canonical(payload), key=key, algorithm=algorithm)


def normal_address(address: str | None) -> str | None:
    """The address as the database gives it back (PostgreSQL's inet rewrites IPv6 forms), so the
    HMAC taken before the insert matches the row read later; anything not an address is dropped."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(str(address).strip())
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ip)


class Result(models.TextChoices):
    OK = "ok", _("成功")
    FAILED = "failed", _("失败")
    DENIED = "denied", _("拒绝")


class AuditEntry(models.Model):
    """One line of the append-only, keyed hash chain (操作留痕、安全审计).

    `seq` is the entry's position in the chain (1, 2, 3… — ids may have gaps after a rolled-back
    transaction on PostgreSQL); `hash` is the HMAC of every other column under the audit key.
    """

    seq = models.PositiveBigIntegerField(_("序号"), unique=True, null=True, editable=False)
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    # PROTECT: the actor's id is under the HMAC, so an officer with entries is disabled, never deleted
    # (SET_NULL would rewrite his entries and break the chain).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.PROTECT
    )
    actor_label = models.CharField(_("操作人标识"), max_length=100, blank=True)
    action = models.CharField(_("操作"), max_length=60, db_index=True)
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
        # The trail is only ever appended to; the admin offers no add, change or delete, and the
        # application deletes only through `anmin audit purge`, after the retention period.
        default_permissions = ("view",)

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_type}#{self.object_id}"

    def values(self) -> dict:
        return {name: getattr(self, name) for name in ENTRY_COLUMNS}

    def compute_hash(self, *, key: bytes | None = None, algorithm: str | None = None) -> str:
        from anmin.core.keys import audit_key

        if algorithm is None:
            head = AuditHead.objects.filter(pk=1).first()
            algorithm = head.algorithm if head is not None else DEFAULT_ALGORITHM
        return entry_digest(self.values(), key=key or audit_key(), algorithm=algorithm)


class AuditHead(models.Model):
    """The end of the chain: how many entries there are and the HMAC of the last one, and where the
    chain starts after a purge (the purged prefix's count and last HMAC). `seal` is the HMAC of all
    of that, so the head cannot be moved back over deleted entries without the key.

    The row is also the lock that serializes appends (SELECT … FOR UPDATE)."""

    count = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    start_count = models.PositiveBigIntegerField(default=0)
    start_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    algorithm = models.CharField(max_length=20, default=DEFAULT_ALGORITHM)
    key_id = models.CharField(max_length=16, blank=True, default="")
    seal = models.CharField(max_length=64, blank=True, default="")
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_count = models.PositiveBigIntegerField(default=0)
    verified_ok = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")
        default_permissions = ("view",)

    def __str__(self):
        return f"{self.count} · {self.last_hash[:12]}"

    def values(self) -> dict:
        return {
            "count": self.count,
            "last_hash": self.last_hash,
            "start_count": self.start_count,
            "start_hash": self.start_hash,
            "algorithm": self.algorithm,
        }

    def compute_seal(self, key: bytes) -> str:
        return head_digest(self.values(), key=key, algorithm=self.algorithm)


def _head_for_update() -> AuditHead:
    # Appends must be serialized or two entries would claim the same predecessor: the head row's
    # lock does that on PostgreSQL; SQLite serializes writers anyway.
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        if AuditEntry.objects.exists():
            # The head is gone but entries are not: recreating it from them would bless whatever
            # was done to the tail. Refuse; `anmin audit verify` reports the missing head.
            raise RuntimeError("the audit trail has entries but no head: run `anmin audit verify`")
        from anmin.core.keys import audit_key, key_id

        key = audit_key()
        head = AuditHead(pk=1, algorithm=DEFAULT_ALGORITHM, key_id=key_id(key))
        head.seal = head.compute_seal(key)
        # Two first entries at once (PostgreSQL) both find no head: the second insert waits for the
        # first's commit and is then ignored, and the lock below reads the head the first one left.
        AuditHead.objects.bulk_create([head], ignore_conflicts=True)
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
    """Append one entry to the trail; must run inside the action's transaction.

    The entry's id is part of its HMAC, and only the database hands out ids (PostgreSQL's sequence
    leaves gaps after rollbacks, so it cannot be guessed): the row is inserted with a random
    placeholder, then its HMAC is written — both under the head's lock, in the caller's transaction.
    """
    from anmin.core.keys import audit_key

    assert transaction.get_connection().in_atomic_block, "audit entries are written inside an action"  # noqa: S101
    key = audit_key()  # before any write: without a key nothing is recorded, and the action fails
    head = _head_for_update()
    entry = AuditEntry(
        seq=head.count + 1,
        # Officers are linked; a citizen (the portal's users) is recorded by its label only.
        actor=actor if getattr(actor, "pk", None) and _is_officer(actor) else None,
        actor_label=(getattr(actor, "audit_label", "") or ("system" if actor is None else str(actor)))[:100],
        action=action,
        object_type=(object_type or _object_type(obj))[:60],
        object_id=(object_id or ("" if obj is None else str(getattr(obj, "pk", obj))))[:64],
        data=json.loads(json.dumps(data or {}, default=str, ensure_ascii=False)),
        result=result,
        address=normal_address(address),
        prev_hash=head.last_hash,
        hash=secrets.token_hex(32),
    )
    entry.at = timezone.now()
    entry.save(force_insert=True)
    entry.hash = entry_digest(entry.values(), key=key, algorithm=head.algorithm)
    AuditEntry.objects.filter(pk=entry.pk).update(hash=entry.hash)
    head.count += 1
    head.last_hash = entry.hash
    head.seal = head.compute_seal(key)
    AuditHead.objects.filter(pk=1).update(count=head.count, last_hash=head.last_hash, seal=head.seal)
    return entry


@dataclass
class Verification:
    """What `verify` found: `ok` only when every entry, the head and every anchor matched."""

    checked: int = 0
    bad: AuditEntry | None = None
    reason: str = ""
    start_count: int = 0
    count: int = 0
    algorithm: str = ""
    anchors_checked: int = 0
    anchors_purged: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.reason


def verify(*, anchors: list[dict] | None = None, key: bytes | None = None) -> Verification:
    """Walk the trail from its start; check each entry's link, position and HMAC, then the head's
    count, last HMAC and seal, then each anchor (an entry at that position with that HMAC)."""
    from anmin.core.keys import audit_key, key_id

    key = key or audit_key()
    head = AuditHead.objects.filter(pk=1).first()
    report = Verification()
    if head is None:
        head = AuditHead(algorithm=DEFAULT_ALGORITHM)
        if AuditEntry.objects.exists():
            report.reason = "the chain's head is missing: it was deleted"
            return report
    report.algorithm, report.start_count = head.algorithm, head.start_count
    if head.algorithm not in ALGORITHMS or (head.algorithm == HMAC_SM3 and not SM3_AVAILABLE):
        report.reason = f"the chain was written with {head.algorithm!r}, which this build cannot compute"
        return report
    if head.pk is not None and head.seal != head.compute_seal(key):
        wrong_key = head.key_id and head.key_id != key_id(key)
        report.reason = (
            "the audit key is not the key this chain was written with (key id "
            f"{key_id(key)}, the chain's is {head.key_id})"
            if wrong_key
            else "the chain's head does not match its seal: the head was altered"
        )
        return report
    expected: dict[int, list[dict]] = {}
    for anchor in anchors or []:
        expected.setdefault(int(anchor["count"]), []).append(anchor)
    prev, seq = head.start_hash, head.start_count
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        if entry.prev_hash != prev:
            report.bad = entry
            report.reason = "previous hash does not match: an entry before it was deleted or altered"
            return report
        if entry.seq != seq + 1:
            report.bad = entry
            report.reason = f"entry is number {entry.seq} in its chain, expected {seq + 1}: an entry was deleted"
            return report
        if entry_digest(entry.values(), key=key, algorithm=head.algorithm) != entry.hash:
            report.bad = entry
            report.reason = "content does not match its hash: this entry was altered"
            return report
        prev, seq = entry.hash, entry.seq
        report.checked += 1
        for anchor in expected.get(seq, ()):
            if anchor["last_hash"] != entry.hash:
                report.bad = entry
                report.reason = (
                    f"entry number {seq} differs from the anchor of {anchor['time']}: "
                    "the trail was rewritten after that anchor was taken"
                )
                return report
            report.anchors_checked += 1
    report.count = seq
    if head.count != seq or head.last_hash != prev:
        report.bad = AuditEntry.objects.order_by("-id").first()
        report.reason = (
            f"the chain ends after {seq} entries but its head records {head.count}: "
            "the newest entries were deleted or the head was altered"
        )
        return report
    for count, anchor in sorted((count, a) for count, group in expected.items() for a in group):
        if count < head.start_count:
            report.anchors_purged += 1
        elif count == head.start_count:
            if anchor["last_hash"] != head.start_hash:
                report.reason = f"the anchor of {anchor['time']} does not match where the purged part ended"
                return report
            report.anchors_checked += 1
        elif count > seq:
            report.reason = (
                f"the anchor of {anchor['time']} records {count} entries but the trail has {seq}: "
                "the newest entries were deleted"
            )
            return report
    return report


def verify_chain() -> tuple[int, AuditEntry | None, str]:
    """Walk the trail; return (entries checked, first bad entry or None, reason)."""
    report = verify()
    return report.checked, report.bad, report.reason


def retention_days() -> int:
    """How long entries are kept at least: AUDIT_RETENTION_DAYS, never under 180 days (网络安全法
    第二十一条: network logs are kept for no less than six months)."""
    return max(int(getattr(settings, "AUDIT_RETENTION_DAYS", 180) or 180), 180)


class RetentionError(ValueError):
    pass


def purge_before(before, *, actor=None, actor_label: str = "") -> int:
    """Delete the entries older than `before` (a datetime) that start the chain, keeping it verifiable.

    Refused for a date inside the retention period, and for a chain that does not verify (a purge
    must not carry tampering away with the entries). The head keeps the purged part's count and last
    HMAC, so `verify` starts there; the purge itself is the next entry.
    """
    from anmin.core.keys import audit_key

    limit = timezone.now() - timedelta(days=retention_days())
    if before > limit:
        raise RetentionError(
            f"entries are kept for {retention_days()} days: the date must be on or before {limit:%Y-%m-%d %H:%M}"
        )
    key = audit_key()
    with transaction.atomic():
        head = _head_for_update()
        report = verify(key=key)
        if not report.ok:
            raise RetentionError(f"the audit trail does not verify, nothing purged: {report.reason}")
        first_kept = AuditEntry.objects.filter(at__gte=before).order_by("id").values_list("id", flat=True).first()
        doomed = AuditEntry.objects.all() if first_kept is None else AuditEntry.objects.filter(id__lt=first_kept)
        last = doomed.order_by("-id").values("seq", "hash").first()
        if last is None:
            return 0
        count = doomed.count()
        doomed.delete()
        head.start_count, head.start_hash = last["seq"], last["hash"]
        head.seal = head.compute_seal(key)
        AuditHead.objects.filter(pk=1).update(start_count=head.start_count, start_hash=head.start_hash, seal=head.seal)
        labelled = actor
        if actor is None and actor_label:

            class _Labelled:
                audit_label = actor_label

            labelled = _Labelled()
        append_audit(
            actor=labelled,
            action="audit.purged",
            object_type="core.auditentry",
            data={"before": before.isoformat(), "count": count, "through": last["seq"], "last_hash": last["hash"]},
        )
    return count

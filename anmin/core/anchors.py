"""Anchors of the audit chain kept outside the database.

The HMAC chain stops anyone without the audit key; it cannot stop someone who holds the key and
rewrites the whole database (or restores an old copy of it). An anchor — the time, the number of
entries and the last entry's HMAC, itself under an HMAC — written where the database's writers
cannot reach (an append-only file on another machine's mount, or the system log shipped to a log
server) pins the chain as it was: `anmin audit verify` then requires the entry at each anchored
position to carry the anchored HMAC, so a tail deleted or a history rewritten is found.
"""

import json
import os
import syslog
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from anmin.core.models import AuditEntry, AuditHead, canonical, keyed_digest

#: The fields an anchor's HMAC covers.
ANCHOR_FIELDS = ("time", "count", "last_hash", "algorithm")


class AnchorError(Exception):
    pass


@dataclass
class Anchor:
    line: int
    time: str
    count: int
    last_hash: str

    def as_dict(self) -> dict:
        return {"time": self.time, "count": self.count, "last_hash": self.last_hash}


def anchor_path() -> Path:
    configured = getattr(settings, "AUDIT_ANCHOR_FILE", "")
    return Path(configured) if configured else Path(settings.VAR_DIR) / "audit-anchors.log"


def _mac(values: dict, key: bytes) -> str:
    return keyed_digest(
        canonical({name: values[name] for name in ANCHOR_FIELDS}), key=key, algorithm=values["algorithm"]
    )


def current_anchor(key: bytes) -> dict:
    """The anchor for the chain as it is now. The head must carry its seal and the last entry
    must match it: an anchor of a chain already cut short would bless the cut."""
    head = AuditHead.objects.filter(pk=1).first()
    if head is None:
        values = {"time": timezone.now().isoformat(), "count": 0, "last_hash": "0" * 64, "algorithm": ""}
        if AuditEntry.objects.exists():
            raise AnchorError("the audit trail has entries but no head: run `anmin audit verify`")
        from anmin.core.models import DEFAULT_ALGORITHM

        values["algorithm"] = DEFAULT_ALGORITHM
    else:
        if head.seal != head.compute_seal(key):
            raise AnchorError(
                "the chain's head does not match its seal (or the key is wrong): run `anmin audit verify`"
            )
        if head.count > head.start_count:
            last = AuditEntry.objects.filter(seq=head.count).values_list("hash", flat=True).first()
            if last != head.last_hash:
                raise AnchorError("the newest entry does not match the chain's head: run `anmin audit verify`")
        values = {
            "time": timezone.now().isoformat(),
            "count": head.count,
            "last_hash": head.last_hash,
            "algorithm": head.algorithm,
        }
    values["mac"] = _mac(values, key)
    return values


def write_file(values: dict, path: Path) -> None:
    """Append one line; O_APPEND so a line is never written over another, fsync so it survives a crash."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, (json.dumps(values, ensure_ascii=False, sort_keys=True) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def write_syslog(values: dict) -> None:
    syslog.openlog("anmin-audit", 0, syslog.LOG_AUTH)
    try:
        syslog.syslog(syslog.LOG_NOTICE, "anchor " + json.dumps(values, ensure_ascii=False, sort_keys=True))
    finally:
        syslog.closelog()


def read_file(path: Path, key: bytes) -> list[Anchor]:
    """Every anchor in the file, each checked against its HMAC. A line that is not a well-formed,
    authentic anchor is an error: a forged anchor must not pass for a true one."""
    anchors = []
    with open(path, encoding="utf-8") as lines:
        for number, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            try:
                values = json.loads(text)
                values["count"] = int(values["count"])
                mac = values["mac"]
                if mac != _mac(values, key):
                    raise AnchorError(f"{path}:{number}: the anchor does not match its HMAC (altered, or another key)")
            except (ValueError, KeyError, TypeError) as exc:
                raise AnchorError(f"{path}:{number}: not an anchor line ({exc.__class__.__name__})") from None
            except Exception as exc:  # noqa: BLE001 - an unknown algorithm named in a forged line
                if isinstance(exc, AnchorError):
                    raise
                raise AnchorError(f"{path}:{number}: {exc}") from None
            anchors.append(Anchor(number, values["time"], values["count"], values["last_hash"]))
    return anchors

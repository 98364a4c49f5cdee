"""Keys that must not live in the database: the audit trail's HMAC key and the data keys that
encrypt personal data at rest (ID and phone numbers) and key their blind indexes.

Each comes from an environment variable or a file named by one (AUDIT_KEY / AUDIT_KEY_FILE,
DATA_KEY / DATA_KEY_FILE). A key is 32 random bytes written as base64 (`anmin keys init` writes
them). DATA_KEY may hold several keys, newest first, separated by commas (in a file: one per
line): data is encrypted with the first and decrypted with whichever wrote it, which is how the
data key is rotated (`anmin keys rotate`).

When neither is set, the files `keys/audit.key` and `keys/data.key` under VAR_DIR are read if
they exist: `make demo` creates them with `anmin keys init`. A production server refuses to start
without an audit key and a data key (anmin.asgi, `anmin serve`). Someone who can change the
database cannot recompute the audit chain or read the encrypted columns without these files;
keep them elsewhere than the database (another disk, a secrets store) and in the backup plan.

Backups (`anmin backup`) are encrypted under a key derived from BACKUP_KEY / BACKUP_KEY_FILE when
set, else from the current data key: a backup is only of use where the data and audit keys are
anyway (the encrypted columns and the audit chain need them), so no extra key has to be kept by
default. Keep key files apart from the backups: a stolen backup must not carry its own key.
"""

import base64
import binascii
import hashlib
import os
import secrets
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

KEY_BYTES = 32


class MissingKey(ImproperlyConfigured):
    pass


def _decode(text: str, name: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(f"{name}: a key must be {KEY_BYTES} bytes written as base64") from None
    if len(raw) != KEY_BYTES:
        raise ImproperlyConfigured(f"{name}: a key must be {KEY_BYTES} bytes written as base64, got {len(raw)} bytes")
    return raw


def default_key_path(name: str) -> Path:
    return Path(settings.VAR_DIR) / "keys" / f"{name}.key"


def _read(env_name: str, file_setting: str, default_name: str) -> list[bytes]:
    value = getattr(settings, env_name, None)
    if value:
        return [_decode(part, env_name) for part in value.split(",") if part.strip()]
    path = getattr(settings, file_setting, None)
    source = file_setting
    if not path:
        path = default_key_path(default_name)
        source = str(path)
        if not path.exists():
            return []
    try:
        lines = Path(path).read_text().split()
    except OSError as exc:
        raise ImproperlyConfigured(f"{file_setting}: cannot read {path}: {exc.strerror}") from None
    return [_decode(line, source) for line in lines if line.strip()]


def key_id(key: bytes) -> str:
    """A short public name for a key (stored beside what it encrypted): the start of its hash."""
    return hashlib.sha256(b"anmin key id:" + key).hexdigest()[:8]


@cache
def audit_key() -> bytes:
    keys = _read("AUDIT_KEY", "AUDIT_KEY_FILE", "audit")
    if not keys:
        raise MissingKey("AUDIT_KEY or AUDIT_KEY_FILE is not set (run `anmin keys init` for a development key)")
    return keys[0]


@cache
def data_keys() -> tuple[tuple[str, bytes], ...]:
    """(key id, key) pairs, the current key first."""
    keys = _read("DATA_KEY", "DATA_KEY_FILE", "data")
    if not keys:
        raise MissingKey("DATA_KEY or DATA_KEY_FILE is not set (run `anmin keys init` for a development key)")
    return tuple((key_id(key), key) for key in keys)


@cache
def backup_keys() -> tuple[tuple[str, str, bytes], ...]:
    """(source, key id, key) for the keys a backup may be encrypted with: BACKUP_KEY first when it is
    set (new backups use it), then every data key (a backup made before a rotation used an older one)."""
    found = [("BACKUP_KEY", key_id(key), key) for key in _read("BACKUP_KEY", "BACKUP_KEY_FILE", "backup")]
    try:
        found += [("DATA_KEY", kid, key) for kid, key in data_keys()]
    except MissingKey:
        if not found:
            raise MissingKey("BACKUP_KEY or DATA_KEY is not set: backups are encrypted with one of them") from None
    return tuple(found)


def configured() -> list[str]:
    """The names of the keys that are missing (an empty list when all are there)."""
    missing = []
    for name, loader in (("AUDIT_KEY", audit_key), ("DATA_KEY", data_keys)):
        try:
            loader()
        except MissingKey:
            missing.append(name)
    return missing


def new_key() -> str:
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def write_key_file(path: Path, keys: list[str]) -> None:
    """Write a key file readable by its owner only (created with mode 0600, never world-readable)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("\n".join(keys) + "\n")
    os.replace(tmp, path)
    reset()


def reset() -> None:
    audit_key.cache_clear()
    data_keys.cache_clear()
    backup_keys.cache_clear()


@receiver(setting_changed)
def _on_setting_changed(*, setting, **kwargs):
    if setting in (
        "AUDIT_KEY",
        "AUDIT_KEY_FILE",
        "DATA_KEY",
        "DATA_KEY_FILE",
        "BACKUP_KEY",
        "BACKUP_KEY_FILE",
        "VAR_DIR",
    ):
        reset()

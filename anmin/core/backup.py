"""Backup and recovery (备份恢复, GB/T 22239-2019 8.1.4.11 数据备份恢复): `anmin backup` writes one
encrypted file holding the database and the private files; `anmin restore` puts it back on this
or another machine and proves the result (row counts, `audit verify`, `stats verify`).

A backup file is:

    MAGIC | manifest length (4 bytes) | manifest (JSON, readable) | chunk…

The manifest says what the backup holds (format, time, Anmin version, database vendor, the latest
migration of each app, the row count of every table, the audit trail's head, the keys the data
needs, the size and SHA-256 of each part) and is not secret, so an operator can see which keys a
backup needs before having them. The payload (the parts one after the other) is sealed with
AES-256-GCM in chunks of CHUNK_BYTES, each `length (4) | nonce (12) | ciphertext+tag`. Every
chunk's associated data holds the manifest's SHA-256, the chunk's index and the number of chunks:
a changed manifest, a changed byte, chunks swapped, dropped or appended all fail to decrypt.

The key is derived (HKDF-SHA256, a random salt per backup) from BACKUP_KEY when set, else from the
current data key (anmin.core.keys.backup_keys): the backup carries no key. Restoring elsewhere
needs the data keys and the audit key anyway, since the encrypted columns and the keyed audit
chain are useless without them; keep the key files apart from the backups, or whoever takes a
backup takes the means to read it.

The database part is a consistent snapshot: SQLite's online backup API, or `pg_dump --format=custom`
run on a snapshot exported from the transaction that also counted the rows, so the counts in the
manifest are those of the dump. The private files (MEDIA_ROOT: case documents, property photos)
follow as a tar. Plaintext only ever exists in temporary files of mode 0600, removed afterwards.

A restore checks everything it can before touching the database (format, migrations, keys, that
the target is empty, every chunk and checksum, and on SQLite the restored file's integrity and row
counts), then replaces the database in one step (SQLite's backup API into the configured file,
`pg_restore --single-transaction`), so a bad backup leaves the target as it was.
"""

import base64
import getpass
import hashlib
import json
import os
import shutil
import sqlite3
import struct
import subprocess  # noqa: S404 - pg_dump / pg_restore are the PostgreSQL tools for this
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils import timezone

from anmin.core import crypto, keys

FORMAT = 1
MAGIC = b"ANMIN-BACKUP\x00\x01"
SUFFIX = ".anminbak"
CHUNK_BYTES = 1 << 20
NONCE_BYTES = 12
TAG_BYTES = 16
SALT_BYTES = 16
MAX_MANIFEST_BYTES = 4 << 20
COPY_BYTES = 1 << 20


class BackupError(Exception):
    """A backup cannot be made or restored; the message is one line an operator can act on."""


@dataclass
class Part:
    """One piece of the payload, held in a temporary plaintext file while it is written or read."""

    name: str
    format: str
    path: Path
    size: int = 0
    sha256: str = ""
    extra: dict = field(default_factory=dict)

    def describe(self) -> dict:
        return {"name": self.name, "format": self.format, "size": self.size, "sha256": self.sha256, **self.extra}


# --- small helpers ------------------------------------------------------------------------------


def _hash_file(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as source:
        while block := source.read(COPY_BYTES):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


def _private_file(directory: Path, name: str) -> Path:
    path = directory / name
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return path


@contextmanager
def _workdir() -> Iterator[Path]:
    """A private temporary folder (mode 0700, files 0600) for plaintext, removed whatever happens."""
    path = Path(tempfile.mkdtemp(prefix="anmin-backup-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _anmin_version() -> str:
    try:
        return metadata.version("anmin")
    except metadata.PackageNotFoundError:
        return "unknown"


def _derive(base: bytes, salt: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"anmin backup v1").derive(base)


def _aad(manifest_sha: bytes, index: int, total: int) -> bytes:
    return b"anmin backup v1|" + manifest_sha + struct.pack(">QQ", index, total)


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


# --- facts about a database snapshot --------------------------------------------------------------


def _tables(cursor, vendor: str) -> dict[str, set[str]]:
    """Table name → column names, for the tables of the current schema."""
    columns: dict[str, set[str]] = {}
    if vendor == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        for (table,) in cursor.fetchall():
            cursor.execute(f"SELECT name FROM pragma_table_info('{table.replace(chr(39), chr(39) * 2)}')")  # noqa: S608
            columns[table] = {row[0] for row in cursor.fetchall()}
    else:
        cursor.execute(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c "
            "JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
            "WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'"
        )
        for table, column in cursor.fetchall():
            columns.setdefault(table, set()).add(column)
    return columns


def _one(cursor, sql: str):
    cursor.execute(sql)
    row = cursor.fetchone()
    return row[0] if row else None


def encrypted_columns() -> list[tuple[str, str]]:
    """(table, column) of every encrypted personal-data column the code knows."""
    found = []
    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, crypto.EncryptedCharField):
                found.append((model._meta.db_table, model_field.column))
    return sorted(found)


def snapshot_facts(cursor, vendor: str) -> dict:
    """What the manifest records about one consistent view of a database: row counts per table,
    the latest migration per app, the audit head and the data keys the encrypted columns use."""
    from anmin.core.models import AuditEntry, AuditHead

    tables = _tables(cursor, vendor)
    counts = {table: int(_one(cursor, f"SELECT COUNT(*) FROM {_quote(table)}")) for table in sorted(tables)}  # noqa: S608
    migrations: dict[str, str] = {}
    if "django_migrations" in tables:
        cursor.execute("SELECT app, name FROM django_migrations")
        for app, name in cursor.fetchall():
            migrations[app] = max(name, migrations.get(app, ""))
    head_table, entry_table = AuditHead._meta.db_table, AuditEntry._meta.db_table
    audit = {"count": counts.get(entry_table, 0), "last_hash": None}
    if head_table in tables:
        cursor.execute(f"SELECT {_quote('count')}, {_quote('last_hash')} FROM {_quote(head_table)} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
        if row:
            audit = {"count": int(row[0]), "last_hash": row[1]}
    data_key_ids: set[str] = set()
    start = len(crypto.PREFIX) + 2
    for table, column in encrypted_columns():
        if column not in tables.get(table, ()):
            continue  # a column the code has and this database does not yet: not migrated
        cursor.execute(
            f"SELECT DISTINCT substr({_quote(column)}, {start}, 8) FROM {_quote(table)} "  # noqa: S608
            f"WHERE {_quote(column)} LIKE '{crypto.PREFIX}:%'"
        )
        data_key_ids.update(row[0] for row in cursor.fetchall())
    return {"tables": counts, "migrations": migrations, "audit": audit, "data_key_ids": sorted(data_key_ids)}


# --- the configured database --------------------------------------------------------------------


def vendor() -> str:
    return connection.vendor


def _sqlite_path() -> Path:
    name = str(connection.settings_dict["NAME"])
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupError(f"the SQLite database {name!r} is not a file: nothing to back up or restore into")
    return Path(name)


def _pg_params() -> dict[str, str]:
    s = connection.settings_dict
    params = {"dbname": s["NAME"], "user": s["USER"], "password": s["PASSWORD"], "host": s["HOST"], "port": s["PORT"]}
    params = {k: str(v) for k, v in params.items() if v}
    if (s.get("OPTIONS") or {}).get("sslmode"):
        params["sslmode"] = s["OPTIONS"]["sslmode"]
    return params


def _pg_env(params: dict[str, str]) -> dict[str, str]:
    # The password goes to the tools through their environment, never on a command line (ps shows those).
    names = {"dbname": "PGDATABASE", "user": "PGUSER", "password": "PGPASSWORD", "host": "PGHOST", "port": "PGPORT"}
    env = dict(os.environ)
    for key, value in params.items():
        env[names.get(key, "PG" + key.upper())] = value
    return env


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} was not found: install the PostgreSQL client tools (the server's major version or newer)"
        )
    return path


def _run_tool(args: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit status {done.returncode}"
        raise BackupError(f"{what} failed: {reason}")


def _pg_connect():
    import psycopg

    try:
        return psycopg.connect(**_pg_params())
    except psycopg.Error as exc:
        raise BackupError(f"cannot connect to PostgreSQL: {str(exc).strip().splitlines()[0]}") from None


# --- making a backup ------------------------------------------------------------------------------


def _dump_sqlite(workdir: Path) -> tuple[Part, dict]:
    source_path = _sqlite_path()
    if not source_path.is_file():
        raise BackupError(f"the database file {source_path} does not exist")
    target = _private_file(workdir, "database.sqlite3")
    # The online backup API copies a consistent snapshot while the server keeps writing (WAL).
    source = sqlite3.connect(source_path.resolve().as_uri() + "?mode=ro", uri=True, timeout=20)
    copy = sqlite3.connect(target)
    try:
        with copy:
            source.backup(copy)
        # One self-contained file: the copy must not depend on a -wal file beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
        facts = snapshot_facts(copy.cursor(), "sqlite")
    finally:
        copy.close()
        source.close()
    return Part("database", "sqlite", target), facts


def _dump_postgresql(workdir: Path) -> tuple[Part, dict]:
    pg_dump = _pg_tool("pg_dump")
    target = _private_file(workdir, "database.pgdump")
    params = _pg_params()
    snapshot = _pg_connect()
    try:
        # pg_dump reads the snapshot this transaction exports, so the counts taken here are the dump's.
        snapshot.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot_id = _one(snapshot.cursor(), "SELECT pg_export_snapshot()")
        facts = snapshot_facts(snapshot.cursor(), "postgresql")
        facts["server_version"] = _one(snapshot.cursor(), "SHOW server_version")
        _run_tool(
            [pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot_id}", f"--file={target}"],
            _pg_env(params),
            "pg_dump",
        )
    finally:
        snapshot.rollback()
        snapshot.close()
    return Part("database", "pg_dump-custom", target), facts


def _tar_media(workdir: Path) -> Part:
    target = _private_file(workdir, "media.tar")
    root = Path(settings.MEDIA_ROOT)
    files = 0
    with tarfile.open(target, "w") as archive:
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    archive.add(path, arcname=str(path.relative_to(root)), recursive=False)
                    files += 1
    return Part("media", "tar", target, extra={"files": files})


def default_output() -> Path:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    return Path(settings.VAR_DIR) / "backups" / f"anmin-{stamp}{SUFFIX}"


def seal(output: Path, manifest: dict, parts: list[Part], key: tuple[str, str, bytes]) -> dict:
    """Write the backup file: the manifest (completed with the parts' checksums and the encryption
    parameters) and the parts encrypted in chunks. Written beside `output` and renamed into place,
    so an interrupted backup never leaves a file that looks whole."""
    source, kid, base = key
    total_size = 0
    whole = hashlib.sha256()
    for part in parts:
        part.size, part.sha256 = _hash_file(part.path)
        total_size += part.size
        with open(part.path, "rb") as data:
            while block := data.read(COPY_BYTES):
                whole.update(block)
    chunks = max(1, -(-total_size // CHUNK_BYTES))
    salt = os.urandom(SALT_BYTES)
    manifest = {
        **manifest,
        "key": {"source": source, "id": kid},
        "encryption": {
            "cipher": "AES-256-GCM",
            "kdf": "HKDF-SHA256",
            "salt": base64.b64encode(salt).decode(),
            "chunk_bytes": CHUNK_BYTES,
            "chunks": chunks,
        },
        "payload": {"size": total_size, "sha256": whole.hexdigest(), "parts": [part.describe() for part in parts]},
    }
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
    manifest_sha = hashlib.sha256(manifest_bytes).digest()
    aead = AESGCM(_derive(base, salt))

    output.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = output.with_name(output.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(MAGIC + struct.pack(">I", len(manifest_bytes)) + manifest_bytes)
            for index, chunk in enumerate(_chunks(parts, total_size)):
                nonce = os.urandom(NONCE_BYTES)
                sealed = aead.encrypt(nonce, chunk, _aad(manifest_sha, index, chunks))
                out.write(struct.pack(">I", len(sealed)) + nonce + sealed)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return manifest


def _chunks(parts: list[Part], total_size: int) -> Iterator[bytes]:
    """The parts' bytes one after the other, cut into CHUNK_BYTES pieces (one empty chunk when empty)."""
    if total_size == 0:
        yield b""
        return
    buffer = bytearray()
    for part in parts:
        with open(part.path, "rb") as data:
            while block := data.read(CHUNK_BYTES):
                buffer += block
                while len(buffer) >= CHUNK_BYTES:
                    yield bytes(buffer[:CHUNK_BYTES])
                    del buffer[:CHUNK_BYTES]
    if buffer:
        yield bytes(buffer)


def create(output: Path | None = None) -> tuple[Path, dict]:
    """Back up the configured database and the private files into one encrypted file."""
    output = Path(output) if output else default_output()
    if output.exists():
        raise BackupError(f"{output} already exists: choose another --output")
    key = keys.backup_keys()[0]
    try:
        audit_key_id = keys.key_id(keys.audit_key())
    except keys.MissingKey:
        audit_key_id = None
    with _workdir() as workdir:
        database, facts = _dump_sqlite(workdir) if vendor() == "sqlite" else _dump_postgresql(workdir)
        # After the database: every file a row of the snapshot names is already there.
        media = _tar_media(workdir)
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "anmin_version": _anmin_version(),
            "database": {"vendor": vendor(), "server_version": facts.pop("server_version", sqlite3.sqlite_version)},
            "migrations": facts["migrations"],
            "tables": facts["tables"],
            "audit": {**facts["audit"], "key_id": audit_key_id},
            "data_key_ids": facts["data_key_ids"],
        }
        manifest = seal(output, manifest, [database, media], key)
    _audit(
        "backup.create",
        {"file": output.name, "size": output.stat().st_size, "rows": sum(manifest["tables"].values())},
    )
    return output, manifest


def _audit(action: str, data: dict, result: str = "ok") -> None:
    from anmin.core.audit import security_event

    security_event(action, actor_label=_operator(), object_type="backup", result=result, data=data)


# --- reading a backup -----------------------------------------------------------------------------


def read_manifest(path: Path) -> tuple[dict, bytes, int]:
    """The manifest, its bytes and where the chunks start; BackupError when `path` is not a backup."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    with open(path, "rb") as source:
        head = source.read(len(MAGIC) + 4)
        if len(head) < len(MAGIC) + 4 or head[: len(MAGIC)] != MAGIC:
            if head[: len(MAGIC) - 1] == MAGIC[:-1]:
                raise BackupError(f"{path}: a backup in a format this version of Anmin does not read")
            raise BackupError(f"{path} is not an Anmin backup")
        (length,) = struct.unpack(">I", head[len(MAGIC) :])
        if length > MAX_MANIFEST_BYTES:
            raise BackupError(f"{path} is not an Anmin backup (its header is damaged)")
        manifest_bytes = source.read(length)
    if len(manifest_bytes) != length:
        raise BackupError(f"{path} is truncated: the manifest is incomplete")
    try:
        manifest = json.loads(manifest_bytes)
        if not isinstance(manifest, dict):
            raise ValueError
        encryption = manifest["encryption"]
        base64.b64decode(encryption["salt"], validate=True)
        if int(encryption["chunks"]) < 1 or not isinstance(manifest["payload"]["parts"], list):
            raise ValueError
        if not isinstance(manifest["key"]["id"], str):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise BackupError(f"{path}: the manifest is damaged or was altered") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: backup format {manifest.get('format')!r}; this version of Anmin reads {FORMAT}")
    return manifest, manifest_bytes, len(MAGIC) + 4 + length


def backup_key_for(manifest: dict) -> bytes:
    wanted = manifest["key"]["id"]
    candidates = keys.backup_keys()
    for _source, kid, key in candidates:
        if kid == wanted:
            return key
    have = ", ".join(f"{source} {kid}" for source, kid, _key in candidates)
    raise BackupError(
        f"wrong key: this backup is encrypted with {manifest['key'].get('source', 'a key')} {wanted}, "
        f"and this machine has {have}; set BACKUP_KEY or DATA_KEY to the key that wrote it"
    )


def open_parts(path: Path, workdir: Path) -> tuple[dict, list[Part]]:
    """Decrypt the backup into plaintext files under `workdir` and check every checksum."""
    path = Path(path)
    manifest, manifest_bytes, offset = read_manifest(path)
    encryption = manifest["encryption"]
    aead = AESGCM(_derive(backup_key_for(manifest), base64.b64decode(encryption["salt"])))
    manifest_sha = hashlib.sha256(manifest_bytes).digest()
    total = int(encryption["chunks"])
    try:
        parts = [
            Part(str(p["name"]), str(p["format"]), Path(), int(p["size"]), str(p["sha256"]))
            for p in manifest["payload"]["parts"]
        ]
    except (KeyError, TypeError, ValueError):
        raise BackupError(f"{path}: the manifest is damaged or was altered") from None
    for part in parts:
        if part.name not in ("database", "media") or part.size < 0:
            raise BackupError(f"{path}: the manifest is damaged or was altered")
        part.path = _private_file(workdir, part.name)

    whole = hashlib.sha256()
    written = 0
    splitter = _Splitter(parts, path)
    try:
        with open(path, "rb") as source:
            source.seek(offset)
            for index in range(total):
                chunk = _read_chunk(source, aead, manifest_sha, index, total, path)
                whole.update(chunk)
                written += len(chunk)
                splitter.write(chunk)
            if source.read(1):
                raise BackupError(f"{path} is damaged or was altered: data follows the last chunk")
    finally:
        splitter.close()
    if written != manifest["payload"]["size"] or whole.hexdigest() != manifest["payload"]["sha256"]:
        raise BackupError(f"{path}: the payload's checksum does not match the manifest")
    for part in parts:
        if _hash_file(part.path) != (part.size, part.sha256):
            raise BackupError(f"{path}: the checksum of part {part.name} does not match the manifest")
    return manifest, parts


def _read_chunk(source, aead: AESGCM, manifest_sha: bytes, index: int, total: int, path: Path) -> bytes:
    where = f"chunk {index + 1} of {total}"
    header = source.read(4 + NONCE_BYTES)
    if len(header) < 4 + NONCE_BYTES:
        raise BackupError(f"{path} is truncated: {where} is missing")
    (length,) = struct.unpack(">I", header[:4])
    if length > CHUNK_BYTES + TAG_BYTES:
        raise BackupError(f"{path} is damaged or was altered at {where}")
    sealed = source.read(length)
    if len(sealed) < length:
        raise BackupError(f"{path} is truncated: {where} is incomplete")
    try:
        return aead.decrypt(header[4:], sealed, _aad(manifest_sha, index, total))
    except InvalidTag:
        raise BackupError(f"{path} is damaged or was altered: {where} does not verify") from None


class _Splitter:
    """Writes the decrypted payload into the parts' files, each up to the size the manifest gives."""

    def __init__(self, parts: list[Part], path: Path):
        self.parts = iter(parts)
        self.path = path
        self.out = None
        self.left = 0

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            while self.left == 0:
                self.close()
                part = next(self.parts, None)
                if part is None:
                    raise BackupError(f"{self.path}: the payload is longer than its manifest says")
                self.out = open(part.path, "wb")  # closed by close()
                self.left = part.size
            take = min(self.left, len(view))
            self.out.write(view[:take])
            view, self.left = view[take:], self.left - take

    def close(self) -> None:
        if self.out is not None:
            self.out.close()
            self.out = None


# --- restoring ------------------------------------------------------------------------------------


@dataclass
class Report:
    """What a restore found: per table (manifest count, restored count), and the verifications."""

    manifest: dict
    counts: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def differing(self) -> list[str]:
        return [table for table, (expected, found) in self.counts.items() if expected != found]


def check_migrations(manifest: dict) -> list[str]:
    """Refuse a backup made by newer code; return the apps whose migrations this code has beyond it."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    leaves: dict[str, str] = {}
    for app, name in loader.graph.leaf_nodes():
        leaves[app] = max(name, leaves.get(app, ""))
    behind = []
    for app, latest in sorted((manifest.get("migrations") or {}).items()):
        if (app, latest) not in known:
            raise BackupError(
                f"this backup comes from a newer Anmin (migration {app}.{latest} is unknown here): "
                "restore it with that version or a later one"
            )
        if leaves.get(app, latest) != latest:
            behind.append(app)
    return behind


def check_keys(manifest: dict) -> None:
    """The data must be readable here after the restore: same audit key, every data key it uses."""
    wanted_audit = (manifest.get("audit") or {}).get("key_id")
    if wanted_audit:
        try:
            have = keys.key_id(keys.audit_key())
        except keys.MissingKey:
            have = None
        if have != wanted_audit:
            raise BackupError(
                f"this backup's audit trail is keyed with audit key {wanted_audit} and AUDIT_KEY here is "
                f"{have or 'not set'}: restore with the audit key of the machine that made it"
            )
    wanted = set(manifest.get("data_key_ids") or [])
    try:
        have_data = {kid for kid, _key in keys.data_keys()}
    except keys.MissingKey:
        have_data = set()
    missing = sorted(wanted - have_data)
    if missing:
        raise BackupError(
            f"this backup's personal data is encrypted with data key {', '.join(missing)}, which DATA_KEY here "
            "does not hold: restore with the data keys of the machine that made it"
        )


def holdings() -> dict[str, int]:
    """What the target already holds that a restore would replace (empty: nothing)."""
    from anmin.core.models import AuditEntry
    from anmin.org.models import Officer

    found = {}
    existing = set(connection.introspection.table_names())
    for model, label in ((Officer, "accounts"), (AuditEntry, "audit entries")):
        if model._meta.db_table in existing:
            count = model.objects.count()
            if count:
                found[label] = count
    root = Path(settings.MEDIA_ROOT)
    if root.is_dir():
        files = sum(1 for path in root.rglob("*") if path.is_file())
        if files:
            found["private files"] = files
    return found


def _restore_sqlite(database: Part, report: Report) -> None:
    target = _sqlite_path()
    check = sqlite3.connect(database.path)
    try:
        verdict = _one(check.cursor(), "PRAGMA integrity_check")
        if verdict != "ok":
            raise BackupError(f"the database in this backup is damaged: {verdict}")
        _compare(report, snapshot_facts(check.cursor(), "sqlite"))
    finally:
        check.close()
    if report.differing:
        raise BackupError(
            f"the database in this backup does not hold the rows its manifest lists ({', '.join(report.differing)})"
        )
    connection.close()
    target.parent.mkdir(parents=True, exist_ok=True)
    # The backup API writes the whole file under one lock: other connections see the old database
    # or the restored one, never a mixture, and a failure leaves the old one.
    source = sqlite3.connect(database.path)
    destination = sqlite3.connect(target, timeout=20)
    try:
        with destination:
            source.backup(destination)
    except sqlite3.Error as exc:
        raise BackupError(f"restoring into {target} failed, the database is unchanged: {exc}") from None
    finally:
        destination.close()
        source.close()


def _restore_postgresql(database: Part) -> None:
    pg_restore = _pg_tool("pg_restore")
    params = _pg_params()
    connection.close()
    # One transaction: a failure part-way (a table another program holds, a role missing) rolls
    # everything back and the database is as it was.
    _run_tool(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={params['dbname']}",
            str(database.path),
        ],
        _pg_env(params),
        "pg_restore (the database is unchanged)",
    )


def _unpack_media(media: Part) -> Path | None:
    root = Path(settings.MEDIA_ROOT)
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restoring-", dir=root.parent))
    try:
        with tarfile.open(media.path) as archive:
            # The "data" filter refuses absolute paths, "..", links out of the folder and device files.
            archive.extractall(staging, filter="data")
    except (tarfile.TarError, OSError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise BackupError(f"the private files in this backup cannot be unpacked: {exc}") from None
    return staging


def _swap_media(staging: Path) -> None:
    root = Path(settings.MEDIA_ROOT)
    old = None
    if root.exists():
        old = root.with_name(f".replaced-{root.name}-{os.getpid()}")
        os.replace(root, old)
    os.replace(staging, root)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _compare(report: Report, facts: dict) -> None:
    expected = report.manifest.get("tables") or {}
    found = facts["tables"]
    report.counts = {table: (expected.get(table), found.get(table)) for table in sorted(set(expected) | set(found))}
    head = report.manifest.get("audit") or {}
    if (facts["audit"]["count"], facts["audit"]["last_hash"]) != (head.get("count"), head.get("last_hash")):
        report.problems.append(
            f"the audit head restored ({facts['audit']['count']} entries) differs from the manifest's "
            f"({head.get('count')} entries)"
        )


def current_facts() -> dict:
    if vendor() == "sqlite":
        with connection.cursor() as cursor:
            return snapshot_facts(cursor, "sqlite")
    snapshot = _pg_connect()
    try:
        return snapshot_facts(snapshot.cursor(), "postgresql")
    finally:
        snapshot.close()


def restore(
    path: Path, *, replace: bool = False, verify: Callable[[Report], None] | None = None, migrate=None
) -> Report:
    """Restore `path` into the configured database and MEDIA_ROOT; see the module docstring.

    `verify(report)` runs the audit and statistics checks (the command passes them in, with its
    output); `migrate()` brings a backup from older code up to this code's migrations."""
    manifest, _bytes, _offset = read_manifest(path)
    backup_key_for(manifest)
    if (manifest.get("database") or {}).get("vendor") != vendor():
        raise BackupError(
            f"this backup holds a {manifest.get('database', {}).get('vendor')} database and the configured "
            f"database is {vendor()}: restore it into a database of the same kind"
        )
    behind = check_migrations(manifest)
    check_keys(manifest)
    present = holdings()
    if present and not replace:
        what = ", ".join(f"{label}: {count}" for label, count in present.items())
        raise BackupError(f"the target is not empty ({what}): a restore replaces all of it; run again with --yes")

    report = Report(manifest)
    with _workdir() as workdir:
        manifest, parts = open_parts(path, workdir)
        by_name = {part.name: part for part in parts}
        if "database" not in by_name:
            raise BackupError(f"{path}: the backup holds no database")
        staging = _unpack_media(by_name["media"]) if "media" in by_name else None
        try:
            if vendor() == "sqlite":
                _restore_sqlite(by_name["database"], report)
            else:
                _restore_postgresql(by_name["database"])
            if staging is not None:
                _swap_media(staging)
                staging = None
        finally:
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
    _compare(report, current_facts())
    for table in report.differing:
        expected, found = report.counts[table]
        report.problems.append(f"table {table}: {found} rows restored, the manifest lists {expected}")
    if behind:
        report.notes.append(f"migrated from the backup's state to this code's ({', '.join(behind)})")
        if migrate is not None:
            migrate()
    if verify is not None:
        verify(report)
    _audit(
        "backup.restore",
        {"file": Path(path).name, "created_at": manifest.get("created_at"), "problems": len(report.problems)},
        result="ok" if not report.problems else "failed",
    )
    return report

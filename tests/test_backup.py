"""备份恢复: `anmin backup` writes one encrypted file; `anmin restore` puts it into an empty database
elsewhere, where every record is found again and the audit trail and statistics verify. A changed
byte, a swapped or missing chunk, a wrong key or a backup from newer code is refused in one line
and restores nothing."""

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from anmin.core import backup, keys
from tests.files import PDF

CHECKOUT = Path(__file__).resolve().parent.parent
OTHER_KEY = base64.b64encode(b"another-data-key-for-the-tests!!").decode()


# --- helpers ----------------------------------------------------------------------------------


def anmin(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run `anmin ARGS` as an operator would, in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "anmin.cli", *args],
        env=env,
        cwd=CHECKOUT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def process_env(**changes: str | None) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(CHECKOUT), SECRET_KEY="anmin-test-only-not-secret")
    env.pop("DATABASE_URL", None)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def database_url(name: str | None = None) -> str:
    """The URL of the test database (or of another database on the same PostgreSQL server)."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    credentials = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{credentials}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name or s['NAME']}"


@pytest.fixture
def empty_target(tmp_path):
    """Where an operator restores: a new machine's empty database and private files folder."""
    var = tmp_path / "elsewhere"
    changes = {"ANMIN_VAR_DIR": str(var), "ANMIN_PRIVATE_DIR": str(var / "private")}
    if connection.vendor == "sqlite":
        yield changes
        return
    import psycopg

    name = connection.settings_dict["NAME"] + "_restore"
    admin_params = {
        k: v
        for k, v in {
            "dbname": "postgres",
            "user": connection.settings_dict["USER"],
            "password": connection.settings_dict["PASSWORD"],
            "host": connection.settings_dict["HOST"],
            "port": connection.settings_dict["PORT"],
        }.items()
        if v
    }

    def recreate(create: bool):
        with psycopg.connect(**admin_params, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if create:
                admin.execute(f'CREATE DATABASE "{name}"')

    recreate(True)
    yield changes | {"DATABASE_URL": database_url(name)}
    recreate(False)


READ_BACK = """
import json
from django.db import connection
from anmin.core import backup
from anmin.cases.models import CaseDocument, CasePerson
from anmin.incidents.models import Incident
from anmin.core.models import AuditEntry
with connection.cursor() as cursor:
    facts = backup.snapshot_facts(cursor, connection.vendor)
print(json.dumps({
    "tables": facts["tables"],
    "incidents": sorted(Incident.objects.values_list("number", "caller_phone", "address")),
    "people": sorted(CasePerson.objects.values_list("name", "id_number", "phone")),
    "documents": [(d.title, d.file.read().hex()) for d in CaseDocument.objects.all()],
    "actions": list(AuditEntry.objects.values_list("action", flat=True)),
}, ensure_ascii=False))
"""


def read_back(env: dict[str, str] | None = None) -> dict:
    """Every table's row count and some values, as Anmin reads them: in a process of its own from
    the database `env` names, or here from the test database."""
    if env is None:
        import contextlib
        import io

        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(READ_BACK, {})  # noqa: S102 - the same code the restored side runs
        return json.loads(printed.getvalue())
    done = anmin("shell", "-c", READ_BACK, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def build_records(city, settings, tmp_path) -> None:
    """Incidents, a case with a person and an uploaded document, all through actions (audited)."""
    from anmin.cases.actions import AddPerson, OpenCase, UploadDocument
    from anmin.incidents.actions import ReceiveCall
    from anmin.stats import rollups

    settings.MEDIA_ROOT = tmp_path / "private"
    for index, point in enumerate([(37.735, 115.675), (37.551, 115.579)]):
        ReceiveCall(
            by=city.dispatcher,
            force_new=True,
            data={
                "category": "0601",
                "lat": point[0],
                "lon": point[1],
                "address": f"人民路 {100 + index} 号",
                "caller_phone": f"1381234567{index}",
                "description": "备份测试",
                "priority": 2,
            },
        ).execute()
    case = OpenCase(by=city.station_officer, kind="criminal", title="备份测试案").execute()
    AddPerson(
        case=case,
        by=city.station_officer,
        data={"role": "suspect", "name": "李四", "id_number": "11010519491231002X", "phone": "13900001111"},
    ).execute()
    UploadDocument(
        case=case,
        upload=SimpleUploadedFile("笔录.pdf", PDF),
        title="讯问笔录",
        kind="document",
        by=city.station_officer,
    ).execute()
    # The rollups as a finished scan leaves them: `stats verify` on the source finds nothing.
    rollups.rebuild()
    assert rollups.verify() == []


# --- a backup restored elsewhere --------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_backup_restored_into_an_empty_database_finds_every_record_and_verifies(
    city, settings, tmp_path, empty_target
):
    build_records(city, settings, tmp_path)
    source = process_env(DATABASE_URL=database_url(), ANMIN_PRIVATE_DIR=str(tmp_path / "private"))
    before = read_back()
    file = tmp_path / "offsite" / "anmin.anminbak"

    made = anmin("backup", "--output", str(file), env=source)
    assert made.returncode == 0, made.stderr
    assert file.stat().st_mode & 0o777 == 0o600
    raw = file.read_bytes()
    assert "李四".encode() not in raw and b"13812345670" not in raw and PDF[:200] not in raw  # encrypted
    manifest, _bytes, _offset = backup.read_manifest(file)
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["key"] == {"source": "DATA_KEY", "id": keys.data_keys()[0][0]}
    assert manifest["audit"]["key_id"] == keys.key_id(keys.audit_key())
    # The data keys the encrypted columns were written with, so a restore can say which it lacks.
    assert manifest["data_key_ids"] == ([keys.data_keys()[0][0]] if backup.encrypted_columns() else [])
    assert manifest["audit"]["count"] == before["tables"]["core_auditentry"] > 0
    assert manifest["migrations"]["cases"] and manifest["migrations"]["core"]
    assert manifest["tables"] == before["tables"]
    assert {part["name"]: part.get("files") for part in manifest["payload"]["parts"]} == {"database": None, "media": 1}

    target = process_env(**empty_target)
    restored = anmin("restore", str(file), env=target)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "audit trail intact" in restored.stdout
    assert "统计汇总与原始记录一致" in restored.stdout
    assert "restore complete" in restored.stdout

    after = read_back(target)
    # Every table holds what it held, plus the restore's own entry in the audit trail.
    expected = dict(before["tables"], core_auditentry=before["tables"]["core_auditentry"] + 1)
    assert after["tables"] == expected
    assert after["incidents"] == before["incidents"]
    assert [phone for _n, phone, _a in after["incidents"]] == ["13812345670", "13812345671"]
    assert after["people"] == [["李四", "11010519491231002X", "13900001111"]]
    assert after["documents"] == [["讯问笔录", PDF.hex()]]
    assert after["actions"][: len(before["actions"])] == before["actions"]
    assert after["actions"][-1] == "backup.restore"

    # Restoring again over what is now a database in use takes --yes (refused without it: below).
    replaced = anmin("restore", str(file), "--yes", env=target)
    assert replaced.returncode == 0, replaced.stdout + replaced.stderr
    assert "restore complete" in replaced.stdout


# --- the file refuses to be misread -----------------------------------------------------------


def sample_backup(tmp_path, monkeypatch, *, chunk_bytes=64, **manifest_changes) -> Path:
    """A small backup written without a database: a made-up database part and a tar of one file."""
    import io
    import tarfile

    monkeypatch.setattr(backup, "CHUNK_BYTES", chunk_bytes)
    work = tmp_path / "parts"
    work.mkdir(exist_ok=True)
    database = work / "db"
    database.write_bytes(bytes(range(256)) * 3)
    media = work / "media"
    with tarfile.open(media, "w") as archive:
        info = tarfile.TarInfo("docs/a.pdf")
        info.size = len(PDF)
        archive.addfile(info, io.BytesIO(PDF))
    manifest = {
        "format": backup.FORMAT,
        "created_at": "2026-01-01T00:00:00+00:00",
        "database": {"vendor": connection.vendor},
        "migrations": {},
        "tables": {},
        "audit": {"count": 0, "last_hash": None, "key_id": keys.key_id(keys.audit_key())},
        "data_key_ids": [],
    } | manifest_changes
    out = tmp_path / "sample.anminbak"
    out.unlink(missing_ok=True)
    backup.seal(
        out,
        manifest,
        [backup.Part("database", "sqlite", database), backup.Part("media", "tar", media)],
        keys.backup_keys()[0],
    )
    return out


def check(path: Path):
    return call_command("restore", str(path), "--check")


def test_an_intact_backup_checks_out(tmp_path, monkeypatch, capsys):
    path = sample_backup(tmp_path, monkeypatch)
    check(path)
    assert "every chunk and checksum verifies" in capsys.readouterr().out
    manifest, _bytes, _offset = backup.read_manifest(path)
    assert manifest["encryption"]["chunks"] > 10  # so that the tests below move real chunks about


def chunk_offsets(path: Path) -> list[tuple[int, int]]:
    """(start, length) of each sealed chunk in the file, headers included."""
    _manifest, _bytes, offset = backup.read_manifest(path)
    data = path.read_bytes()
    found = []
    while offset < len(data):
        length = int.from_bytes(data[offset : offset + 4], "big")
        size = 4 + backup.NONCE_BYTES + length
        found.append((offset, size))
        offset += size
    return found


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("flip_payload", "chunk 3 of"),
        ("flip_manifest", "does not verify"),
        ("swap_chunks", "chunk 2 of"),
        ("drop_last_chunk", "truncated"),
        ("cut_mid_chunk", "truncated"),
        ("append", "data follows the last chunk"),
        ("not_a_backup", "not an Anmin backup"),
        ("newer_format", "format this version of Anmin does not read"),
        ("garbled_manifest", "manifest is damaged"),
    ],
)
def test_a_damaged_or_altered_backup_is_refused_in_one_line(tmp_path, monkeypatch, damage, message):
    path = sample_backup(tmp_path, monkeypatch)
    data = bytearray(path.read_bytes())
    chunks = chunk_offsets(path)
    magic = len(backup.MAGIC)
    if damage == "flip_payload":
        start, size = chunks[2]
        data[start + size - 20] ^= 0x01
    elif damage == "flip_manifest":
        where = data.index(b'"created_at": "2026') + len('"created_at": "')
        data[where : where + 4] = b"2025"  # still valid JSON, but not what was sealed
    elif damage == "swap_chunks":
        (a, size_a), (b, size_b) = chunks[1], chunks[2]
        assert size_a == size_b
        data[a : a + size_a], data[b : b + size_b] = data[b : b + size_b], data[a : a + size_a]
    elif damage == "drop_last_chunk":
        del data[chunks[-1][0] :]
    elif damage == "cut_mid_chunk":
        del data[chunks[4][0] + 30 :]
    elif damage == "append":
        data += data[chunks[-1][0] :]
    elif damage == "not_a_backup":
        data = bytearray(b"SQLite format 3\x00" + bytes(100))
    elif damage == "newer_format":
        data[magic - 1] = 2
    elif damage == "garbled_manifest":
        data[magic + 4] = ord("[")
    path.write_bytes(bytes(data))
    with pytest.raises(CommandError) as refused:
        check(path)
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        check(tmp_path / "nowhere.anminbak")


def test_another_data_key_cannot_open_a_backup_and_says_which_key_it_needs(tmp_path, monkeypatch, settings):
    path = sample_backup(tmp_path, monkeypatch)
    wanted = keys.data_keys()[0][0]
    settings.DATA_KEY = OTHER_KEY
    with pytest.raises(CommandError, match=f"wrong key: this backup is encrypted with DATA_KEY {wanted}"):
        check(path)
    # After a rotation the old key, still listed second, opens the backups it wrote.
    settings.DATA_KEY = f"{OTHER_KEY},{os.environ['DATA_KEY']}"
    check(path)


def test_backup_key_takes_precedence_over_the_data_key(tmp_path, monkeypatch, settings):
    settings.BACKUP_KEY = OTHER_KEY
    path = sample_backup(tmp_path, monkeypatch)
    manifest, _bytes, _offset = backup.read_manifest(path)
    assert manifest["key"] == {"source": "BACKUP_KEY", "id": keys.key_id(base64.b64decode(OTHER_KEY))}
    check(path)
    settings.BACKUP_KEY = None
    with pytest.raises(CommandError, match="wrong key"):
        check(path)


@pytest.mark.django_db
def test_a_backup_from_newer_code_is_refused_before_anything_is_touched(tmp_path, monkeypatch, city):
    path = sample_backup(tmp_path, monkeypatch, migrations={"core": "9999_from_the_future"})
    with pytest.raises(CommandError, match=r"newer Anmin \(migration core.9999_from_the_future is unknown here\)"):
        call_command("restore", str(path), "--yes")


@pytest.mark.django_db
def test_a_backup_keyed_with_another_audit_key_is_refused(tmp_path, monkeypatch, city):
    path = sample_backup(tmp_path, monkeypatch, audit={"count": 0, "last_hash": None, "key_id": "0badc0de"})
    with pytest.raises(CommandError, match="audit key 0badc0de"):
        call_command("restore", str(path), "--yes")


@pytest.mark.django_db
def test_a_backup_needing_a_data_key_this_machine_lacks_is_refused(tmp_path, monkeypatch, city):
    path = sample_backup(tmp_path, monkeypatch, data_key_ids=["0ldda7a0"])
    with pytest.raises(CommandError, match="data key 0ldda7a0, which DATA_KEY here does not hold"):
        call_command("restore", str(path), "--yes")


@pytest.mark.django_db
def test_restore_refuses_a_database_in_use_without_yes(tmp_path, monkeypatch, city):
    path = sample_backup(tmp_path, monkeypatch)
    with pytest.raises(CommandError, match=r"the target is not empty \(accounts: \d+[^)]*\).*--yes"):
        call_command("restore", str(path))


def test_the_command_help_tells_to_keep_keys_apart_and_three_copies():
    from anmin.core.management.commands import backup as backup_command
    from anmin.core.management.commands import restore as restore_command

    for command in (backup_command.Command, restore_command.Command):
        assert "3-2-1" in command.help
    assert "back them up separately" in backup_command.Command.help

"""Configuration is read from the environment and refuses to serve without a SECRET_KEY."""

import pytest
from django.core.management import CommandError, call_command


def test_serve_refuses_to_start_without_a_secret_key(settings):
    settings.DEBUG = False
    settings.SECRET_KEY_FROM_ENV = False
    with pytest.raises(CommandError, match="SECRET_KEY is required"):
        call_command("serve", "--port", "8999")


def test_serve_rejects_a_bad_port(settings):
    with pytest.raises(CommandError, match="--port"):
        call_command("serve", "--port", "70000")


def test_several_workers_need_redis(settings):
    settings.REDIS_URL = None
    with pytest.raises(CommandError, match="REDIS_URL"):
        call_command("serve", "--workers", "2")


@pytest.mark.parametrize("threads", ["0", "257"])
def test_serve_rejects_a_thread_count_out_of_range(threads):
    with pytest.raises(CommandError, match="--threads must be between 1 and 256"):
        call_command("serve", "--threads", threads)


@pytest.mark.parametrize(
    ("name", "value"),
    [("DEBUG", "maybe"), ("GRID_RESOLUTION", "x"), ("TILE_COORDS", "bd09"), ("SERVE_THREADS", "0")],
)
def test_a_bad_environment_variable_is_a_one_line_error(name, value):
    import os
    import subprocess
    import sys

    env = dict(os.environ, **{name: value})
    done = subprocess.run(
        [sys.executable, "-m", "anmin.cli", "check"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert name in done.stderr
    assert "Traceback" not in done.stderr


def _run(args: list[str], *, cwd, env_changes: dict[str, str | None], timeout=120):
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = dict(os.environ)
    for name, value in env_changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_var_dir_does_not_depend_on_the_working_directory(tmp_path):
    """`anmin migrate` run from / once wrote /var/anmin.sqlite3: the default is the checkout's var/."""
    from pathlib import Path

    code = "import django; django.setup(); from django.conf import settings; print(settings.VAR_DIR)"
    done = _run(["-c", code], cwd="/", env_changes={"ANMIN_VAR_DIR": None, "DJANGO_SETTINGS_MODULE": "anmin.settings"})
    assert done.returncode == 0, done.stderr
    checkout = Path(__file__).resolve().parent.parent
    assert done.stdout.strip() == str(checkout / "var")


def test_var_dir_is_created_by_the_first_database_use_not_at_import(tmp_path):
    var = tmp_path / "nested" / "var"
    checked = _run(["-m", "anmin.cli", "check"], cwd=tmp_path, env_changes={"ANMIN_VAR_DIR": str(var)})
    assert checked.returncode == 0, checked.stderr
    assert not var.exists() and not (tmp_path / "var").exists()
    migrated = _run(["-m", "anmin.cli", "migrate", "-v", "0"], cwd="/", env_changes={"ANMIN_VAR_DIR": str(var)})
    assert migrated.returncode == 0, migrated.stderr
    assert (var / "anmin.sqlite3").is_file()


def test_sqlite_commits_survive_a_power_loss(db):
    """synchronous=FULL: with NORMAL, WAL mode may drop the last commits when power fails."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2  # FULL
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"


def test_request_limits_come_from_the_environment(tmp_path):
    env = {"MAX_REQUEST_MB": "0", "ANMIN_VAR_DIR": str(tmp_path)}
    done = _run(["-m", "anmin.cli", "check"], cwd="/", env_changes=env)
    assert done.returncode == 2 and "MAX_REQUEST_MB" in done.stderr

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

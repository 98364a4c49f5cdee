"""群众账号: sign-in by SMS code (rate limits, expiry, one use, attempts — also under concurrency),
the SMS backends, phone and ID numbers encrypted at rest. Real-name verification: test_realname.py."""

import importlib
import logging
import re
import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client
from django.utils import timezone

from anmin.citizens import sms
from anmin.citizens.actions import MAX_ATTEMPTS, RequestCode, SignIn, VerifyRealName
from anmin.citizens.models import Citizen, SmsCode
from anmin.core.crypto import blind_index, is_encrypted
from anmin.core.errors import ActionError
from anmin.core.models import AuditEntry
from tests.conftest import portal_client
from tests.test_concurrency import in_thread, run_together


def prime_audit_head():
    """The trail's head row exists before the threads race (the first entry ever creates it)."""
    from anmin.core.audit import security_event

    security_event("test.prime")


pytestmark = pytest.mark.django_db

PHONE = "13800001111"


def code_sent_to(phone: str) -> str:
    return re.search(r"\d{6}", sms.last_message(phone))[0]


@pytest.fixture(autouse=True)
def commits(django_capture_on_commit_callbacks):
    """`with commits():` runs what waits for the commit (the SMS) as a real commit would: the
    test's own transaction never commits."""
    sms.OUTBOX.clear()
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_a_citizen_signs_in_with_the_code_sent_by_sms(commits):
    with commits():
        RequestCode(phone="138 0000 1111", ip="10.0.0.1").execute()
    citizen = SignIn(phone=PHONE, code=code_sent_to(PHONE)).execute()
    assert citizen.phone == PHONE and not citizen.is_verified
    assert SmsCode.objects.by_phone(PHONE).get().used_at is not None
    assert SmsCode.objects.by_phone(PHONE).get().code_hash != code_sent_to(PHONE)  # stored hashed
    assert AuditEntry.objects.filter(action="citizen.sign_in", actor__isnull=True).count() == 1


def test_a_code_is_used_once(commits):
    with commits():
        RequestCode(phone=PHONE, ip=None).execute()
    code = code_sent_to(PHONE)
    SignIn(phone=PHONE, code=code).execute()
    with pytest.raises(ActionError) as caught:
        SignIn(phone=PHONE, code=code).execute()
    assert (caught.value.field, caught.value.code) == ("code", "expired")


def test_an_expired_code_is_refused(commits):
    sent = timezone.now() - timedelta(minutes=6)
    with commits():
        RequestCode(phone=PHONE, ip=None, now=sent).execute()
    with pytest.raises(ActionError) as caught:
        SignIn(phone=PHONE, code=code_sent_to(PHONE)).execute()
    assert caught.value.code == "expired"
    assert not Citizen.objects.exists()


def test_wrong_codes_are_counted_and_stop_guessing(commits):
    with commits():
        RequestCode(phone=PHONE, ip=None).execute()
    good = code_sent_to(PHONE)
    wrong = f"{(int(good) + 1) % 10**6:06d}"
    for _ in range(MAX_ATTEMPTS):
        with pytest.raises(ActionError) as caught:
            SignIn(phone=PHONE, code=wrong).execute()
        assert caught.value.code == "wrong"
    assert SmsCode.objects.by_phone(PHONE).get().attempts == MAX_ATTEMPTS
    with pytest.raises(ActionError) as caught:
        SignIn(phone=PHONE, code=good).execute()  # even the right code, now
    assert caught.value.code == "too_many_attempts"
    assert not Citizen.objects.exists()


@pytest.mark.parametrize(("phone", "code"), [("", "required"), ("12345", "invalid"), ("2381234567x", "invalid")])
def test_a_bad_phone_number_is_named(phone, code):
    with pytest.raises(ActionError) as caught:
        RequestCode(phone=phone, ip=None).execute()
    assert (caught.value.field, caught.value.code) == ("phone", code)
    assert not SmsCode.objects.exists()


def test_codes_are_rate_limited_per_number_and_per_address(settings):
    settings.SMS_PER_PHONE_HOUR = 3
    settings.SMS_PER_IP_HOUR = 4
    now = timezone.now()
    RequestCode(phone=PHONE, ip="10.0.0.9", now=now).execute()
    with pytest.raises(ActionError) as caught:
        RequestCode(phone=PHONE, ip="10.0.0.9", now=now + timedelta(seconds=30)).execute()
    assert caught.value.status == 429
    RequestCode(phone=PHONE, ip="10.0.0.9", now=now + timedelta(minutes=2)).execute()
    RequestCode(phone=PHONE, ip="10.0.0.9", now=now + timedelta(minutes=4)).execute()
    with pytest.raises(ActionError, match="一小时内"):
        RequestCode(phone=PHONE, ip="10.0.0.9", now=now + timedelta(minutes=6)).execute()
    RequestCode(phone="13800002222", ip="10.0.0.9", now=now + timedelta(minutes=7)).execute()
    with pytest.raises(ActionError, match="本网络"):
        RequestCode(phone="13800003333", ip="10.0.0.9", now=now + timedelta(minutes=8)).execute()
    assert SmsCode.objects.count() == 4


def test_real_name_verification_checks_the_id_number(citizen):
    fresh = Citizen.objects.create(phone=PHONE)
    for number, code in (("110105194912310021", "checksum"), ("110105194913310028", "birth_date")):
        with pytest.raises(ActionError) as caught:
            VerifyRealName(citizen=fresh, name="李四", id_number=number).execute()
        assert caught.value.field == "id_number", code
    with pytest.raises(ActionError) as caught:
        VerifyRealName(citizen=fresh, name="李四", id_number=citizen.id_number).execute()
    assert caught.value.code == "refused"  # taken, in the words of a mismatch (tests/test_realname.py)
    with pytest.raises(ActionError) as caught:
        VerifyRealName(citizen=fresh, name="x", id_number="110105194912310038").execute()
    assert caught.value.field == "name"
    fresh.refresh_from_db()
    assert not fresh.is_verified and fresh.name == ""
    done = VerifyRealName(citizen=fresh, name="李四", id_number="110105194912310038").execute()
    assert done.is_verified and done.id_number == "110105194912310038"


def test_the_login_page_signs_in_and_the_me_page_verifies(commits):
    client = Client()
    assert client.get("/portal/").status_code == 200
    with commits():
        response = client.post("/portal/login/code/", {"phone": PHONE})
    assert response.status_code == 200 and "验证码已发送" in response.content.decode()
    response = client.post("/portal/login/", {"phone": PHONE, "code": "000000", "next": "/portal/me/"})
    assert response.status_code == 400 and "验证码" in response.content.decode()
    response = client.post("/portal/login/", {"phone": PHONE, "code": code_sent_to(PHONE), "next": "/portal/me/"})
    assert response.status_code == 302 and response.url == "/portal/me/"
    response = client.post("/portal/me/", {"name": "王五", "id_number": "110105194912310021"})
    assert response.status_code == 400 and "校验码" in response.content.decode()
    response = client.post("/portal/me/", {"name": "王五", "id_number": "110105194912310038"})
    assert response.status_code == 302
    assert "110105********0038" in client.get("/portal/me/").content.decode()


def test_an_open_redirect_is_refused(commits):
    with commits():
        RequestCode(phone=PHONE, ip=None).execute()
    response = Client().post(
        "/portal/login/", {"phone": PHONE, "code": code_sent_to(PHONE), "next": "https://evil.example/"}
    )
    assert response.url == "/portal/"


def test_pages_need_a_signed_in_citizen(citizen):
    assert Client().get("/portal/me/").status_code == 302
    assert portal_client(citizen).get("/portal/me/").status_code == 200


def test_every_home_tile_draws_an_icon_from_our_own_sprite(db):
    """No emoji on the home page: intranet PCs have no emoji font and showed empty boxes."""
    from pathlib import Path

    from anmin.citizens.portal import TILES

    sprite = (Path(__file__).resolve().parent.parent / "anmin/static/anmin/portal-icons.svg").read_text()
    symbols = set(re.findall(r'<symbol id="([^"]+)"', sprite))
    assert len(TILES) >= 10
    assert {tile.icon for tile in TILES} <= symbols
    html = Client().get("/portal/").content.decode()
    used = re.findall(r'<use href="[^"]*/anmin/portal-icons\.svg#([^"]+)"', html)
    assert sorted(used) == sorted(tile.icon for tile in TILES)
    assert not re.search("[\U0001f300-\U0001faff]", html)


def test_the_code_is_sent_only_after_the_commit(commits):
    """The SMS gateway is never called inside the action's transaction (it held the SQLite writer
    lock), but the code still reaches the citizen once the action commits."""
    with commits() as callbacks:
        RequestCode(phone=PHONE, ip=None).execute()
        assert sms.last_message(PHONE) is None  # still inside the transaction
    assert len(callbacks) == 1 and "验证码" in sms.last_message(PHONE)
    citizen = SignIn(phone=PHONE, code=code_sent_to(PHONE)).execute()
    assert citizen.phone == PHONE


def test_a_refused_request_sends_nothing(commits, settings):
    settings.SMS_PER_PHONE_HOUR = 1
    with commits():
        RequestCode(phone=PHONE, ip=None).execute()
    sms.OUTBOX.clear()
    with commits() as callbacks, pytest.raises(ActionError):
        RequestCode(phone=PHONE, ip=None, now=timezone.now() + timedelta(minutes=2)).execute()
    assert callbacks == [] and sms.last_message(PHONE) is None


def test_a_gateway_failure_after_the_commit_is_logged_not_raised(commits, settings, caplog):
    settings.SMS_BACKEND = "tests.test_citizens.BrokenGateway"
    with commits():
        row = RequestCode(phone=PHONE, ip=None).execute()
    assert SmsCode.objects.filter(pk=row.pk).exists()  # the code stays: the citizen may ask again
    assert "could not send an SMS to 138****1111" in caplog.text


class BrokenGateway:
    def send(self, phone: str, text: str) -> None:
        raise ConnectionError("gateway down")


# --- attempts under concurrency -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_twenty_wrong_codes_at_once_are_no_more_than_max_attempts_guesses(monkeypatch):
    """The attempt is reserved (a conditional UPDATE under the row lock) before the code is compared:
    counted after a rollback, every request that got the lock in between compared too."""
    in_thread(lambda: RequestCode(phone=PHONE, ip=None).execute())
    in_thread(prime_audit_head)
    good = code_sent_to(PHONE)
    wrong = f"{(int(good) + 1) % 10**6:06d}"
    compared = []
    lock = threading.Lock()
    real_hash = importlib.import_module("anmin.citizens.actions").hash_code

    def counting_hash(phone, code):
        with lock:
            compared.append(code)
        return real_hash(phone, code)

    monkeypatch.setattr("anmin.citizens.actions.hash_code", counting_hash)
    threads = 20 if connection.vendor == "postgresql" else 10
    outcomes = run_together(*[lambda: SignIn(phone=PHONE, code=wrong).execute()] * threads)

    codes = [o[1].code for o in outcomes if o[0] == "error" and isinstance(o[1], ActionError)]
    assert len(codes) == threads, outcomes  # every one refused cleanly, none a database error
    assert codes.count("wrong") == MAX_ATTEMPTS
    assert codes.count("too_many_attempts") == threads - MAX_ATTEMPTS
    assert len(compared) == MAX_ATTEMPTS
    assert in_thread(lambda: SmsCode.objects.by_phone(PHONE).get().attempts) == MAX_ATTEMPTS
    with pytest.raises(ActionError) as caught:
        in_thread(lambda: SignIn(phone=PHONE, code=good).execute())
    assert caught.value.code == "too_many_attempts"
    assert (
        in_thread(lambda: AuditEntry.objects.filter(action="citizen.sign_in", result="failed").count()) == MAX_ATTEMPTS
    )


def test_a_wrong_code_is_a_failed_sign_in_in_the_audit_trail(commits):
    with commits():
        RequestCode(phone=PHONE, ip=None).execute()
    with pytest.raises(ActionError):
        SignIn(phone=PHONE, code=f"{(int(code_sent_to(PHONE)) + 1) % 10**6:06d}", ip="10.0.0.7").execute()
    entry = AuditEntry.objects.get(action="citizen.sign_in")
    assert entry.result == "failed" and entry.actor_label == "phone 138****1111"
    assert PHONE not in str(entry.data) and PHONE not in entry.actor_label


# --- SMS backends -----------------------------------------------------------------------------------


def test_the_log_backend_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(ImproperlyConfigured, match="SMS_BACKEND"):
        sms.LogBackend()
    settings.DEBUG = True
    sms.LogBackend()


def test_a_code_is_not_sent_through_the_log_backend_in_production(commits, settings, caplog):
    settings.SMS_BACKEND = "anmin.citizens.sms.LogBackend"
    settings.DEBUG = False
    with caplog.at_level(logging.WARNING), commits():
        RequestCode(phone=PHONE, ip=None).execute()
    assert sms.last_message(PHONE) is None
    assert "could not send an SMS to 138****1111" in caplog.text
    assert not re.search(r"\d{6}", caplog.text.replace("138****1111", ""))  # no code in the log


def test_the_memory_backend_keeps_the_message_and_logs_nothing(commits, caplog):
    with caplog.at_level(logging.DEBUG), commits():
        RequestCode(phone=PHONE, ip=None).execute()
    assert "验证码" in sms.last_message(PHONE)
    assert code_sent_to(PHONE) not in caplog.text and PHONE not in caplog.text


def test_the_system_check_stops_a_production_server_with_the_log_backend(settings):
    from django.core import checks

    settings.DEBUG = False
    settings.SMS_BACKEND = "anmin.citizens.sms.LogBackend"
    errors = [e for e in checks.run_checks() if e.id == "anmin.E031"]
    assert len(errors) == 1 and "SMS_BACKEND" in errors[0].msg
    settings.SMS_BACKEND = "anmin.citizens.sms.MemoryBackend"
    assert not [e for e in checks.run_checks() if e.id == "anmin.E031"]
    settings.SMS_BACKEND = "anmin.citizens.sms.LogBackend"
    settings.DEBUG = True
    assert not [e for e in checks.run_checks() if e.id == "anmin.E031"]


def test_anmin_serve_refuses_to_start_in_production_with_the_log_backend(tmp_path):
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "DEBUG": "false",
        "SMS_BACKEND": "anmin.citizens.sms.LogBackend",
        "SECRET_KEY": "anmin-test-only-not-secret",
        "PORT": "1",
    }
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "anmin.cli", "serve", "--port", "9"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "anmin.E031" in done.stderr and "SMS_BACKEND" in done.stderr


# --- encryption at rest -----------------------------------------------------------------------------


def raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_phone_and_id_numbers_are_stored_encrypted_and_found_by_their_index(citizen, commits):
    stored = raw("citizens_citizen", "phone", citizen.pk)
    assert is_encrypted(stored) and citizen.phone not in stored
    assert is_encrypted(raw("citizens_citizen", "id_number", citizen.pk))
    assert citizen.id_number not in raw("citizens_citizen", "id_number", citizen.pk)
    assert raw("citizens_citizen", "phone_index", citizen.pk) == blind_index("phone", citizen.phone)
    assert Citizen.objects.by_phone(citizen.phone).get() == citizen
    assert Citizen.objects.by_id_number(citizen.id_number).get() == citizen
    assert not Citizen.objects.by_phone("").exists()
    with pytest.raises(TypeError, match="encrypted"):
        Citizen.objects.filter(phone=citizen.phone).exists()
    with commits():
        row = RequestCode(phone=PHONE, ip=None).execute()
    assert is_encrypted(raw("citizens_smscode", "phone", row.pk))


def test_one_account_per_phone_number(citizen):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Citizen.objects.create(phone=citizen.phone)


def test_the_migration_encrypts_rows_stored_in_clear(citizen):
    migration = importlib.import_module("anmin.citizens.migrations.0003_encrypt_existing_rows")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE citizens_citizen SET phone = %s, id_number = %s, phone_index = NULL, id_number_index = NULL"
            " WHERE id = %s",
            ["13912345678", "11010519491231002X", citizen.pk],
        )

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    migration.encrypt_rows(None, editor)
    migration.encrypt_rows(None, editor)  # a rerun leaves encrypted values alone
    assert is_encrypted(raw("citizens_citizen", "phone", citizen.pk))
    fresh = Citizen.objects.by_phone("13912345678").get()
    assert (fresh.phone, fresh.id_number) == ("13912345678", "11010519491231002X")
    assert Citizen.objects.by_id_number("11010519491231002X").get() == citizen
    migration.decrypt_rows(None, editor)
    assert raw("citizens_citizen", "phone", citizen.pk) == "13912345678"

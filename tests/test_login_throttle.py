"""Staff sign-in throttling: a delay that doubles, then an image challenge — never a lock-out; atomic
under concurrency; the same answers whether or not the typed account exists; every event audited.

Time is moved on by moving the throttle rows back (`time_passes`), so no test sleeps through a wait.
"""

import importlib
import io
import re
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.test import Client
from PIL import Image

from anmin.core.models import AuditEntry
from anmin.org import throttle
from anmin.org.models import LoginThrottle
from tests.conftest import TEST_PASSWORD
from tests.test_concurrency import in_thread, run_together

LOGIN = "/login/"
CHALLENGE = "/login/challenge.png"
ANSWER = "AC3D7"


@pytest.fixture(autouse=True)
def known_challenge(monkeypatch):
    """The test hook: every challenge image shows ANSWER."""
    monkeypatch.setattr("anmin.org.challenge.new_text", lambda: ANSWER)


@pytest.fixture
def checked(monkeypatch):
    """Every password check made (for an account or, with the dummy hash, for a name that is none)."""
    calls = []
    lock = threading.Lock()
    real = importlib.import_module("anmin.org.auth").check_password

    def counting(officer, password):
        with lock:
            calls.append(officer)
        return real(officer, password)

    monkeypatch.setattr("anmin.org.auth.check_password", counting)
    return calls


def client(address: str = "10.9.0.1") -> Client:
    return Client(REMOTE_ADDR=address)


def post(c: Client, username: str, password: str, challenge: str = ""):
    return c.post(LOGIN, {"username": username, "password": password, "challenge": challenge})


def time_passes(seconds: float) -> None:
    LoginThrottle.objects.update(
        next_allowed_at=F("next_allowed_at") - timedelta(seconds=seconds),
        updated_at=F("updated_at") - timedelta(seconds=seconds),
    )


def signed_in(c: Client) -> bool:
    return "_auth_user_id" in c.session


def answer(response) -> tuple:
    """What a refused attempt tells the person at the keyboard."""
    form = response.context["form"]
    return (
        response.status_code,
        response.get("Retry-After"),
        [str(e) for e in form.non_field_errors()],
        {name: list(errors) for name, errors in form.errors.items()},
        bool(response.context.get("challenge")),
        'name="challenge"' in response.content.decode(),
    )


def page_without_token_and_name(response, name: str) -> str:
    """The page as bytes go, less what differs by design: the CSRF token and the name typed."""
    body = response.content.decode()
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "TOKEN", body)
    body = re.sub(r'<meta name="csrf-token" content="[^"]+"', "TOKEN", body)
    body = re.sub(r'"X-CSRFToken": "[^"]+"', "TOKEN", body)
    return body.replace(f'value="{name}"', 'value="NAME"')


def actions() -> list[str]:
    return list(AuditEntry.objects.order_by("id").values_list("action", flat=True))


# --- the delay -------------------------------------------------------------------------------------


def test_each_failure_beyond_the_free_ones_doubles_the_wait_up_to_the_cap(city, settings, checked):
    settings.LOGIN_CHALLENGE_AFTER = 100
    settings.LOGIN_MAX_DELAY_SECONDS = 10
    c = client()
    for _ in range(settings.LOGIN_FREE_FAILURES):
        assert post(c, "dispatcher", "wrong").status_code == 400  # free: no wait in between
    waits = []
    for _ in range(6):
        assert post(c, "dispatcher", "wrong").status_code == 400
        refused = post(c, "dispatcher", "wrong")
        assert refused.status_code == 429
        assert f"请稍后再试（{refused['Retry-After']} 秒）" in refused.content.decode()
        waits.append(int(refused["Retry-After"]))
        time_passes(60)
    assert waits == [1, 2, 4, 8, 10, 10]
    assert len(checked) == settings.LOGIN_FREE_FAILURES + 6  # the refused ones were never checked


def test_an_attempt_during_the_wait_is_refused_unchecked_and_uncounted(city, settings, checked):
    c = client()
    for _ in range(settings.LOGIN_FREE_FAILURES + 1):
        post(c, "dispatcher", "wrong")
    failures = LoginThrottle.objects.get(kind="account").failures
    before = len(checked)
    for _ in range(10):
        response = post(c, "dispatcher", TEST_PASSWORD)  # even the right password waits its turn
        assert response.status_code == 429
        assert not signed_in(c)
    assert len(checked) == before
    assert LoginThrottle.objects.get(kind="account").failures == failures  # the wait did not grow
    time_passes(1)
    assert post(c, "dispatcher", TEST_PASSWORD).status_code == 302
    assert signed_in(c)


def test_a_quiet_spell_forgets_the_failures(city, settings):
    c = client()
    for _ in range(settings.LOGIN_CHALLENGE_AFTER):
        post(c, "dispatcher", "wrong")
        time_passes(settings.LOGIN_MAX_DELAY_SECONDS)
    time_passes(settings.LOGIN_FORGET_AFTER_MINUTES * 60)
    assert post(c, "dispatcher", "wrong").status_code == 400
    assert not answer(post(c, "dispatcher", "wrong"))[4]  # no challenge: counting started again
    assert throttle.purge_stale() == 0  # the rows are fresh again
    time_passes(settings.LOGIN_FORGET_AFTER_MINUTES * 60 + 1)
    assert throttle.purge_stale() == 2  # account and address
    assert not LoginThrottle.objects.exists()


# --- the challenge ---------------------------------------------------------------------------------


def fail_until_challenged(c: Client, username: str, settings) -> None:
    for _ in range(settings.LOGIN_CHALLENGE_AFTER):
        assert post(c, username, "wrong").status_code == 400
        time_passes(settings.LOGIN_MAX_DELAY_SECONDS)


def test_after_the_challenge_limit_the_right_password_needs_the_challenge_too(city, settings, checked):
    c = client()
    fail_until_challenged(c, "dispatcher", settings)
    before = len(checked)
    response = post(c, "dispatcher", TEST_PASSWORD)
    assert response.status_code == 400
    assert "请输入图片中的验证码" in response.content.decode()
    assert 'src="/login/challenge.png"' in response.content.decode()
    assert not signed_in(c) and len(checked) == before

    assert c.get(CHALLENGE).status_code == 200
    response = post(c, "dispatcher", TEST_PASSWORD, challenge="WRONG")
    assert response.status_code == 400
    assert "验证码：验证码错误" in response.content.decode()
    assert not signed_in(c) and len(checked) == before

    c.get(CHALLENGE)
    response = post(c, "dispatcher", TEST_PASSWORD, challenge=ANSWER.lower())  # any case, as read
    assert response.status_code == 302
    assert signed_in(c)
    row = LoginThrottle.objects.get(kind="account")
    assert (row.failures, row.next_allowed_at, row.challenge_required) == (0, None, False)


def test_a_challenge_answers_once(city, settings, checked):
    c = client()
    fail_until_challenged(c, "dispatcher", settings)
    c.get(CHALLENGE)
    assert post(c, "dispatcher", "wrong", challenge=ANSWER).status_code == 400  # checked, and wrong
    time_passes(settings.LOGIN_MAX_DELAY_SECONDS)
    checks = len(checked)
    response = post(c, "dispatcher", TEST_PASSWORD, challenge=ANSWER)  # the same image again
    assert response.status_code == 400 and not signed_in(c)
    assert len(checked) == checks


def test_an_old_challenge_is_refused(city, settings, monkeypatch):
    c = client()
    fail_until_challenged(c, "dispatcher", settings)
    c.get(CHALLENGE)
    session = c.session
    session["anmin_login_challenge"]["at"] -= 301
    session.save()
    assert post(c, "dispatcher", TEST_PASSWORD, challenge=ANSWER).status_code == 400
    assert not signed_in(c)


def test_the_challenge_image_is_a_fresh_uncached_png_whose_answer_is_not_kept(city):
    c = client()
    response = c.get(CHALLENGE)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "no-store" in response["Cache-Control"]
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (170, 60)
    stored = str(dict(c.session))
    assert ANSWER not in stored and ANSWER.lower() not in stored
    assert c.post(CHALLENGE).status_code == 405


def test_the_challenge_alphabet_has_no_look_alikes():
    from anmin.org import challenge

    assert not set(challenge.ALPHABET) & set("0O1IL2Z5S8B6GQ")
    assert challenge.normalize(" ac 3d7 ") == ANSWER


# --- the same answer for every name ----------------------------------------------------------------


def test_a_real_and_an_unknown_account_get_the_same_answers_all_the_way(city, settings):
    real, unknown = client("10.9.0.1"), client("10.9.0.2")
    seen = []
    for step in range(settings.LOGIN_CHALLENGE_AFTER + 3):
        for c in (real, unknown):
            c.get(CHALLENGE)
        pair = [post(real, "dispatcher", "wrong", ANSWER), post(unknown, "nobody", "wrong", ANSWER)]
        assert answer(pair[0]) == answer(pair[1]), step
        again = [post(real, "dispatcher", "wrong"), post(unknown, "nobody", "wrong")]
        assert answer(again[0]) == answer(again[1]), step
        for known, other in (pair, again):
            assert page_without_token_and_name(known, "dispatcher") == page_without_token_and_name(other, "nobody")
        seen += [pair[0].status_code, again[0].status_code]
        time_passes(settings.LOGIN_MAX_DELAY_SECONDS)
    assert {400, 429} <= set(seen)  # the comparison covered wrong passwords, waits and challenges
    assert LoginThrottle.objects.filter(kind="account").count() == 2
    counts = set(LoginThrottle.objects.filter(kind="account").values_list("failures", flat=True))
    assert len(counts) == 1  # counted the same


def test_the_throttle_keeps_no_typed_name_or_address(city):
    post(client("10.9.8.7"), "mypassword123", "wrong")
    for row in LoginThrottle.objects.values():
        assert "mypassword123" not in str(row) and "10.9.8.7" not in str(row)


# --- per address -----------------------------------------------------------------------------------


def test_a_spray_of_names_from_one_address_is_slowed_and_challenged(city, settings, checked):
    settings.LOGIN_ADDRESS_FREE_FAILURES = 4
    settings.LOGIN_ADDRESS_CHALLENGE_AFTER = 6
    sprayer = client("10.66.0.1")
    for i in range(4):
        assert post(sprayer, f"name{i}", "wrong").status_code == 400
    assert post(sprayer, "name4", "wrong").status_code == 400  # the 5th failure sets a wait
    response = post(sprayer, "name5", "wrong")  # a name never tried, but the address waits
    assert response.status_code == 429 and response["Retry-After"] == "1"
    time_passes(60)
    assert post(sprayer, "name6", "wrong").status_code == 400  # the 6th: the address is challenged
    time_passes(60)
    response = post(sprayer, "name7", "wrong")
    assert response.status_code == 400 and answer(response)[4]
    assert len(checked) == 6
    # Another address is not slowed: the dispatcher signs in from the next desk.
    desk = client("10.66.0.2")
    assert post(desk, "dispatcher", TEST_PASSWORD).status_code == 302


def test_a_success_resets_the_account_and_only_takes_back_its_own_count_from_the_address(city, settings):
    c = client("10.66.0.9")
    post(c, "someone", "wrong")
    post(c, "dispatcher", "wrong")
    assert post(c, "dispatcher", TEST_PASSWORD).status_code == 302
    address = LoginThrottle.objects.get(kind="address")
    assert address.failures == 2  # the two failures, not the success
    assert LoginThrottle.objects.get(key=throttle.Keys.of("dispatcher", None).account).failures == 0
    assert LoginThrottle.objects.get(key=throttle.Keys.of("someone", None).account).failures == 1


def test_an_ipv6_client_is_counted_by_its_64():
    assert throttle.normalize_address("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert throttle.normalize_address("::ffff:10.0.0.1") == "10.0.0.1"
    assert throttle.normalize_address("10.0.0.1") == "10.0.0.1"
    assert throttle.normalize_address("") is None
    assert throttle.Keys.of(" Dispatcher ", "1.2.3.4").account == throttle.Keys.of("dispatcher", "1.2.3.4").account


# --- Django's admin login goes through the throttle too ----------------------------------------------


def test_the_admin_login_is_throttled_too(city, settings, checked):
    city.dispatcher.is_staff = True
    city.dispatcher.save()
    c = client()
    for _ in range(settings.LOGIN_FREE_FAILURES + 1):
        c.post("/admin/login/", {"username": "dispatcher", "password": "wrong"})
    checks = len(checked)
    c.post("/admin/login/", {"username": "dispatcher", "password": TEST_PASSWORD})
    assert len(checked) == checks and not signed_in(c)
    assert AuditEntry.objects.filter(action="auth.throttled").exists()


# --- the audit trail ---------------------------------------------------------------------------------


def test_every_sign_in_event_is_in_the_audit_trail(city, settings):
    c = client("10.7.7.7")
    fail_until_challenged(c, city.dispatcher.badge_number, settings)
    post(c, "dispatcher", "wrong")  # refused: the account wants a challenge (by user name: same person,
    # another typed name, so this one is just another failure)
    post(c, city.dispatcher.badge_number, TEST_PASSWORD)  # no challenge answered
    post(c, city.dispatcher.badge_number, TEST_PASSWORD)  # again: not audited twice
    c.get(CHALLENGE)
    post(c, city.dispatcher.badge_number, TEST_PASSWORD, challenge="WRONG")
    time_passes(60)
    c.get(CHALLENGE)
    post(c, city.dispatcher.badge_number, TEST_PASSWORD, challenge=ANSWER)
    c.post("/logout/")
    assert actions() == [
        *["auth.login_failed"] * settings.LOGIN_CHALLENGE_AFTER,
        "auth.challenge_required",  # the failure that switched the challenge on
        "auth.login_failed",  # the user name, a key of its own
        "auth.challenge_required",  # the first refusal for want of a challenge
        "auth.challenge_failed",
        "auth.login",
        "auth.logout",
    ]
    entries = list(AuditEntry.objects.order_by("id"))
    failed = entries[0]
    assert failed.result == "failed" and failed.actor_label == city.dispatcher.badge_number
    assert failed.object_id == str(city.dispatcher.pk)
    assert failed.address == "10.7.7.7"
    assert entries[settings.LOGIN_CHALLENGE_AFTER].result == "denied"
    assert entries[-3].result == "failed"
    assert entries[-1].actor_id == city.dispatcher.pk


def test_a_name_that_is_no_account_is_audited_as_unknown_and_not_kept(city, settings):
    c = client()
    for _ in range(settings.LOGIN_FREE_FAILURES + 1):
        post(c, "Secret-Pa55word", "wrong")
    post(c, "Secret-Pa55word", "wrong")  # refused: waits
    post(c, "Secret-Pa55word", "wrong")  # refused again: one entry per wait
    entries = list(AuditEntry.objects.order_by("id"))
    assert [e.action for e in entries] == ["auth.login_failed"] * (settings.LOGIN_FREE_FAILURES + 1) + [
        "auth.throttled"
    ]
    assert {e.actor_label for e in entries} == {"unknown"}
    assert entries[-1].result == "denied" and entries[-1].data == {"wait": 1}
    assert all("Secret-Pa55word" not in str(e.data) for e in entries)


# --- under concurrency -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_forty_wrong_passwords_at_once_are_no_more_than_the_limit_and_do_not_lock_the_officer_out(
    city, settings, checked
):
    threads = 40 if connection.vendor == "postgresql" else 20
    badge = city.dispatcher.badge_number

    def wrong_login():
        return client().post(LOGIN, {"username": badge, "password": "wrong"}).status_code

    # Someone signed in earlier, as in any database in use: the trail's head row exists. (The very
    # first entries of an empty trail, written at once, race to create that row on PostgreSQL.)
    assert in_thread(lambda: post(client("10.9.9.9"), "station", TEST_PASSWORD).status_code) == 302
    checked.clear()
    outcomes = run_together(*[wrong_login] * threads)

    statuses = [value for kind, value in outcomes]
    assert all(kind == "ok" for kind, _value in outcomes), outcomes  # no database error, no 500
    assert set(statuses) <= {400, 429}
    # The free failures and the one that set the first wait; one more if the burst outlasted that wait.
    assert settings.LOGIN_FREE_FAILURES + 1 <= len(checked) <= settings.LOGIN_CHALLENGE_AFTER
    assert statuses.count(400) == len(checked)
    assert in_thread(lambda: AuditEntry.objects.filter(action="auth.login_failed").count()) == len(checked)
    assert in_thread(lambda: AuditEntry.objects.filter(action="auth.throttled").count()) >= 1

    # The dispatcher, with the right password (and the challenge if one is asked), signs in.
    def real_login():
        in_thread(lambda: time_passes(settings.LOGIN_MAX_DELAY_SECONDS))
        desk = client()
        desk.get(CHALLENGE)
        response = desk.post(LOGIN, {"username": badge, "password": TEST_PASSWORD, "challenge": ANSWER})
        return response.status_code, signed_in(desk)

    assert in_thread(real_login) == (302, True)

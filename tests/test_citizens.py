"""群众账号: sign-in by SMS code (rate limits, expiry, one use, attempts), real-name verification."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from anmin.citizens import sms
from anmin.citizens.actions import MAX_ATTEMPTS, RequestCode, SignIn, VerifyRealName
from anmin.citizens.models import Citizen, SmsCode
from anmin.core.errors import ActionError
from anmin.core.models import AuditEntry
from tests.conftest import portal_client

pytestmark = pytest.mark.django_db

PHONE = "13800001111"


def code_sent_to(phone: str) -> str:
    return re.search(r"\d{6}", sms.last_message(phone))[0]


@pytest.fixture(autouse=True)
def commits(django_capture_on_commit_callbacks):
    """`with commits():` runs what waits for the commit (the SMS) as a real commit would: the
    test's own transaction never commits."""
    sms.LogBackend.outbox.clear()
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_a_citizen_signs_in_with_the_code_sent_by_sms(commits):
    with commits():
        RequestCode(phone="138 0000 1111", ip="10.0.0.1").execute()
    citizen = SignIn(phone=PHONE, code=code_sent_to(PHONE)).execute()
    assert citizen.phone == PHONE and not citizen.is_verified
    assert SmsCode.objects.get(phone=PHONE).used_at is not None
    assert SmsCode.objects.get(phone=PHONE).code_hash != code_sent_to(PHONE)  # stored hashed
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
    assert SmsCode.objects.get(phone=PHONE).attempts == MAX_ATTEMPTS
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
    assert caught.value.code == "taken"
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
    sms.LogBackend.outbox.clear()
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

"""Two-factor sign-in with an authenticator app (TOTP): enrolment with a QR code and ten recovery
codes, the code step of a sign-in (no code twice, a recovery code once, five wrong codes and back to
the password), enforcement per role, and the security administrator's reset."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from anmin.accounts import flow, totp
from anmin.accounts.actions import EnrolTotp
from anmin.accounts.models import Credential, RecoveryCode
from anmin.core.models import AuditEntry
from anmin.org.models import Role
from tests.factories import OfficerFactory
from tests.test_accounts import entries, sign_in, signed_in

pytestmark = pytest.mark.django_db


def now_code(secret: str, offset: int = 0) -> str:
    return totp.code_at(secret, totp.current_step() + offset)


def enrolled(officer) -> tuple[str, list[str]]:
    """Enrol `officer` with a fresh secret, one step back so that the current code is still fresh."""
    secret = totp.new_secret()
    codes = EnrolTotp(by=officer, secret=secret, code=now_code(secret, -1)).execute()
    return secret, codes


# --- enrolment --------------------------------------------------------------------------------


def test_an_officer_enrols_with_a_qr_code_and_gets_ten_recovery_codes_once(city):
    officer = city.station_officer
    client = sign_in(officer)
    page = client.get("/account/two-factor/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in text and 'id="totp-qr"' in text
    secret = client.session["anmin_enrol_secret"]
    assert " ".join(secret[i : i + 4] for i in range(0, 32, 4)) in text
    assert "otpauth://" not in text  # the URI is in the QR code only
    uri = totp.provisioning_uri(secret, officer.audit_label)
    assert uri.startswith("otpauth://totp/") and "issuer=%E5%AE%89%E6%B0%91" in uri

    wrong = client.post("/account/two-factor/", {"code": "000000" if now_code(secret) != "000000" else "111111"})
    assert wrong.status_code == 400 and 'data-field="code"' in wrong.content.decode()
    assert not Credential.objects.filter(officer=officer, totp_confirmed_at__isnull=False).exists()

    done = client.post("/account/two-factor/", {"code": now_code(secret)})
    assert done.status_code == 200
    shown = done.content.decode()
    credential = Credential.objects.get(officer=officer)
    assert credential.has_totp and credential.totp_secret == secret
    codes = list(credential.recovery_codes.values_list("code_hash", flat=True))
    assert len(codes) == 10
    for code_hash in codes:
        assert code_hash not in shown  # only hashes are kept, the codes are on the page
    assert shown.count("<li>") >= 10
    entry = entries("account.totp_enrolled").get()
    assert entry.actor_id == officer.pk and secret not in str(entry.data)
    # Never shown again: the page now says it is on.
    again = client.get("/account/two-factor/").content.decode()
    assert "已启用" in again and "<svg" not in again


def test_the_secret_is_encrypted_at_rest(city):
    from django.db import connection

    secret, _codes = enrolled(city.station_officer)
    with connection.cursor() as cursor:
        cursor.execute("SELECT totp_secret FROM accounts_credential")
        (stored,) = cursor.fetchone()
    assert secret not in stored and stored.startswith("v1:")


# --- the code step ----------------------------------------------------------------------------


def test_an_enrolled_officer_signs_in_with_password_and_code(city):
    officer = city.station_officer
    secret, _codes = enrolled(officer)
    client = sign_in(officer, next_url="/library/")
    assert client.last_response["Location"] == "/login/verify/"
    assert signed_in(client) is None
    assert client.get("/cases/").status_code == 302  # not signed in yet
    assert not entries("auth.login").exists()
    page = client.get("/login/verify/")
    assert page.status_code == 200
    response = client.post("/login/verify/", {"code": now_code(secret)})
    assert response.status_code == 302 and response["Location"] == "/library/"
    assert signed_in(client) == officer.pk
    entry = entries("auth.login").get()
    assert entry.data == {"factors": ["password", "totp"]}
    assert entry.address == "127.0.0.1"


def test_a_code_is_accepted_once(city):
    officer = city.station_officer
    secret, _codes = enrolled(officer)
    code = now_code(secret)
    first = sign_in(officer)
    assert first.post("/login/verify/", {"code": code}).status_code == 302
    second = sign_in(officer)
    response = second.post("/login/verify/", {"code": code})
    assert response.status_code == 400
    assert "已使用过" in response.content.decode()
    assert signed_in(second) is None
    failed = entries("auth.totp_failed").get()
    assert failed.result == "failed" and failed.data["reason"] == "reused"


def test_a_code_of_the_previous_step_is_accepted_and_an_older_one_is_not(city):
    officer = city.station_officer
    secret = totp.new_secret()
    EnrolTotp(by=officer, secret=secret, code=now_code(secret, -1)).execute()
    Credential.objects.filter(officer=officer).update(last_totp_step=totp.current_step() - 5)
    stale = sign_in(officer)
    assert stale.post("/login/verify/", {"code": now_code(secret, -3)}).status_code == 400
    assert stale.post("/login/verify/", {"code": now_code(secret, -1)}).status_code == 302


def test_a_recovery_code_signs_in_once(city):
    officer = city.station_officer
    _secret, codes = enrolled(officer)
    client = sign_in(officer)
    response = client.post("/login/verify/", {"code": codes[3].upper().replace("-", " ")})
    assert response.status_code == 302 and signed_in(client) == officer.pk
    assert entries("auth.login").get().data == {"factors": ["password", "recovery_code"]}
    used = entries("auth.recovery_code_used").get()
    assert used.actor_id == officer.pk and used.data == {"recovery_codes_left": 9}
    again = sign_in(officer)
    assert again.post("/login/verify/", {"code": codes[3]}).status_code == 400
    assert signed_in(again) is None
    assert RecoveryCode.objects.filter(used_at__isnull=False).count() == 1


def test_five_wrong_codes_send_the_officer_back_to_the_password(city):
    officer = city.station_officer
    secret, codes = enrolled(officer)
    client = sign_in(officer)
    wrong = "999999" if now_code(secret) != "999999" else "888888"
    for attempt in range(1, 5):
        response = client.post("/login/verify/", {"code": wrong})
        assert response.status_code == 400, attempt
        assert f"还可尝试 {5 - attempt} 次" in response.content.decode()
    response = client.post("/login/verify/", {"code": "not-a-code"})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert flow.PENDING not in client.session
    # The right code no longer helps: the password must be typed again.
    response = client.post("/login/verify/", {"code": now_code(secret)})
    assert response["Location"] == "/login/" and signed_in(client) is None
    assert entries("auth.totp_failed").count() == 5
    assert not entries("auth.login").exists()
    assert "错误次数过多" in client.get("/login/").content.decode()


def test_the_code_step_expires_after_five_minutes(city):
    officer = city.station_officer
    secret, _codes = enrolled(officer)
    client = sign_in(officer)
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + timedelta(minutes=6)):
        response = client.post("/login/verify/", {"code": now_code(secret)})
    assert response["Location"] == "/login/" and signed_in(client) is None


def test_the_code_step_without_a_password_sends_to_the_login(city):
    client = sign_in(city.station_officer)  # signed in: nothing to verify
    assert client.get("/login/verify/")["Location"] == "/"
    from django.test import Client

    assert Client().post("/login/verify/", {"code": "123456"})["Location"] == "/login/"


def test_a_bad_code_value_is_a_clear_400(city):
    officer = city.station_officer
    enrolled(officer)
    client = sign_in(officer)
    for value in ("", "x" * 41, "\x00"):
        response = client.post("/login/verify/", {"code": value})
        assert response.status_code in (302, 400), value
        if response.status_code == 400:
            assert 'data-field="code"' in response.content.decode()


# --- enforcement per role ---------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.ADMIN, Role.LEGAL, Role.SECURITY_ADMIN, Role.AUDITOR])
def test_the_roles_that_require_a_second_factor_must_enrol_before_anything_else(city, role):
    officer = OfficerFactory(organization=city.bureau, role=role)
    client = sign_in(officer, next_url="/library/")
    assert client.last_response["Location"] == "/account/two-factor/"
    for url in ("/", "/cases/", "/account/", "/account/password/"):
        assert client.get(url)["Location"] == "/account/two-factor/", url
    htmx = client.get("/notices/badge/", headers={"HX-Request": "true"})
    assert htmx["HX-Redirect"] == "/account/two-factor/"
    # The enrolment page's own header polls too: sending it to the page it is on would loop.
    on_step = {"HX-Request": "true", "HX-Current-URL": "http://testserver/account/two-factor/"}
    polled = client.get("/notices/badge/", headers=on_step)
    assert polled.status_code == 204 and "HX-Redirect" not in polled
    client.get("/account/two-factor/")
    secret = client.session["anmin_enrol_secret"]
    page = client.post("/account/two-factor/", {"code": now_code(secret)})
    assert page.status_code == 200 and 'href="/library/"' in page.content.decode()
    assert client.get("/cases/").status_code == 200


def test_other_roles_need_no_second_factor_and_the_roles_are_a_setting(city, settings):
    assert sign_in(city.station_officer).last_response["Location"] == "/cases/"
    settings.TWO_FACTOR_ROLES = ["station"]
    assert sign_in(city.station_officer).last_response["Location"] == "/account/two-factor/"


def test_a_first_password_change_comes_before_the_enrolment(city):
    officer = OfficerFactory(organization=city.bureau, role=Role.LEGAL)
    Credential.objects.create(officer=officer, password_changed_at=timezone.now(), must_change=True)
    client = sign_in(officer)
    assert client.last_response["Location"] == "/account/password/"
    good = "Anmin#2026good"
    from tests.conftest import TEST_PASSWORD

    response = client.post(
        "/account/password/", {"old_password": TEST_PASSWORD, "new_password1": good, "new_password2": good}
    )
    assert response["Location"] == "/account/two-factor/"


# --- the security administrator's reset -------------------------------------------------------


def test_the_security_administrator_resets_a_second_factor(city):
    officer = city.station_officer
    enrolled(officer)
    secadmin = OfficerFactory(organization=city.bureau, role=Role.SECURITY_ADMIN)
    Credential.objects.create(officer=secadmin)  # own second factor not needed for this test
    from django.test import Client

    client = Client()
    client.force_login(secadmin)
    page = client.get("/account/two-factor/reset/")
    assert page.status_code == 200 and officer.badge_number in page.content.decode()
    response = client.post("/account/two-factor/reset/", {"officer": officer.badge_number, "reason": "手机丢失"})
    assert response.status_code == 302
    credential = Credential.objects.get(officer=officer)
    assert not credential.has_totp and not credential.recovery_codes.exists()
    entry = entries("account.totp_reset").get()
    assert entry.actor_id == secadmin.pk and entry.object_id == str(officer.pk)
    assert entry.data == {"reason": "手机丢失"}
    # Signing in again asks for the password only.
    assert sign_in(officer).last_response["Location"] == "/cases/"


def test_a_reset_of_an_unknown_or_not_enrolled_officer_names_the_field(city):
    secadmin = OfficerFactory(organization=city.bureau, role=Role.SECURITY_ADMIN)
    from django.test import Client

    client = Client()
    client.force_login(secadmin)
    before = AuditEntry.objects.count()
    for name in ("nobody", city.station_officer.badge_number, ""):
        response = client.post("/account/two-factor/reset/", {"officer": name})
        assert response.status_code == 400 and 'data-field="officer"' in response.content.decode(), name
    assert AuditEntry.objects.count() == before


@pytest.mark.parametrize("role", [Role.ADMIN, Role.AUDITOR, Role.LEADER, Role.STATION])
def test_only_the_security_administrator_may_reset(city, role):
    officer = city.station_officer
    enrolled(officer)
    other = OfficerFactory(organization=city.bureau, role=role, is_superuser=role == Role.ADMIN)
    from django.test import Client

    client = Client()
    client.force_login(other)
    assert client.get("/account/two-factor/reset/").status_code == 403
    assert client.post("/account/two-factor/reset/", {"officer": officer.badge_number}).status_code == 403
    assert Credential.objects.get(officer=officer).has_totp


# --- through the login page -------------------------------------------------------------------


def test_the_login_page_hands_an_enrolled_officer_to_the_code_step(city):
    from django.test import Client

    from tests.conftest import TEST_PASSWORD

    officer = city.station_officer
    secret, _codes = enrolled(officer)
    client = Client()
    response = client.post("/login/", {"username": officer.badge_number, "password": TEST_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/login/verify/"
    assert signed_in(client) is None
    response = client.post("/login/verify/", {"code": now_code(secret)})
    assert response.status_code == 302 and signed_in(client) == officer.pk
    assert client.get("/cases/").status_code == 200


def test_the_login_page_sends_a_new_account_to_change_its_password(city):
    from django.test import Client

    from tests.conftest import TEST_PASSWORD

    officer = city.station_officer
    Credential.objects.create(officer=officer, password_changed_at=timezone.now(), must_change=True)
    client = Client()
    response = client.post("/login/", {"username": officer.username, "password": TEST_PASSWORD})
    assert response["Location"] == "/account/password/"
    assert client.get("/cases/")["Location"] == "/account/password/"

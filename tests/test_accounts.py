"""身份鉴别: the password policy, the officer's own password change, the change forced at first
sign-in and after PASSWORD_MAX_AGE_DAYS, and staff session timeouts (idle and absolute)."""

from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory
from django.utils import timezone

from anmin.accounts import flow
from anmin.accounts.models import Credential, PasswordRecord
from anmin.core.models import AuditEntry
from anmin.org.models import Officer, Role
from tests.conftest import TEST_PASSWORD
from tests.factories import OfficerFactory

pytestmark = pytest.mark.django_db

GOOD = "Anmin#2026good"


def sign_in(officer, *, next_url="/cases/", client=None):
    """A client whose session went through `finish_login`, as the login view ends a sign-in."""
    client = client or Client()
    request = RequestFactory().post("/login/", REMOTE_ADDR="10.0.0.8")
    request.session = client.session
    request.user = AnonymousUser()
    response = flow.finish_login(request, officer, redirect_to=next_url)
    request.session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = request.session.session_key
    client.last_response = response
    return client


def signed_in(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None


def refusal(password, user=None) -> str:
    with pytest.raises(ValidationError) as info:
        password_validation.validate_password(password, user)
    return " ".join(info.value.messages)


def entries(action: str):
    return AuditEntry.objects.filter(action=action).order_by("id")


# --- the policy -------------------------------------------------------------------------------


def test_it_refuses_a_password_shorter_than_eight(city):
    assert "至少 8 位" in refusal("Ab#12cd", city.station_officer)


def test_it_refuses_a_password_of_fewer_than_three_classes(city):
    assert "至少 3 类" in refusal("abcdefgh1234", city.station_officer)
    assert "至少 3 类" in refusal("ABCDEFGH####", city.station_officer)
    password_validation.validate_password("abcdefgh12#$", city.station_officer)  # lower, digit, symbol
    password_validation.validate_password("Abcdefgh1234", city.station_officer)  # lower, upper, digit


def test_it_refuses_the_account_name_and_the_badge_number(city):
    officer = city.station_officer
    assert "账号名或警号" in refusal(f"X#{officer.badge_number}a", officer)
    assert "账号名或警号" in refusal(f"{officer.username.upper()}#1a", officer)
    other = Officer(username="zhangwei", badge_number="123456")
    assert "账号名或警号" in refusal("Zhangwei#2026", other)


def test_the_rules_follow_the_settings(city, settings):
    settings.PASSWORD_MIN_LENGTH = 12
    settings.PASSWORD_MIN_CLASSES = 4
    assert "至少 12 位" in refusal("Ab#12cdEF9", city.station_officer)
    assert "至少 4 类" in refusal("Abcdefgh12345", city.station_officer)
    password_validation.validate_password("Abcdefgh123#", city.station_officer)


def set_own(officer, password):
    from anmin.accounts.actions import ChangeOwnPassword

    password_validation.validate_password(password, officer)
    ChangeOwnPassword(by=officer, new_password=password).execute()


def test_none_of_the_last_five_passwords_comes_back_but_the_sixth_last_may(city):
    officer = city.station_officer
    passwords = [f"Anmin#{n}history" for n in range(1, 7)]
    for password in passwords:
        set_own(officer, password)
    assert PasswordRecord.objects.filter(officer=officer).count() == 5  # older hashes are not kept
    for password in passwords[1:]:
        assert "最近 5 次" in refusal(password, officer), password
    password_validation.validate_password(passwords[0], officer)  # the sixth-last
    set_own(officer, passwords[0])


def test_the_password_in_use_before_records_were_kept_counts_too(city):
    assert "最近 5 次" in refusal(TEST_PASSWORD, city.station_officer)


def test_the_admin_forms_apply_the_policy_record_the_password_and_force_a_change(city):
    admin = OfficerFactory(username="secadmin", role=Role.SECURITY_ADMIN, is_staff=True)
    client = Client()
    client.force_login(admin)
    officer = city.station_officer
    url = f"/admin/org/officer/{officer.pk}/password/"
    response = client.post(url, {"password1": "1", "password2": "1"})
    assert response.status_code == 200
    assert "至少 8 位" in response.content.decode()
    officer.refresh_from_db()
    assert officer.check_password(TEST_PASSWORD)
    response = client.post(url, {"password1": GOOD, "password2": GOOD})
    assert response.status_code == 302
    officer.refresh_from_db()
    assert officer.check_password(GOOD)
    credential = Credential.objects.get(officer=officer)
    assert credential.must_change
    assert credential.password_changed_at is not None
    assert PasswordRecord.objects.filter(officer=officer).count() == 1


def test_a_new_account_from_the_admin_must_change_its_password(city):
    admin = OfficerFactory(username="secadmin", role=Role.SECURITY_ADMIN, is_staff=True)
    client = Client()
    client.force_login(admin)
    data = {
        "username": "newcomer",
        "badge_number": "654321",
        "full_name": "新民警",
        "organization": city.station_a1.pk,
        "role": Role.STATION,
        "password1": "654321Ab",
        "password2": "654321Ab",
        "usable_password": "true",
    }
    response = client.post("/admin/org/officer/add/", data)
    assert response.status_code == 200
    assert "账号名或警号" in response.content.decode()
    data["password1"] = data["password2"] = GOOD
    response = client.post("/admin/org/officer/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Credential.objects.get(officer__username="newcomer").must_change


def test_officers_made_by_factories_owe_nothing(city):
    client = sign_in(city.station_officer)
    assert client.last_response["Location"] == "/cases/"
    assert client.get("/cases/").status_code == 200
    # The password's age starts at this first sign-in.
    credential = Credential.objects.get(officer=city.station_officer)
    assert not credential.must_change
    assert timezone.now() - credential.password_changed_at < timedelta(minutes=1)


# --- the officer's own change -----------------------------------------------------------------


def test_an_officer_changes_his_own_password(city):
    officer = city.station_officer
    client = sign_in(officer)
    other_device = Client()
    other_device.force_login(officer)
    assert other_device.get("/cases/").status_code == 200
    page = client.get("/account/password/")
    assert page.status_code == 200
    assert "至少 8 位" in page.content.decode()
    response = client.post(
        "/account/password/", {"old_password": TEST_PASSWORD, "new_password1": GOOD, "new_password2": GOOD}
    )
    assert response.status_code == 302
    officer.refresh_from_db()
    assert officer.check_password(GOOD)
    assert signed_in(client) == officer.pk
    assert client.get("/cases/").status_code == 200
    # The other session was opened with the old password: it is over.
    assert other_device.get("/cases/").status_code == 302
    entry = entries("account.password_changed").get()
    assert entry.actor_id == officer.pk
    assert TEST_PASSWORD not in str(entry.data) and GOOD not in str(entry.data)
    assert not Credential.objects.get(officer=officer).must_change


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"old_password": "wrong", "new_password1": GOOD, "new_password2": GOOD}, "old_password", "原密码不正确"),
        ({"old_password": TEST_PASSWORD, "new_password1": GOOD, "new_password2": "Ab#1"}, "new_password2", "不一致"),
        ({"old_password": TEST_PASSWORD, "new_password1": "abc", "new_password2": "abc"}, "new_password2", "至少 8 位"),
        ({"old_password": TEST_PASSWORD, "new_password1": "x" * 200, "new_password2": "x"}, "new_password1", ""),
    ],
)
def test_it_refuses_a_bad_change_naming_the_field_and_writes_nothing(city, data, field, message):
    officer = city.station_officer
    client = sign_in(officer)
    before = AuditEntry.objects.count()
    response = client.post("/account/password/", data)
    assert response.status_code == 400
    text = response.content.decode()
    assert f'data-field="{field}"' in text
    assert message in text
    officer.refresh_from_db()
    assert officer.check_password(TEST_PASSWORD)
    assert AuditEntry.objects.count() == before


# --- forced changes ---------------------------------------------------------------------------


def owe_first_change(officer):
    Credential.objects.create(officer=officer, password_changed_at=timezone.now(), must_change=True)


def test_a_password_set_by_an_administrator_is_changed_at_first_sign_in_before_anything_else(city):
    officer = city.station_officer
    owe_first_change(officer)
    client = sign_in(officer, next_url="/library/")
    assert client.last_response["Location"] == "/account/password/"
    for url in ("/", "/cases/", "/board/", "/account/", "/account/two-factor/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/account/password/", url
    posted = client.post("/cases/new/", {"kind": "criminal", "title": "x"})
    assert posted["Location"] == "/account/password/"
    htmx = client.get("/notices/badge/", headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and htmx["HX-Redirect"] == "/account/password/"
    api = client.get("/api/v1/cases")
    assert api.status_code == 403 and api.json()["detail"][0]["code"] == "owed"
    page = client.get("/account/password/")
    assert page.status_code == 200 and 'id="owed"' in page.content.decode()
    response = client.post(
        "/account/password/", {"old_password": TEST_PASSWORD, "new_password1": GOOD, "new_password2": GOOD}
    )
    assert response["Location"] == "/library/"  # where the sign-in was going
    assert client.get("/cases/").status_code == 200
    assert not Credential.objects.get(officer=officer).must_change


def test_signing_out_is_allowed_while_a_change_is_owed(city):
    owe_first_change(city.station_officer)
    client = sign_in(city.station_officer)
    assert client.post("/logout/").status_code == 302
    assert signed_in(client) is None


def test_a_password_older_than_ninety_days_must_be_changed(city):
    officer = city.station_officer
    Credential.objects.create(officer=officer, password_changed_at=timezone.now() - timedelta(days=91))
    client = sign_in(officer)
    assert client.last_response["Location"] == "/account/password/"
    assert client.get("/cases/")["Location"] == "/account/password/"
    assert "已到期" in client.get("/account/password/").content.decode()
    entry = entries("auth.password_expired").get()
    assert entry.actor_id == officer.pk and entry.result == "denied"


def test_a_password_of_eighty_nine_days_is_still_good_and_the_age_is_a_setting(city, settings):
    officer = city.station_officer
    Credential.objects.create(officer=officer, password_changed_at=timezone.now() - timedelta(days=89))
    assert sign_in(officer).get("/cases/").status_code == 200
    settings.PASSWORD_MAX_AGE_DAYS = 30
    assert sign_in(officer).last_response["Location"] == "/account/password/"
    settings.PASSWORD_MAX_AGE_DAYS = 0
    assert sign_in(officer).last_response["Location"] == "/cases/"


# --- session timeouts -------------------------------------------------------------------------


def later(minutes: float):
    return mock.patch("django.utils.timezone.now", return_value=timezone.now() + timedelta(minutes=minutes))


def test_an_idle_session_ends_after_thirty_minutes(city):
    officer = city.station_officer
    client = sign_in(officer)
    with later(29):
        assert client.get("/cases/").status_code == 200
    with later(29 + 31):
        response = client.get("/cases/?q=1")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    assert signed_in(client) is None
    entry = entries("auth.session_expired").get()
    assert entry.actor_id == officer.pk and entry.data == {"reason": "idle"}
    page = client.get(response["Location"])
    assert "长时间未操作，已自动退出" in page.content.decode()


def test_activity_keeps_a_session_and_the_idle_time_is_a_setting(city, settings):
    client = sign_in(city.station_officer)
    for minutes in (20, 40, 60, 80):
        with later(minutes):
            assert client.get("/cases/").status_code == 200, minutes
    settings.SESSION_IDLE_MINUTES = 5
    with later(86):
        assert client.get("/cases/").status_code == 302


def test_polling_does_not_keep_a_session_alive_and_htmx_is_sent_to_the_login(city):
    client = sign_in(city.station_officer)
    for minutes in (10, 20, 29):
        with later(minutes):
            assert client.get("/notices/badge/", headers={"HX-Request": "true"}).status_code == 200
    with later(31):
        response = client.get("/notices/badge/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/login/"
    assert signed_in(client) is None


def test_a_session_ends_twelve_hours_after_sign_in_however_active(city):
    officer = city.station_officer
    client = sign_in(officer)
    session = client.session
    session[flow.STARTED] -= 12 * 3600 + 60
    session.save()
    response = client.get("/cases/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert signed_in(client) is None
    assert entries("auth.session_expired").get().data == {"reason": "lifetime"}
    assert settings.SESSION_COOKIE_AGE == 12 * 3600


def test_an_expired_session_on_the_api_answers_401(city):
    client = sign_in(city.station_officer)
    assert client.get("/api/v1/cases").status_code == 200
    with later(31):
        assert client.get("/api/v1/cases").status_code == 401


def test_api_tokens_are_not_touched_by_session_rules(city):
    owe_first_change(city.station_officer)
    api = city.api(city.station_officer)
    with later(24 * 60):
        assert api.get("/api/v1/cases").status_code == 200
    assert not entries("auth.session_expired").exists()


def test_a_forced_login_session_starts_its_clock_at_the_first_request(city):
    client = Client()
    client.force_login(city.station_officer)
    assert client.get("/cases/").status_code == 200
    assert flow.STARTED in client.session


def test_the_citizens_portal_is_not_a_staff_session(citizen):
    from tests.conftest import portal_client

    client = portal_client(citizen)
    with later(6 * 60):
        assert client.get("/portal/me/").status_code == 200

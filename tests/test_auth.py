"""Staff login (警号 or username; its throttle is tests/test_login_throttle.py), the production password
hasher, and the `token` and `audit` management commands."""

import importlib
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from anmin.core.models import AuditEntry
from anmin.incidents.actions import ReceiveCall
from anmin.org.models import ApiToken, Officer
from tests.conftest import TEST_PASSWORD

LOGIN = "/login/"


def login(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def logged_in_as(client: Client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None


# --- login ----------------------------------------------------------------------------------


def test_it_logs_in_with_a_badge_number(city):
    client = Client()
    response = login(client, city.dispatcher.badge_number, TEST_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert logged_in_as(client) == city.dispatcher.pk


def test_it_logs_in_with_a_username(city):
    client = Client()
    response = login(client, "dispatcher", TEST_PASSWORD)
    assert response.status_code == 302
    assert logged_in_as(client) == city.dispatcher.pk


def test_it_ignores_spaces_around_the_badge_number(city):
    client = Client()
    assert login(client, f" {city.dispatcher.badge_number} ", TEST_PASSWORD).status_code == 302
    assert logged_in_as(client) == city.dispatcher.pk


def test_it_sends_each_role_to_its_screen(city):
    client = Client()
    login(client, "dispatcher", TEST_PASSWORD)
    assert client.get("/")["Location"] == "/board/"
    client = Client()
    login(client, "patrol", TEST_PASSWORD)
    assert client.get("/")["Location"] == "/m/"


def test_it_shows_the_login_page(city):
    response = Client().get(LOGIN)
    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="username"' in content
    assert 'lang="zh-CN"' in content


@pytest.mark.parametrize(
    ("username", "password"),
    [("dispatcher", "wrong-password"), ("nobody", TEST_PASSWORD), ("", TEST_PASSWORD), ("dispatcher", "")],
)
def test_it_refuses_a_wrong_login(city, username, password):
    client = Client()
    response = login(client, username, password)
    assert response.status_code == 400
    assert logged_in_as(client) is None


def test_it_refuses_an_inactive_officer(city):
    Officer.objects.filter(pk=city.dispatcher.pk).update(is_active=False)
    client = Client()
    login(client, "dispatcher", TEST_PASSWORD)
    assert logged_in_as(client) is None


def test_it_logs_out_only_by_post(city):
    client = city.login(city.dispatcher)
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302
    assert logged_in_as(client) is None


def test_it_refuses_an_inactive_officer_with_the_message_of_a_wrong_password(city):
    Officer.objects.filter(pk=city.dispatcher.pk).update(is_active=False)
    inactive = login(Client(REMOTE_ADDR="10.0.0.1"), "dispatcher", TEST_PASSWORD)
    wrong = login(Client(REMOTE_ADDR="10.0.0.2"), "station", "wrong")
    assert inactive.status_code == wrong.status_code == 400
    assert "警号/用户名或密码错误" in inactive.content.decode()
    assert inactive.context["form"].errors == wrong.context["form"].errors


def test_it_names_the_empty_field(city):
    response = login(Client(), "dispatcher", "")
    assert response.status_code == 400
    assert "密码：" in response.content.decode()
    assert not AuditEntry.objects.exists()  # no password was checked, nothing to record


def test_it_sends_a_signed_in_officer_on_and_follows_only_local_next_addresses(city):
    client = Client()
    assert (
        client.post(LOGIN, {"username": "dispatcher", "password": TEST_PASSWORD, "next": "/cases/"})["Location"]
        == "/cases/"
    )
    assert client.get(LOGIN)["Location"] == "/"  # redirect_authenticated_user
    client = Client()
    response = client.post(
        LOGIN, {"username": "dispatcher", "password": TEST_PASSWORD, "next": "https://evil.example/x"}
    )
    assert response["Location"] == "/"


def test_the_sign_in_and_sign_out_are_in_the_audit_trail(city):
    client = Client(REMOTE_ADDR="10.1.2.3")
    login(client, city.dispatcher.badge_number, TEST_PASSWORD)
    client.post("/logout/")
    entries = list(AuditEntry.objects.order_by("id"))
    assert [e.action for e in entries] == ["auth.login", "auth.logout"]
    assert all(e.actor_id == city.dispatcher.pk and e.address == "10.1.2.3" for e in entries)


def test_an_anonymous_sign_out_writes_nothing(city):
    assert Client().post("/logout/").status_code == 302
    assert not AuditEntry.objects.exists()


# --- the password hasher --------------------------------------------------------------------


def test_it_hashes_passwords_with_argon2_in_production():
    real = importlib.import_module("anmin.settings")
    assert real.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_argon2_is_installed_and_usable(settings):
    settings.PASSWORD_HASHERS = importlib.import_module("anmin.settings").PASSWORD_HASHERS
    from django.contrib.auth.hashers import check_password, make_password

    encoded = make_password("秘密-password")
    assert encoded.startswith("argon2$")
    assert check_password("秘密-password", encoded)
    assert not check_password("other", encoded)


# --- anmin token create ---------------------------------------------------------------------


def test_it_creates_a_working_api_token(city):
    out = io.StringIO()
    call_command("token", "create", "dispatcher", stdout=out)
    raw = out.getvalue().strip()
    assert raw.startswith("anm_")
    assert len(raw) > 30
    token = ApiToken.objects.get(officer=city.dispatcher)
    assert token.key_hash == ApiToken.hash_key(raw)
    assert token.prefix == raw[:8]
    assert token.name == "cli"
    response = Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/incidents")
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_it_creates_a_token_by_badge_number_with_a_name(city):
    out = io.StringIO()
    call_command("token", "create", city.station_officer.badge_number, "--name", "对接系统", stdout=out)
    token = ApiToken.objects.get(officer=city.station_officer)
    assert token.name == "对接系统"
    assert ApiToken.authenticate(out.getvalue().strip()) == city.station_officer


def test_it_never_stores_the_raw_token(city):
    out = io.StringIO()
    call_command("token", "create", "dispatcher", stdout=out)
    raw = out.getvalue().strip()
    row = ApiToken.objects.filter(officer=city.dispatcher).values().get()
    assert raw not in [str(v) for v in row.values()]


def test_it_refuses_a_token_for_an_unknown_officer(city):
    with pytest.raises(CommandError, match="nobody"):
        call_command("token", "create", "nobody", stdout=io.StringIO())
    assert not ApiToken.objects.exists()


def test_it_refuses_a_token_for_an_inactive_officer(city):
    Officer.objects.filter(pk=city.dispatcher.pk).update(is_active=False)
    with pytest.raises(CommandError):
        call_command("token", "create", "dispatcher", stdout=io.StringIO())


# --- anmin audit verify ---------------------------------------------------------------------


def _some_history(city, call_data):
    # Three calls from one number: new incidents each, not the repeat-call question.
    ReceiveCall(by=city.dispatcher, data=call_data, force_new=True).execute()
    ReceiveCall(by=city.dispatcher, data={**call_data, "category": "0110"}, force_new=True).execute()
    ReceiveCall(by=city.dispatcher, data={**call_data, "category": "0201"}, force_new=True).execute()
    return list(AuditEntry.objects.order_by("id"))


def test_it_verifies_an_intact_audit_trail(city, call_data):
    entries = _some_history(city, call_data)
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert "intact" in out.getvalue()
    assert str(len(entries)) in out.getvalue()


def test_it_fails_verification_of_an_edited_trail(city, call_data):
    entries = _some_history(city, call_data)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET action='x' WHERE id=%s", [entries[1].pk])
    with pytest.raises(CommandError, match=f"#{entries[1].pk}"):
        call_command("audit", "verify", stdout=io.StringIO())


def test_it_fails_verification_of_a_trail_with_a_deleted_entry(city, call_data):
    entries = _some_history(city, call_data)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id=%s", [entries[0].pk])
    with pytest.raises(CommandError, match=f"#{entries[1].pk}"):
        call_command("audit", "verify", stdout=io.StringIO())

"""Security events in the audit trail: account and token changes by the security administrator,
tokens issued and revoked from the command line, and the production server refusing demo accounts."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from anmin.core.duties import startup_problems
from anmin.core.models import AuditEntry, verify_chain
from anmin.demo.data import DEMO_PASSWORD
from anmin.org.models import ApiToken, Officer, Role
from tests.factories import OfficerFactory

pytestmark = pytest.mark.django_db


def newest(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).order_by("-id").first()


@pytest.fixture
def secadmin(city, client):
    officer = OfficerFactory(username="sec", organization=city.bureau, role=Role.SECURITY_ADMIN, is_staff=True)
    client.force_login(officer)
    client.officer = officer
    return client


def officer_form(officer: Officer, **changes) -> dict:
    data = {
        "username": officer.username,
        "badge_number": officer.badge_number or "",
        "full_name": officer.full_name,
        "rank": officer.rank,
        "phone": officer.phone,
        "organization": officer.organization_id or "",
        "role": officer.role,
        "is_active": "on" if officer.is_active else "",
        "is_staff": "on" if officer.is_staff else "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_a_role_change_in_the_admin_is_audited(secadmin, city):
    url = f"/admin/org/officer/{city.patrol_officer.pk}/change/"
    response = secadmin.post(url, officer_form(city.patrol_officer, role=Role.LEADER))
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = newest("account.role_changed")
    assert entry.actor_id == secadmin.officer.pk
    assert entry.object_id == str(city.patrol_officer.pk) and entry.object_type == "org.officer"
    assert entry.data == {"from": Role.PATROL, "to": Role.LEADER}
    assert entry.address == "127.0.0.1"
    assert verify_chain()[1] is None


def test_disabling_an_account_is_audited(secadmin, city):
    url = f"/admin/org/officer/{city.outsider.pk}/change/"
    assert secadmin.post(url, officer_form(city.outsider, is_active="")).status_code == 302
    assert newest("account.disabled").object_id == str(city.outsider.pk)
    response = secadmin.post(
        "/admin/org/officer/", {"action": "deactivate", "_selected_action": [city.patrol_officer.pk]}
    )
    assert response.status_code == 302
    assert not Officer.objects.get(pk=city.patrol_officer.pk).is_active
    assert newest("account.disabled").object_id == str(city.patrol_officer.pk)


def test_a_password_set_by_the_administrator_is_audited_without_the_password(secadmin, city):
    url = f"/admin/org/officer/{city.station_officer.pk}/password/"
    password = "Zq8!vBn3#tLw"
    response = secadmin.post(url, {"password1": password, "password2": password, "usable_password": "true"})
    assert response.status_code == 302, response.content.decode()[:3000]
    entry = newest("account.password_set")
    assert entry.object_id == str(city.station_officer.pk) and entry.actor_id == secadmin.officer.pk
    assert password not in str(entry.data)


def test_creating_an_account_is_audited(secadmin, city):
    password = "Zq8!vBn3#tLw"
    response = secadmin.post(
        "/admin/org/officer/add/",
        {
            "username": "newcomer",
            "badge_number": "654321",
            "full_name": "新民警",
            "organization": city.station_a1.pk,
            "role": Role.STATION,
            "password1": password,
            "password2": password,
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    created = Officer.objects.get(username="newcomer")
    entry = newest("account.created")
    assert entry.object_id == str(created.pk) and entry.data["role"] == Role.STATION


def test_revoking_a_token_in_the_admin_is_audited(secadmin, city):
    token, _raw = ApiToken.issue(city.dispatcher, name="对接")
    response = secadmin.post("/admin/org/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    assert response.status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked
    entry = newest("token.revoked")
    assert entry.object_id == str(token.pk) and entry.data["prefix"] == token.prefix


def test_the_token_command_audits_issue_and_revocation(city):
    out = io.StringIO()
    call_command("token", "create", "dispatcher", "--name", "对接系统", stdout=out)
    raw = out.getvalue().strip()
    token = ApiToken.objects.get(prefix=raw[:8])
    issued = newest("token.issued")
    assert issued.object_id == str(token.pk) and issued.actor_label.startswith("command@")
    assert raw not in str(issued.data) and issued.data["officer"] == city.dispatcher.audit_label
    call_command("token", "revoke", raw[:8], stdout=io.StringIO())
    assert ApiToken.objects.get(pk=token.pk).revoked
    assert newest("token.revoked").object_id == str(token.pk)
    with pytest.raises(CommandError, match="no active token"):
        call_command("token", "revoke", raw[:8], stdout=io.StringIO())
    assert verify_chain()[1] is None


def test_production_refuses_to_start_while_a_demo_account_opens_with_the_demo_password(city, settings):
    settings.DEBUG = False
    assert startup_problems() == []
    demo = OfficerFactory(username="auditor", organization=city.bureau, role=Role.AUDITOR)
    demo.set_password(DEMO_PASSWORD)
    demo.save()
    problems = startup_problems()
    assert len(problems) == 1 and "auditor" in problems[0] and "new passwords" in problems[0]
    with pytest.raises(CommandError, match="demo accounts"):
        call_command("serve", "--port", "8999")
    settings.DEBUG = True  # the demo itself runs with DEBUG
    assert startup_problems() == []
    settings.DEBUG = False
    demo.set_password("Zq8!vBn3#tLw-changed")
    demo.save()
    assert startup_problems() == []


def test_production_refuses_to_start_with_a_superuser_or_without_keys(city, settings, tmp_path):
    settings.DEBUG = False
    OfficerFactory(username="root", organization=city.bureau, role=Role.ADMIN, is_superuser=True)
    assert any("superuser" in p for p in startup_problems())
    Officer.objects.filter(username="root").update(is_superuser=False)
    settings.AUDIT_KEY = settings.AUDIT_KEY_FILE = ""
    settings.VAR_DIR = tmp_path
    problems = startup_problems()
    assert len(problems) == 1 and problems[0].startswith("AUDIT_KEY not set")


def test_a_statistics_export_is_audited_with_what_was_exported(city):
    client = city.login(city.leader)
    response = client.get("/stats/export.xlsx?period=2026-03")
    assert response.status_code == 200, response.content[:500]
    entry = newest("export")
    assert entry.actor_id == city.leader.pk and entry.data["format"] == "xlsx"
    assert "2026年3月" in entry.data["report"] and "rows" in entry.data

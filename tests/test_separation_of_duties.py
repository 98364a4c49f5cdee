"""三权分立: the system, security and audit administrators each do their own work and none of the
others'. The system administrator keeps units and reference data but cannot touch accounts or read
the trail; the security administrator keeps accounts and tokens but cannot read the trail; the
auditor reads and exports the trail and changes nothing."""

import pytest
from django.test import Client

from anmin.core.models import AuditEntry
from anmin.org.models import Role
from tests.factories import OfficerFactory

pytestmark = pytest.mark.django_db

SYSTEM_PAGES = ["/admin/org/organization/", "/admin/geo/gridcell/", "/admin/incidents/category/"]
ACCOUNT_PAGES = ["/admin/org/officer/add/", "/admin/org/apitoken/"]
AUDIT_PAGES = ["/audit/", "/audit/export.csv", "/audit/export.xlsx"]
ADMIN_AUDIT_PAGES = ["/admin/core/auditentry/"]


@pytest.fixture
def admins(city):
    def make(role, username):
        officer = OfficerFactory(username=username, organization=None, role=role, is_staff=True)
        client = Client()
        client.force_login(officer)
        client.officer = officer
        return client

    return {
        "system": make(Role.ADMIN, "sysadmin"),
        "security": make(Role.SECURITY_ADMIN, "secadmin"),
        "auditor": make(Role.AUDITOR, "auditor"),
    }


def status(client, url) -> int:
    return client.get(url).status_code


def test_each_administrator_reaches_only_his_own_pages(admins):
    expected = {
        # who: (system pages, account pages, the audit viewer, the trail in the admin)
        "system": (200, 403, 403, 403),
        "security": (403, 200, 403, 403),
        "auditor": (403, 403, 200, 200),
    }
    problems = []
    for who, client in admins.items():
        for pages, want in zip(
            (SYSTEM_PAGES, ACCOUNT_PAGES, AUDIT_PAGES, ADMIN_AUDIT_PAGES), expected[who], strict=True
        ):
            for url in pages:
                got = status(client, url)
                if got != want:
                    problems.append(f"{who} GET {url}: {got}, expected {want}")
    assert not problems, "\n".join(problems)


def test_the_system_administrator_cannot_create_accounts_change_roles_or_passwords(admins, city):
    client = admins["system"]
    officer = city.patrol_officer
    # He may see the officers (to put them into crews), not change them.
    assert status(client, "/admin/org/officer/") == 200
    page = client.get(f"/admin/org/officer/{officer.pk}/change/").content.decode()
    assert 'name="role"' not in page
    before = AuditEntry.objects.count()
    response = client.post(
        f"/admin/org/officer/{officer.pk}/change/", {"username": officer.username, "role": Role.ADMIN}
    )
    assert response.status_code == 403
    response = client.post(
        f"/admin/org/officer/{officer.pk}/password/", {"password1": "Zq8!vBn3#", "password2": "Zq8!vBn3#"}
    )
    assert response.status_code == 403
    assert client.post("/admin/org/officer/add/", {"username": "x"}).status_code == 403
    officer.refresh_from_db()
    assert officer.role == Role.PATROL and officer.check_password("pw-for-tests-1")
    assert AuditEntry.objects.count() == before


def test_the_security_administrator_changes_accounts_but_not_units_or_the_trail(admins, city):
    client = admins["security"]
    assert client.post(f"/admin/org/organization/{city.station_a1.pk}/change/", {"name": "改名"}).status_code == 403
    assert status(client, f"/admin/org/officer/{city.patrol_officer.pk}/change/") == 200
    assert status(client, "/audit/") == 403


def test_the_auditor_changes_nothing(admins, city):
    client = admins["auditor"]
    officer = city.patrol_officer
    assert client.post(f"/admin/org/officer/{officer.pk}/change/", {"role": Role.ADMIN}).status_code == 403
    assert client.post("/admin/org/apitoken/", {"action": "revoke"}).status_code == 403
    entry = AuditEntry.objects.order_by("-id").first()
    if entry is not None:
        assert client.post(f"/admin/core/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post("/audit/").status_code == 405  # the viewer only reads


def test_officers_of_other_roles_are_refused_the_trail(city):
    for officer in (city.dispatcher, city.leader, city.station_officer, city.outsider):
        client = Client()
        client.force_login(officer)
        assert status(client, "/audit/") == 403, officer.role
        assert status(client, "/audit/export.csv") == 403, officer.role


def test_a_superuser_without_the_role_gets_neither_accounts_nor_the_trail(city):
    root = OfficerFactory(username="root", organization=city.bureau, role=Role.ADMIN, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)
    for url in ACCOUNT_PAGES + AUDIT_PAGES + ADMIN_AUDIT_PAGES:
        assert status(client, url) == 403, url


def test_group_permissions_cannot_hand_over_another_administrators_work(admins):
    from django.contrib.auth.models import Permission

    officer = admins["system"].officer
    officer.user_permissions.add(Permission.objects.get(codename="change_officer"))
    officer = type(officer).objects.get(pk=officer.pk)
    assert not officer.has_perm("org.change_officer")
    assert officer.has_perm("org.change_organization")


def test_each_administrator_lands_on_his_own_work_and_the_police_menus_are_not_his(admins):
    assert admins["auditor"].get("/").url == "/audit/"
    assert admins["security"].get("/").url == "/admin/"
    for who in ("auditor", "security"):
        page = admins[who].get("/account/").content.decode()
        for label in ("案件", "涉案财物", "典型案例"):
            assert f">{label}</a>" not in page, (who, label)
    page = admins["system"].get("/account/").content.decode()
    assert ">案件</a>" in page

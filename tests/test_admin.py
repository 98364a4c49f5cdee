"""Administrators configure the unit tree, officers, categories, grid and targets in the admin, in Chinese."""

import pytest

from anmin.dispatch.models import Unit
from anmin.geo.models import ArrivalTarget, GridCell
from anmin.org.models import Role
from tests.factories import OfficerFactory

PAGES = [
    "/admin/org/organization/",
    "/admin/org/organization/add/",
    "/admin/org/officer/",
    "/admin/incidents/category/",
    "/admin/incidents/incident/",
    "/admin/geo/gridcell/",
    "/admin/geo/arrivaltarget/",
    "/admin/geo/post/",
    "/admin/geo/patrolline/",
    "/admin/geo/place/",
    "/admin/dispatch/unit/",
]
#: Accounts and tokens are the security administrator's; the trail is read by the auditor (三权分立).
SECURITY_PAGES = ["/admin/org/officer/", "/admin/org/officer/add/", "/admin/org/apitoken/"]
AUDIT_PAGES = ["/admin/core/auditentry/"]


@pytest.fixture
def admin_client(city, client):
    # No superuser: the system administrator's admin permissions come from his role.
    admin = OfficerFactory(username="root", organization=city.bureau, role=Role.ADMIN, is_staff=True)
    client.force_login(admin)
    return client


@pytest.mark.parametrize("url", PAGES)
def test_it_renders_every_admin_page_in_chinese(admin_client, url):
    response = admin_client.get(url)
    assert response.status_code == 200
    assert "安民 系统管理" in response.content.decode()


@pytest.mark.parametrize(
    ("role", "url"),
    [(Role.SECURITY_ADMIN, url) for url in SECURITY_PAGES] + [(Role.AUDITOR, url) for url in AUDIT_PAGES],
)
def test_it_renders_the_security_and_audit_pages_for_their_administrators(city, client, role, url):
    client.force_login(OfficerFactory(username=f"adm-{role}", organization=city.bureau, role=role, is_staff=True))
    response = client.get(url)
    assert response.status_code == 200
    assert "安民 系统管理" in response.content.decode()


def test_it_edits_a_cells_area_and_the_arrival_targets(admin_client, city):
    cell = GridCell.objects.filter(jurisdiction=city.station_a1).first()
    response = admin_client.get(f"/admin/geo/gridcell/{cell.pk}/change/")
    assert "城区" in response.content.decode()
    target = ArrivalTarget.objects.get(area_type="urban")
    response = admin_client.post(f"/admin/geo/arrivaltarget/{target.pk}/change/", {"area_type": "urban", "minutes": 6})
    assert response.status_code == 302
    assert ArrivalTarget.minutes_for("urban") == 6  # the per-process cache is cleared on save


def test_it_keeps_incidents_read_only_in_the_admin(admin_client, city, call_data):
    from anmin.incidents.actions import ReceiveCall

    incident, _ = ReceiveCall(by=city.dispatcher, data=call_data).execute()
    assert admin_client.get(f"/admin/incidents/incident/{incident.pk}/change/").status_code == 200
    response = admin_client.post(f"/admin/incidents/incident/{incident.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert admin_client.get("/admin/dispatch/unit/").status_code == 200
    assert Unit.objects.count() == 5


def test_it_refuses_the_admin_to_non_staff(city, client):
    client.force_login(city.dispatcher)
    assert client.get("/admin/geo/gridcell/").status_code == 302

"""The property screens: a case's register (register, step, print) and the 回头看 page."""

import pytest

from anmin.cases.actions import OpenCase
from anmin.org.models import Role
from anmin.property.models import SeizedItem
from tests.factories import OfficerFactory


@pytest.fixture
def case(city):
    return OpenCase(by=city.station_officer, kind="criminal", title="盗窃案").execute()


def register(client, case, **extra):
    data = {
        "kind": "phone",
        "description": "黑色手机一部",
        "quantity": "1",
        "unit": "部",
        "estimated_value": "800",
    } | extra
    return client.post(f"/cases/{case.pk}/property/register/", data)


def test_an_officer_registers_hands_over_and_stores_an_item(city, case):
    client = city.login(city.station_officer)
    kinds = [v for v, _l in SeizedItem._meta.get_field("kind").choices]
    assert register(client, case, kind=kinds[0]).status_code == 302
    item = SeizedItem.objects.get()
    page = client.get(f"/cases/{case.pk}/property/").content.decode()
    assert item.label_code in page
    assert f'id="step-{item.pk}-hand_over"' in page
    response = client.post(
        f"/cases/{case.pk}/property/custody/", {"item": item.pk, "action": "hand_over", "counterpart": "保管员张某"}
    )
    assert response.status_code == 302
    response = client.post(
        f"/cases/{case.pk}/property/custody/", {"item": item.pk, "action": "store", "location": "A-03"}
    )
    item.refresh_from_db()
    assert (item.status, item.location) == ("stored", "A-03")
    # skipping ahead is refused with the field named, and nothing changes
    response = client.post(f"/cases/{case.pk}/property/custody/", {"item": item.pk, "action": "store", "location": "B"})
    assert response.status_code == 400
    assert 'data-field="action"' in response.content.decode()


def test_a_bad_registration_names_the_field(city, case):
    client = city.login(city.station_officer)
    kinds = [v for v, _l in SeizedItem._meta.get_field("kind").choices]
    response = register(client, case, kind=kinds[0], quantity="0")
    assert response.status_code == 400
    assert 'data-field="quantity"' in response.content.decode()
    assert not SeizedItem.objects.exists()


def test_lending_waits_for_a_leader_on_the_review_page(city, case):
    client = city.login(city.station_officer)
    kinds = [v for v, _l in SeizedItem._meta.get_field("kind").choices]
    register(client, case, kind=kinds[0])
    item = SeizedItem.objects.get()
    client.post(
        f"/cases/{case.pk}/property/custody/", {"item": item.pk, "action": "hand_over", "counterpart": "保管员"}
    )
    client.post(f"/cases/{case.pk}/property/custody/", {"item": item.pk, "action": "store", "location": "A-01"})
    client.post(
        f"/cases/{case.pk}/property/custody/",
        {"item": item.pk, "action": "lend", "counterpart": "鉴定中心", "note": "送检"},
    )
    item.refresh_from_db()
    assert item.status == "stored"  # not yet: an approval was requested
    leader = OfficerFactory(username="taocheng_leader", organization=city.branch_a, role=Role.LEADER)
    approver = city.login(leader)
    page = approver.get("/property/").content.decode()
    approval = item.approvals.get()
    assert f'id="papproval-{approval.pk}"' in page
    assert approver.post(f"/property/approvals/{approval.pk}/decide/", {"decision": "approve"}).status_code == 302
    client.post(f"/cases/{case.pk}/property/custody/", {"item": item.pk, "action": "lend", "counterpart": "鉴定中心"})
    item.refresh_from_db()
    assert item.status == "lent"


def test_property_pages_are_scoped(city, case):
    outsider = city.login(city.outsider)
    assert outsider.get(f"/cases/{case.pk}/property/").status_code == 404
    assert register(outsider, case).status_code == 404
    assert outsider.get("/property/").status_code == 200
    assert not SeizedItem.objects.exists()

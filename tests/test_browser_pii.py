"""End-to-end: the incident panel shows the caller masked; pressing "显示" swaps in the full value of
that one field, in place, and the audit trail names the dispatcher, the incident and the field."""

import pytest

from anmin.core.models import AuditEntry
from anmin.dispatch.actions import DispatchUnits
from anmin.incidents.actions import ReceiveCall
from tests.browser import logged_in_page, shot

pytestmark = pytest.mark.browser


def test_显示_on_the_incident_panel_reveals_one_field_and_audits_it(city, call_data, asgi_server, browser):
    incident, _ = ReceiveCall(by=city.dispatcher, data={**call_data, "caller_name": "赵大伟"}).execute()
    page = logged_in_page(browser, asgi_server, city.dispatcher)
    page.goto(f"{asgi_server.url}/incidents/{incident.pk}/")
    phone = page.locator('.pii[data-pii="incident.caller_phone"]')
    name = page.locator('.pii[data-pii="incident.caller_name"]')
    assert "138****5678" in phone.inner_text()
    assert "赵**" in name.inner_text()
    assert "13812345678" not in page.content() and "赵大伟" not in page.content()
    shot(page, "pii-panel-masked")

    phone.locator("button.pii-reveal").click()
    shown = page.wait_for_selector('.pii-shown[data-pii="incident.caller_phone"]')
    assert shown.inner_text() == "13812345678"
    # Only the field asked for: the name stays masked until its own "显示".
    assert "赵**" in name.inner_text()
    assert "赵大伟" not in page.content()
    shot(page, "pii-panel-phone-shown")

    entries = list(AuditEntry.objects.filter(action="pii.reveal"))
    assert [(e.actor, e.object_id, e.data["field"]) for e in entries] == [
        (city.dispatcher, str(incident.pk), "incident.caller_phone")
    ]


def test_the_crew_calls_the_caller_after_显示_on_the_phone_page(city, call_data, asgi_server, browser):
    incident, _ = ReceiveCall(by=city.dispatcher, data=call_data).execute()
    DispatchUnits(incident=incident, unit_ids=[city.patrol_car.pk], by=city.dispatcher).execute()
    page = logged_in_page(browser, asgi_server, city.patrol_officer, mobile=True)
    page.goto(f"{asgi_server.url}/m/")
    phone = page.locator('#task .pii[data-pii="incident.caller_phone"]')
    assert "138****5678" in phone.inner_text()
    phone.locator("button.pii-reveal").click()
    link = page.wait_for_selector('#task .pii-shown a[href="tel:13812345678"]')
    assert link.inner_text() == "13812345678"
    shot(page, "pii-phone-page-shown")
    assert AuditEntry.objects.filter(action="pii.reveal", actor=city.patrol_officer).count() == 1

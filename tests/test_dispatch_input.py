"""The dispatch pages' input layer: every value through a form, one URL per operation, and a bad
value answered with 400 and the message beside its field — never a 500, never a write."""

from unittest import mock

import pytest

from anmin.core.models import AuditEntry
from anmin.dispatch.actions import (
    AdvanceAssignment,
    CancelIncident,
    DispatchUnits,
    ReopenIncident,
    ReportPosition,
    SetUnitStatus,
    SubmitFeedback,
)
from anmin.dispatch.models import Assignment, Unit, UnitStatus
from anmin.incidents.actions import ReceiveCall
from anmin.incidents.models import Incident, IncidentEvent

pytestmark = pytest.mark.django_db

HUGE = str(2**70)


@pytest.fixture
def incident(city, call_data) -> Incident:
    return ReceiveCall(by=city.dispatcher, data=call_data, force_new=True).execute()[0]


@pytest.fixture
def desk(city):
    return city.login(city.dispatcher)


@pytest.fixture
def crew(city):
    return city.login(city.patrol_officer)


def written() -> tuple:
    """Everything an intake or a dispatch writes, to show that a refused one wrote nothing."""
    return (
        Incident.objects.count(),
        IncidentEvent.objects.count(),
        AuditEntry.objects.count(),
        Assignment.objects.count(),
        sum(Incident.objects.values_list("call_count", flat=True)),
    )


# --- intake -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("merge_into", ["abc", HUGE, "-1", "1.5"])
def test_it_rejects_a_tampered_merge_into_naming_the_field(city, desk, incident, call_data, merge_into):
    before = written()
    page = desk.post("/intake/", {**call_data, "merge_into": merge_into})
    assert page.status_code == 400
    body = page.content.decode()
    assert 'id="form-error" data-field="merge_into"' in body
    assert "合并到" in body
    assert written() == before


def test_it_rejects_merging_into_an_incident_it_cannot_see(city, incident, call_data):
    before = written()
    page = city.login(city.outsider).post("/intake/", {**call_data, "merge_into": str(incident.pk)})
    assert page.status_code == 400
    assert 'data-field="merge_into"' in page.content.decode()
    assert written() == before


def test_it_shows_a_bad_value_beside_its_field_and_keeps_what_was_typed(city, desk, call_data):
    page = desk.post("/intake/", {**call_data, "lat": "北纬", "description": "有人打架"})
    assert page.status_code == 400
    body = page.content.decode()
    assert 'id="form-error" data-field="lat"' in body
    assert body.index('id="lat"') < body.index('id="form-error"') < body.index('id="lon"')
    assert "有人打架" in body
    assert not Incident.objects.exists()


def test_it_rejects_a_null_character_in_the_intake_form(city, desk, call_data):
    page = desk.post("/intake/", {**call_data, "address": "人民路\x00"})
    assert page.status_code == 400
    assert not Incident.objects.exists()


@pytest.mark.parametrize("last", ["abc", HUGE])
def test_it_rejects_a_tampered_last_incident_on_the_intake_page(city, desk, last):
    page = desk.get("/intake/", {"last": last})
    assert page.status_code == 400
    assert 'data-field="last"' in page.content.decode()


def test_it_records_a_call_and_merges_a_repeat_from_the_form(city, desk, incident, call_data):
    page = desk.post("/intake/", {**call_data, "category": "0601 家庭纠纷"})
    assert page.status_code == 200  # a repeat call: offered for merging
    assert f'value="{incident.pk}"' in page.content.decode()
    assert desk.post("/intake/", {**call_data, "merge_into": str(incident.pk)}).status_code == 302
    incident.refresh_from_db()
    assert incident.call_count == 2
    assert desk.post("/intake/", {**call_data, "force_new": "1"}).status_code == 302
    assert Incident.objects.count() == 2


# --- the board ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["abc", HUGE])
def test_it_rejects_a_tampered_incident_on_the_board(city, desk, value):
    page = desk.get("/board/", {"incident": value})
    assert page.status_code == 400
    assert 'data-field="incident"' in page.content.decode()


def test_it_opens_the_board_on_an_incident(city, desk, incident):
    page = desk.get("/board/", {"incident": str(incident.pk)})
    assert page.status_code == 200
    assert f'<script id="selected-incident" type="application/json">{incident.pk}</script>' in page.content.decode()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"west": 115, "north": 38, "east": 116}, "south"),
        ({"south": "x", "west": 115, "north": 38, "east": 116}, "south"),
        ({"south": 37, "west": "inf", "north": 38, "east": 116}, "west"),
        ({"south": 37, "west": 115, "north": "nan", "east": 116}, "north"),
        ({"south": 37, "west": 115, "north": 38, "east": 1e300}, "east"),
    ],
)
def test_it_rejects_a_bad_grid_box_naming_the_field(city, desk, params, field):
    response = desk.get("/board/grid.json", params)
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == field


def test_it_rejects_a_null_character_in_a_place_search(city, desk):
    response = desk.get("/places/", {"q": "人民\x00"})
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "q"


# --- the incident panel: one URL per operation --------------------------------------------------------


def test_it_dispatches_from_the_panel(city, desk, incident):
    page = desk.post(f"/incidents/{incident.pk}/dispatch/", {"unit_ids": [str(city.patrol_car.pk)]})
    assert page.status_code == 200
    assert Assignment.objects.get().unit == city.patrol_car


@pytest.mark.parametrize("unit_ids", [["abc"], [HUGE], ["0"], []])
def test_it_rejects_bad_unit_ids_beside_the_unit_list(city, desk, incident, unit_ids):
    before = written()
    page = desk.post(f"/incidents/{incident.pk}/dispatch/", {"unit_ids": unit_ids})
    assert page.status_code == 400
    body = page.content.decode()
    assert 'id="unit_ids-error"' in body
    assert body.index('id="dispatch-form"') < body.index('id="unit_ids-error"')
    assert written() == before


def test_it_answers_a_unit_taken_meanwhile_with_a_conflict(city, desk, call_data, incident):
    other = ReceiveCall(by=city.dispatcher, data={**call_data, "category": "0110"}, force_new=True).execute()[0]
    DispatchUnits(incident=other, unit_ids=[city.patrol_car.pk], by=city.dispatcher).execute()
    page = desk.post(f"/incidents/{incident.pk}/dispatch/", {"unit_ids": [str(city.patrol_car.pk)]})
    assert page.status_code == 409
    assert "河西01" in page.content.decode()


def test_it_cancels_and_reopens_from_the_panel(city, desk, incident):
    assert desk.post(f"/incidents/{incident.pk}/cancel/", {"reason": "误报"}).status_code == 200
    incident.refresh_from_db()
    assert incident.status == Incident.Status.CANCELLED
    page = desk.post(f"/incidents/{incident.pk}/reopen/", {"reason": "再次来电"})
    assert page.status_code == 200
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RECEIVED


def test_it_asks_for_a_cancel_reason_beside_the_field(city, desk, incident):
    page = desk.post(f"/incidents/{incident.pk}/cancel/", {"reason": "  "})
    assert page.status_code == 400
    body = page.content.decode()
    assert 'id="reason-error"' in body
    assert "请填写撤销原因" in body
    assert incident.events.count() == 1


def test_it_asks_for_a_reopen_reason_in_reopens_own_words(city, desk, incident):
    CancelIncident(incident=incident, reason="误报", by=city.dispatcher).execute()
    page = desk.post(f"/incidents/{incident.pk}/reopen/", {})
    assert page.status_code == 400
    body = page.content.decode()
    assert "请填写重新打开的原因" in body
    assert "撤销原因" not in body
    incident.refresh_from_db()
    assert incident.status == Incident.Status.CANCELLED


def test_the_reopen_action_names_its_own_reason(city, incident):
    CancelIncident(incident=incident, reason="误报", by=city.dispatcher).execute()
    with pytest.raises(Exception, match="请填写重新打开的原因"):
        ReopenIncident(incident=incident, reason="", by=city.dispatcher).execute()
    with pytest.raises(Exception, match="重新打开的原因不能超过 500 字"):
        ReopenIncident(incident=incident, reason="x" * 501, by=city.dispatcher).execute()


def test_it_reveals_the_callers_number_once_and_audits_it(city, desk, incident):
    assert "13812345678" not in desk.get(f"/incidents/{incident.pk}/panel/").content.decode()
    page = desk.post(f"/incidents/{incident.pk}/reveal/")
    assert page.status_code == 200
    assert "13812345678" in page.content.decode()
    assert AuditEntry.objects.filter(action="pii.reveal", data__field="incident.caller_phone").count() == 1


@pytest.mark.parametrize("data", [{"op": "cancel", "reason": "误报"}, {"op": "reveal"}])
def test_it_no_longer_routes_operations_through_the_panel(city, desk, incident, data):
    before = written()
    assert desk.post(f"/incidents/{incident.pk}/panel/", data).status_code == 405
    assert written() == before


def test_it_refuses_the_panel_operations_to_get(city, desk, incident):
    for op in ("dispatch", "cancel", "reopen", "reveal"):
        assert desk.get(f"/incidents/{incident.pk}/{op}/").status_code == 405


# --- the officer's phone ------------------------------------------------------------------------------


@pytest.mark.parametrize("unit", ["abc", HUGE])
def test_it_rejects_a_tampered_unit_on_the_phone_page(city, crew, unit):
    for url in ("/m/", "/m/panel/"):
        page = crew.get(url, {"unit": unit})
        assert page.status_code == 400, url
        body = page.content.decode()
        assert 'data-field="unit"' in body
        assert "河西01" in body  # the officer's own unit is still shown


def test_it_works_a_task_through_one_url_per_step(city, desk, crew, incident):
    DispatchUnits(incident=incident, unit_ids=[city.patrol_car.pk], by=city.dispatcher).execute()
    unit = {"unit": str(city.patrol_car.pk)}
    for step in ("en_route", "arrive", "handle", "resolve"):
        assert crew.post(f"/m/panel/{step}/", unit).status_code == 200, step
    page = crew.post("/m/panel/feedback/", {**unit, "result": "mediated", "text": "双方和解"})
    assert page.status_code == 200
    incident.refresh_from_db()
    assert incident.status == Incident.Status.REPORTED
    assert crew.post("/m/panel/teleport/", unit).status_code == 404


def test_it_refuses_a_step_out_of_order_with_the_panel_again(city, desk, crew, incident):
    DispatchUnits(incident=incident, unit_ids=[city.patrol_car.pk], by=city.dispatcher).execute()
    page = crew.post("/m/panel/resolve/", {"unit": str(city.patrol_car.pk)})
    assert page.status_code == 400
    assert "请先确认到场" in page.content.decode()


def test_it_shows_a_feedback_error_beside_the_field(city, crew, incident):
    DispatchUnits(incident=incident, unit_ids=[city.patrol_car.pk], by=city.dispatcher).execute()
    AdvanceAssignment(unit=city.patrol_car, step="arrive", by=city.patrol_officer).execute()
    page = crew.post("/m/panel/feedback/", {"result": "mediated", "text": ""})
    assert page.status_code == 400
    body = page.content.decode()
    assert 'data-field="text"' in body
    assert body.index('id="feedback-form"') < body.index('data-field="text"')
    assert Assignment.objects.get().closed_at is None


def test_it_sets_the_unit_on_and_off_duty(city, crew):
    assert crew.post("/m/panel/status/", {"status": "offline"}).status_code == 200
    assert Unit.objects.get(pk=city.patrol_car.pk).status == UnitStatus.OFFLINE
    assert crew.post("/m/panel/status/", {"status": "en_route"}).status_code == 400
    assert crew.post("/m/panel/status/", {"status": "available"}).status_code == 200
    assert Unit.objects.get(pk=city.patrol_car.pk).status == UnitStatus.AVAILABLE


@pytest.mark.parametrize(
    ("data", "field"),
    [({"lat": "x", "lon": "115.6"}, "lat"), ({"lat": "37.7", "lon": "inf"}, "lon"), ({"lat": "91", "lon": "1"}, "lat")],
)
def test_it_rejects_a_bad_position_beside_the_button(city, crew, data, field):
    page = crew.post("/m/panel/position/", data)
    assert page.status_code == 400
    assert f'data-field="{field}"' in page.content.decode()
    assert Unit.objects.get(pk=city.patrol_car.pk).position_at is None


def test_it_records_the_phones_position(city, crew):
    assert crew.post("/m/panel/position/", {"lat": "37.736", "lon": "115.675"}).status_code == 200
    unit = Unit.objects.get(pk=city.patrol_car.pk)
    assert (unit.lat, unit.lon) == (37.736, 115.675)


def test_it_refuses_phone_operations_to_an_officer_without_a_unit(city):
    client = city.login(city.outsider)
    for url in ("/m/panel/arrive/", "/m/panel/feedback/", "/m/panel/status/", "/m/panel/position/"):
        assert client.post(url, {}).status_code == 404, url


# --- events after commit ------------------------------------------------------------------------------


def _capturing_layer(sent):
    class Layer:
        async def group_send(self, group, message):
            sent.append(message)

    return mock.patch("anmin.core.events.get_channel_layer", return_value=Layer())


def test_every_dispatch_action_publishes_only_after_commit(city, incident, django_capture_on_commit_callbacks):
    unit, crew = city.patrol_car, city.patrol_officer
    steps = [
        lambda: DispatchUnits(incident=incident, unit_ids=[unit.pk], by=city.dispatcher).execute(),
        lambda: AdvanceAssignment(unit=unit, step="arrive", by=crew).execute(),
        lambda: SubmitFeedback(unit=unit, result="mediated", text="和解", by=crew).execute(),
        lambda: SetUnitStatus(unit=unit, status=UnitStatus.OFFLINE, by=crew).execute(),
        lambda: ReportPosition(unit=unit, lat=37.736, lon=115.675, by=crew).execute(),
        lambda: ReopenIncident(incident=incident, reason="再次来电", by=city.dispatcher).execute(),
        lambda: CancelIncident(incident=incident, reason="误报", by=city.dispatcher).execute(),
    ]
    sent = []
    with _capturing_layer(sent):
        for step in steps:
            with django_capture_on_commit_callbacks() as callbacks:
                step()
            assert sent == [], "published inside the transaction"
            assert callbacks
            for callback in callbacks:
                callback()
            assert sent
            sent.clear()


def test_a_refused_dispatch_action_publishes_nothing(city, incident, django_capture_on_commit_callbacks):
    sent = []
    with _capturing_layer(sent), django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Exception, match="请填写撤销原因"):
            CancelIncident(incident=incident, reason="", by=city.dispatcher).execute()
        with pytest.raises(Exception, match="当前不可派"):
            Unit.objects.filter(pk=city.patrol_car.pk).update(status=UnitStatus.OFFLINE)
            DispatchUnits(incident=incident, unit_ids=[city.patrol_car.pk], by=city.dispatcher).execute()
    assert callbacks == []
    assert sent == []

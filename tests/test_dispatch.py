"""派警 and 处警: recommendations, dispatch (atomic, never double-assigning), the officer's phone
flow through the API, cancel and reopen, positions, arrival targets, and the audit trail."""

import json
from dataclasses import asdict
from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from anmin.core.errors import ActionError, Conflict, Denied
from anmin.core.models import AuditEntry, verify_chain
from anmin.dispatch.actions import (
    AdvanceAssignment,
    CancelIncident,
    DispatchUnits,
    ReopenIncident,
    ReportPosition,
    SetUnitStatus,
    SubmitFeedback,
)
from anmin.dispatch.models import Assignment, Unit, UnitKind, UnitStatus
from anmin.dispatch.recommend import UnitSnapshot, rank, recommend
from anmin.geo.coords import distance_m
from anmin.incidents.actions import ReceiveCall
from anmin.incidents.models import Incident, IncidentClass, IncidentEvent
from tests.conftest import A1_POINT, B1_POINT
from tests.factories import UnitFactory


def post(client, url, data):
    return client.post(url, json.dumps(data, ensure_ascii=False), content_type="application/json")


def receive(city, call_data, **overrides) -> Incident:
    at = overrides.pop("at", None)
    incident, _ = ReceiveCall(by=city.dispatcher, data={**call_data, **overrides}, force_new=True, at=at).execute()
    return incident


def kinds(incident: Incident) -> list[str]:
    return list(incident.events.order_by("at", "id").values_list("kind", flat=True))


@pytest.fixture
def incident(city, call_data) -> Incident:
    return receive(city, call_data)


@pytest.fixture
def desk(city):
    return city.api(city.dispatcher)


@pytest.fixture
def phone(city):
    return city.api(city.patrol_officer)


# --- recommendations ------------------------------------------------------------------------


def recommendations(desk, incident, **params):
    response = desk.get(f"/api/v1/incidents/{incident.pk}/recommendations", params)
    assert response.status_code == 200, response.content
    return response.json()


def recommended(incident, user, limit=10) -> list[dict]:
    """What the recommendations endpoint serves, straight from the service it wraps."""
    return [asdict(r) for r in recommend(incident, user, limit=limit)]


def test_it_ranks_recommendations_by_eta_and_explains_each(city, desk, call_data):
    theft = receive(city, call_data, category="0110")  # 盗窃: no category rule applies
    recs = recommendations(desk, theft)
    assert recs, "available units are recommended"
    for rec in recs:
        assert set(rec) >= {"unit_id", "callsign", "distance_m", "eta_s", "reason", "rule"}
        assert rec["reason"].startswith(rec["rule"])
        assert "公里" in rec["reason"] and "分钟" in rec["reason"]
        unit = Unit.objects.get(pk=rec["unit_id"])
        assert rec["distance_m"] == round(distance_m(theft.lat, theft.lon, unit.lat, unit.lon))
    etas = [r["eta_s"] for r in recs]
    assert etas == sorted(etas)
    assert recs[0]["unit_id"] == city.patrol_car.pk  # 河西01 is 240 m away
    assert {r["unit_id"] for r in recs} == {u.pk for u in Unit.objects.all()}  # the command centre sees all
    # The API says what the board ticks and why: the nearest car is within the target and ticked,
    # and no unit that misses the target is ticked while one meets it.
    assert recs[0]["meets_target"] is True and recs[0]["preselected"] is True
    assert not any(r["preselected"] and r["meets_target"] is False for r in recs)
    assert recs == recommended(theft, city.dispatcher)


def test_the_recommendation_service_ranks_by_eta_with_reasons(city, call_data):
    theft = receive(city, call_data, category="0110")
    recs = recommended(theft, city.dispatcher)
    assert [r["eta_s"] for r in recs] == sorted(r["eta_s"] for r in recs)
    assert recs[0]["unit_id"] == city.patrol_car.pk
    assert all(r["rule"] == "就近警力" and r["reason"].startswith("就近警力；距离 ") for r in recs)
    assert {r["unit_id"] for r in recs} == {u.pk for u in Unit.objects.all()}
    assert [r["unit_id"] for r in recommended(theft, city.station_officer)] == [city.patrol_car.pk]
    assert [r["unit_id"] for r in recommended(theft, city.outsider)] == [city.outsider_car.pk]
    assert len(recommended(theft, city.dispatcher, limit=2)) == 2


def test_it_recommends_only_available_units(city, incident):
    Unit.objects.filter(pk=city.patrol_car.pk).update(status=UnitStatus.OFFLINE)
    Unit.objects.filter(pk=city.swat_team.pk).update(status=UnitStatus.DISPATCHED)
    ids = {r["unit_id"] for r in recommended(incident, city.dispatcher)}
    assert city.patrol_car.pk not in ids
    assert city.swat_team.pk not in ids
    assert city.station_car.pk in ids


def test_it_limits_the_recommendations(city, desk, incident):
    assert len(recommendations(desk, incident, limit=2)) == 2
    assert desk.get(f"/api/v1/incidents/{incident.pk}/recommendations", {"limit": 0}).status_code == 400


def test_it_recommends_only_units_a_station_commands(city, incident):
    recs = recommendations(city.api(city.station_officer), incident)
    assert [r["unit_id"] for r in recs] == [city.patrol_car.pk]


def test_it_puts_the_traffic_unit_first_for_a_traffic_incident(city, call_data):
    accident = receive(city, call_data, category="0302")
    recs = recommended(accident, city.dispatcher)
    assert recs[0]["unit_id"] == city.traffic_rider.pk
    assert recs[0]["rule"] == "交通警情：交警优先"
    # the patrol car is nearer but comes after the rule's pick
    assert recs[1]["unit_id"] == city.patrol_car.pk
    assert recs[1]["eta_s"] < recs[0]["eta_s"]


def test_it_puts_swat_first_and_the_nearest_car_second_for_serious_violence(city, call_data):
    robbery = receive(city, call_data, category="0106")
    recs = recommended(robbery, city.dispatcher)
    assert recs[0]["unit_id"] == city.swat_team.pk
    assert "特警" in recs[0]["rule"]
    assert recs[1]["unit_id"] == city.patrol_car.pk
    assert "最近巡逻警力" in recs[1]["rule"]


def test_it_puts_the_responsible_stations_unit_first_for_a_dispute(city, call_data):
    # 河东01 parked next door, 河西01 farther but within the 5-minute target: the dispute still goes
    # to 河西派出所's own unit first (a late one would not be: see tests/test_desk.py).
    Unit.objects.filter(pk=city.station_car.pk).update(lat=A1_POINT[0] + 0.0005, lon=A1_POINT[1])
    Unit.objects.filter(pk=city.patrol_car.pk).update(lat=37.745, lon=115.68)
    dispute = receive(city, call_data, category="0601")
    recs = recommended(dispute, city.dispatcher)
    assert recs[0]["unit_id"] == city.patrol_car.pk
    assert recs[0]["rule"] == "纠纷警情：责任派出所"
    assert recs[1]["unit_id"] == city.station_car.pk
    assert recs[1]["eta_s"] < recs[0]["eta_s"]


def snapshot(uid, kind, lat, lon, path="/1/9/", name="某单位"):
    return UnitSnapshot(id=uid, callsign=f"U{uid}", kind=kind, lat=lat, lon=lon, org_path=path, org_name=name)


def test_rank_orders_by_travel_time_not_distance():
    lat, lon = 37.735, 115.675
    foot = snapshot(1, UnitKind.FOOT, lat + 0.002, lon)  # ~220 m on foot
    car = snapshot(2, UnitKind.PATROL_CAR, lat + 0.009, lon)  # ~1 km by car
    recs = rank(
        lat=lat,
        lon=lon,
        klass=IncidentClass.CRIMINAL,
        serious=False,
        station_path="",
        units=[foot, car],
        road_factor=1.4,
    )
    assert [r.unit_id for r in recs] == [2, 1]
    car_m = distance_m(lat, lon, car.lat, car.lon)
    assert recs[0].distance_m == round(car_m)
    assert recs[0].eta_s == round(car_m * 1.4 / (40.0 / 3.6))
    assert recs[0].callsign == "U2"
    assert recs[0].organization == "某单位"
    assert recs[0].rule == "就近警力"


def test_rank_applies_the_category_rules():
    lat, lon = 37.735, 115.675
    near_car = snapshot(1, UnitKind.PATROL_CAR, lat + 0.001, lon, path="/1/2/")
    station_car = snapshot(2, UnitKind.STATION_CAR, lat + 0.02, lon, path="/1/5/")
    swat = snapshot(3, UnitKind.SWAT, lat + 0.05, lon)
    traffic_far = snapshot(4, UnitKind.TRAFFIC, lat + 0.04, lon)
    traffic_near = snapshot(5, UnitKind.TRAFFIC, lat + 0.03, lon)
    foot = snapshot(6, UnitKind.FOOT, lat + 0.0001, lon, path="/1/5/12/")
    units = [near_car, station_car, swat, traffic_far, traffic_near, foot]

    def order(**kw):
        args = {"lat": lat, "lon": lon, "klass": IncidentClass.CRIMINAL, "serious": False, "station_path": "/1/5/"}
        return [r.unit_id for r in rank(**{**args, **kw}, units=units, road_factor=1.0)]

    assert order()[0] in (1, 6)
    assert order(klass=IncidentClass.TRAFFIC)[:2] == [5, 4]
    assert order(serious=True)[:2] == [3, 1]
    # dispute: every unit of the station's subtree (a 警务站's foot team included) before the rest
    assert order(klass=IncidentClass.DISPUTE)[:2] == [6, 2]
    # the path prefix is the whole station, not a station whose id merely starts the same
    assert 2 not in order(klass=IncidentClass.DISPUTE, station_path="/1/50/")[:1]


def test_rank_takes_the_nearest_car_when_no_swat_is_available():
    lat, lon = 37.735, 115.675
    units = [snapshot(1, UnitKind.FOOT, lat, lon), snapshot(2, UnitKind.STATION_CAR, lat + 0.01, lon)]
    recs = rank(
        lat=lat, lon=lon, klass=IncidentClass.CRIMINAL, serious=True, station_path="", units=units, road_factor=1.4
    )
    assert [r.unit_id for r in recs] == [2, 1]


def test_rank_honours_the_limit_and_an_empty_list():
    lat, lon = 37.735, 115.675
    units = [snapshot(i, UnitKind.PATROL_CAR, lat + i * 0.001, lon) for i in range(1, 8)]
    kw = {
        "lat": lat,
        "lon": lon,
        "klass": IncidentClass.OTHER,
        "serious": False,
        "station_path": "",
        "road_factor": 1.4,
    }
    assert [r.unit_id for r in rank(**kw, units=units, limit=3)] == [1, 2, 3]
    assert rank(**kw, units=[]) == []


# --- dispatch -------------------------------------------------------------------------------


def dispatch(desk, incident, unit_ids):
    return post(desk, f"/api/v1/incidents/{incident.pk}/dispatch", {"unit_ids": unit_ids})


def test_it_dispatches_a_unit(city, desk, incident):
    response = dispatch(desk, incident, [city.patrol_car.pk])
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "dispatched"
    assert [a["unit_id"] for a in body["assignments"]] == [city.patrol_car.pk]
    assert body["timeline"][-1]["kind"] == "dispatched"
    assert body["timeline"][-1]["unit"] == "河西01"
    city.patrol_car.refresh_from_db()
    assert city.patrol_car.status == UnitStatus.DISPATCHED
    assert city.patrol_car.current_incident_id == incident.pk
    incident.refresh_from_db()
    assert incident.status == Incident.Status.DISPATCHED
    assert incident.dispatched_at is not None
    assignment = Assignment.objects.get(incident=incident)
    assert assignment.dispatched_by == city.dispatcher
    assert assignment.reason.startswith("纠纷警情：责任派出所")
    assert assignment.distance_m == round(distance_m(incident.lat, incident.lon, 37.737, 115.676))
    assert assignment.eta_s > 0
    assert kinds(incident) == ["received", "dispatched"]


def test_it_dispatches_several_units_at_once(city, desk, call_data):
    robbery = receive(city, call_data, category="0106")
    response = dispatch(desk, robbery, [city.swat_team.pk, city.patrol_car.pk])
    assert response.status_code == 200
    assert Assignment.objects.filter(incident=robbery).count() == 2
    assert kinds(robbery).count("dispatched") == 2
    assert set(Unit.objects.filter(status=UnitStatus.DISPATCHED).values_list("pk", flat=True)) == {
        city.swat_team.pk,
        city.patrol_car.pk,
    }


def _snapshot_state(incident):
    incident.refresh_from_db()
    return (
        incident.status,
        incident.dispatched_at,
        Assignment.objects.count(),
        IncidentEvent.objects.count(),
        AuditEntry.objects.count(),
        sorted(Unit.objects.values_list("pk", "status", "current_incident_id")),
    )


def test_it_refuses_to_dispatch_an_unavailable_unit_and_writes_nothing(city, desk, incident):
    Unit.objects.filter(pk=city.patrol_car.pk).update(status=UnitStatus.OFFLINE)
    before = _snapshot_state(incident)
    response = dispatch(desk, incident, [city.patrol_car.pk])
    assert response.status_code == 409
    item = response.json()["detail"][0]
    assert item["field"] == "unit_ids"
    assert item["code"] == "conflict"
    assert item["unit_id"] == city.patrol_car.pk
    assert "河西01" in item["message"]
    assert _snapshot_state(incident) == before
    assert not Assignment.objects.exists()


def test_it_refuses_a_unit_already_sent_elsewhere(city, desk, call_data):
    first = receive(city, call_data)
    second = receive(city, call_data, category="0110")
    assert dispatch(desk, first, [city.patrol_car.pk]).status_code == 200
    response = dispatch(desk, second, [city.patrol_car.pk])
    assert response.status_code == 409
    assert Assignment.objects.filter(unit=city.patrol_car).count() == 1
    second.refresh_from_db()
    assert second.status == Incident.Status.RECEIVED


def test_it_dispatches_all_or_nothing(city, desk, incident):
    # The busy unit has the higher id, so the free one is taken first and must be rolled back.
    free, busy = sorted([city.patrol_car, city.swat_team], key=lambda u: u.pk)
    Unit.objects.filter(pk=busy.pk).update(status=UnitStatus.HANDLING)
    before = _snapshot_state(incident)
    response = dispatch(desk, incident, [free.pk, busy.pk])
    assert response.status_code == 409
    assert response.json()["detail"][0]["unit_id"] == busy.pk
    assert _snapshot_state(incident) == before
    free.refresh_from_db()
    assert free.status == UnitStatus.AVAILABLE
    assert free.current_incident_id is None
    assert not Assignment.objects.filter(unit=free).exists()


@pytest.mark.parametrize(
    ("unit_ids", "code", "status"),
    [
        ([], "required", 400),
        ([999999], "unknown", 400),
        (["x"], "int_parsing", 400),
        (None, "list_type", 400),
    ],
)
def test_it_rejects_bad_unit_ids(city, desk, incident, unit_ids, code, status):
    before = _snapshot_state(incident)
    response = dispatch(desk, incident, unit_ids)
    assert response.status_code == status
    item = response.json()["detail"][0]
    assert item["field"].startswith("unit_ids")
    assert item["code"] == code
    assert _snapshot_state(incident) == before


def test_it_rejects_the_same_unit_twice(city, incident):
    with pytest.raises(ActionError) as exc:
        DispatchUnits(
            incident=incident, unit_ids=[city.patrol_car.pk, city.patrol_car.pk], by=city.dispatcher
        ).execute()
    assert exc.value.code == "duplicate"
    assert not Assignment.objects.exists()


def test_it_refuses_to_dispatch_to_a_closed_incident(city, desk, incident):
    CancelIncident(incident=incident, reason="误报", by=city.dispatcher).execute()
    response = dispatch(desk, incident, [city.patrol_car.pk])
    assert response.status_code == 400
    assert response.json()["detail"][0]["code"] == "closed"
    assert not Assignment.objects.exists()


def test_it_lets_only_commanders_dispatch(city, incident):
    response = dispatch(city.api(city.patrol_officer), incident, [city.patrol_car.pk])
    assert response.status_code == 403
    assert not Assignment.objects.exists()


def test_it_does_not_let_a_station_dispatch_another_stations_unit(city, incident):
    response = dispatch(city.api(city.station_officer), incident, [city.station_car.pk])
    assert response.status_code == 400
    assert response.json()["detail"][0]["code"] == "unknown"
    assert not Assignment.objects.exists()


# --- the phone flow -------------------------------------------------------------------------


def set_status(client, unit, status):
    return post(client, f"/api/v1/units/{unit.pk}/status", {"status": status})


def feedback(client, unit, result="mediated", text="双方已调解，当事人情绪稳定"):
    return post(client, f"/api/v1/units/{unit.pk}/feedback", {"result": result, "text": text})


def test_it_runs_the_whole_flow_from_call_to_feedback(city, desk, phone, incident):
    assert dispatch(desk, incident, [city.patrol_car.pk]).status_code == 200
    expected = [
        ("en_route", UnitStatus.DISPATCHED, Incident.Status.EN_ROUTE),
        ("on_scene", UnitStatus.ON_SCENE, Incident.Status.ARRIVED),
        ("handling", UnitStatus.HANDLING, Incident.Status.ARRIVED),
        ("resolved", UnitStatus.HANDLING, Incident.Status.RESOLVED),
    ]
    for step, unit_status, incident_status in expected:
        response = set_status(phone, city.patrol_car, step)
        assert response.status_code == 200, (step, response.content)
        assert response.json()["status"] == unit_status
        incident.refresh_from_db()
        assert incident.status == incident_status, step
    assert incident.arrived_at is not None
    assert incident.resolved_at is not None

    response = feedback(phone, city.patrol_car)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "available"
    assert response.json()["current_incident"] is None
    incident.refresh_from_db()
    assert incident.status == Incident.Status.REPORTED
    assert incident.closed_at is not None
    assert not incident.is_open
    assert kinds(incident) == ["received", "dispatched", "en_route", "arrived", "handling", "resolved", "reported"]
    assignment = Assignment.objects.get(incident=incident)
    assert assignment.result == "mediated"
    assert assignment.result_text == "双方已调解，当事人情绪稳定"
    assert assignment.closed_at is not None
    timeline = desk.get(f"/api/v1/incidents/{incident.pk}").json()["timeline"]
    assert [e["kind"] for e in timeline] == kinds(incident)
    assert timeline[-1]["detail"] == "调解完毕：双方已调解，当事人情绪稳定"
    assert all(e["unit"] == "河西01" for e in timeline[1:])


def test_it_implies_resolved_when_feedback_comes_first(city, desk, phone, incident):
    dispatch(desk, incident, [city.patrol_car.pk])
    set_status(phone, city.patrol_car, "on_scene")  # arriving without pressing 出警 is allowed
    assert feedback(phone, city.patrol_car, result="handled").status_code == 200
    assert kinds(incident) == ["received", "dispatched", "arrived", "resolved", "reported"]


def test_it_keeps_an_incident_open_until_every_unit_reports(city, desk, call_data):
    robbery = receive(city, call_data, category="0106")
    dispatch(desk, robbery, [city.patrol_car.pk, city.swat_team.pk])
    for unit in (city.patrol_car, city.swat_team):
        assert set_status(desk, unit, "on_scene").status_code == 200
    assert feedback(desk, city.patrol_car, result="handled").status_code == 200
    robbery.refresh_from_db()
    assert robbery.status == Incident.Status.ARRIVED
    assert robbery.is_open
    assert feedback(desk, city.swat_team, result="case_accepted").status_code == 200
    robbery.refresh_from_db()
    assert robbery.status == Incident.Status.REPORTED


@pytest.mark.parametrize(
    ("done", "again", "code"),
    [
        (["en_route"], "en_route", "already_done"),
        (["on_scene"], "on_scene", "already_done"),
        (["on_scene"], "en_route", "backwards"),
        (["on_scene", "handling"], "on_scene", "already_done"),
        (["on_scene", "handling"], "en_route", "backwards"),
        (["on_scene", "resolved"], "handling", "already_done"),  # 处置完毕 implies 处置中
        (["on_scene", "resolved"], "on_scene", "already_done"),
        (["en_route"], "handling", "not_arrived"),
        ([], "resolved", "not_arrived"),
    ],
)
def test_it_refuses_steps_backwards_repeated_or_skipped(city, desk, phone, incident, done, again, code):
    dispatch(desk, incident, [city.patrol_car.pk])
    for step in done:
        assert set_status(phone, city.patrol_car, step).status_code == 200
    before = (kinds(incident), AuditEntry.objects.count(), Unit.objects.get(pk=city.patrol_car.pk).status)
    response = set_status(phone, city.patrol_car, again)
    assert response.status_code == 400
    item = response.json()["detail"][0]
    assert item["field"] == "status"
    assert item["code"] == code
    assert (kinds(incident), AuditEntry.objects.count(), Unit.objects.get(pk=city.patrol_car.pk).status) == before


def test_it_refuses_a_step_without_a_task(city, phone):
    response = set_status(phone, city.patrol_car, "en_route")
    assert response.status_code == 400
    assert response.json()["detail"][0]["code"] == "no_assignment"


def test_it_refuses_an_unknown_status(city, phone):
    response = set_status(phone, city.patrol_car, "flying")
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "status"


def test_it_sets_a_unit_on_and_off_duty(city, phone):
    response = set_status(phone, city.patrol_car, "offline")
    assert response.status_code == 200
    assert response.json()["status"] == "offline"
    assert set_status(phone, city.patrol_car, "available").json()["status"] == "available"
    assert AuditEntry.objects.filter(action="unit.status").count() == 2


def test_it_refuses_going_offline_during_a_task(city, desk, phone, incident):
    dispatch(desk, incident, [city.patrol_car.pk])
    response = set_status(phone, city.patrol_car, "offline")
    assert response.status_code == 409
    city.patrol_car.refresh_from_db()
    assert city.patrol_car.status == UnitStatus.DISPATCHED


@pytest.mark.parametrize(
    ("payload", "field", "status"),
    [
        ({"result": "bogus", "text": "x"}, "result", 400),
        ({"result": "", "text": "x"}, "result", 400),
        ({"text": "x"}, "result", 400),
        ({"result": "handled", "text": ""}, "text", 400),
        ({"result": "handled", "text": "   "}, "text", 400),
        ({"result": "handled", "text": "字" * 2001}, "text", 400),
        ({"result": "handled"}, "text", 400),
    ],
)
def test_it_rejects_bad_feedback_naming_the_field(city, desk, phone, incident, payload, field, status):
    dispatch(desk, incident, [city.patrol_car.pk])
    set_status(phone, city.patrol_car, "on_scene")
    before = (kinds(incident), AuditEntry.objects.count())
    response = post(phone, f"/api/v1/units/{city.patrol_car.pk}/feedback", payload)
    assert response.status_code == status, response.content
    assert field in [i["field"] for i in response.json()["detail"]]
    assert (kinds(incident), AuditEntry.objects.count()) == before
    assert Unit.objects.get(pk=city.patrol_car.pk).status == UnitStatus.ON_SCENE


def test_it_refuses_a_handled_result_before_arrival(city, desk, phone, incident):
    dispatch(desk, incident, [city.patrol_car.pk])
    response = feedback(phone, city.patrol_car, result="handled")
    assert response.status_code == 400
    assert response.json()["detail"][0]["code"] == "not_arrived"


def test_it_accepts_a_false_alarm_before_arrival(city, desk, phone, incident):
    dispatch(desk, incident, [city.patrol_car.pk])
    assert feedback(phone, city.patrol_car, result="false_alarm", text="报警人称打错电话").status_code == 200
    incident.refresh_from_db()
    assert incident.status == Incident.Status.REPORTED


def test_it_lets_a_crew_member_but_not_a_stranger_operate_a_unit(city, desk, incident):
    dispatch(desk, incident, [city.patrol_car.pk])
    stranger = city.api(city.outsider)
    assert set_status(stranger, city.patrol_car, "en_route").status_code == 404
    assert set_status(city.api(city.patrol_officer), city.patrol_car, "en_route").status_code == 200


def test_it_does_not_let_a_crew_member_act_for_another_unit(city, incident):
    with pytest.raises(Denied):
        SetUnitStatus(unit=city.station_car, status=UnitStatus.OFFLINE, by=city.patrol_officer).execute()
    with pytest.raises(Denied):
        AdvanceAssignment(unit=city.station_car, step="arrive", by=city.patrol_officer).execute()
    with pytest.raises(Denied):
        SubmitFeedback(unit=city.station_car, result="handled", text="x", by=city.patrol_officer).execute()


# --- cancel and reopen ----------------------------------------------------------------------


def test_it_cancels_an_incident_and_releases_its_units(city, desk, incident):
    dispatch(desk, incident, [city.patrol_car.pk])
    response = post(desk, f"/api/v1/incidents/{incident.pk}/cancel", {"reason": "报警人称误报"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "cancelled"
    assert body["timeline"][-1]["kind"] == "cancelled"
    assert body["timeline"][-1]["detail"] == "报警人称误报"
    city.patrol_car.refresh_from_db()
    assert city.patrol_car.status == UnitStatus.AVAILABLE
    assert city.patrol_car.current_incident_id is None
    assignment = Assignment.objects.get(incident=incident)
    assert assignment.closed_at is not None
    assert assignment.result == "other"
    incident.refresh_from_db()
    assert incident.closed_at is not None
    assert AuditEntry.objects.filter(action="incident.cancel", object_id=str(incident.pk)).count() == 1


@pytest.mark.parametrize(("payload", "status"), [({"reason": ""}, 400), ({"reason": "   "}, 400), ({}, 400)])
def test_it_requires_a_reason_to_cancel(city, desk, incident, payload, status):
    response = post(desk, f"/api/v1/incidents/{incident.pk}/cancel", payload)
    assert response.status_code == status
    assert response.json()["detail"][0]["field"] == "reason"
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RECEIVED
    assert "cancelled" not in kinds(incident)


def test_it_refuses_to_cancel_twice(city, desk, incident):
    post(desk, f"/api/v1/incidents/{incident.pk}/cancel", {"reason": "误报"})
    response = post(desk, f"/api/v1/incidents/{incident.pk}/cancel", {"reason": "误报"})
    assert response.status_code == 400
    assert response.json()["detail"][0]["code"] == "closed"


def test_it_reopens_a_cancelled_incident(city, desk, incident):
    post(desk, f"/api/v1/incidents/{incident.pk}/cancel", {"reason": "误报"})
    response = post(desk, f"/api/v1/incidents/{incident.pk}/reopen", {"reason": "报警人再次来电，纠纷升级"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "received"
    assert body["timeline"][-1]["kind"] == "reopened"
    incident.refresh_from_db()
    assert incident.is_open
    assert incident.closed_at is None
    assert kinds(incident) == ["received", "cancelled", "reopened"]
    # and it can be dispatched again
    assert dispatch(desk, incident, [city.patrol_car.pk]).json()["status"] == "dispatched"


def test_it_refuses_to_reopen_an_open_incident_or_without_reason(city, desk, incident):
    response = post(desk, f"/api/v1/incidents/{incident.pk}/reopen", {"reason": "再次来电"})
    assert response.status_code == 400
    assert response.json()["detail"][0]["code"] == "open"
    post(desk, f"/api/v1/incidents/{incident.pk}/cancel", {"reason": "误报"})
    response = post(desk, f"/api/v1/incidents/{incident.pk}/reopen", {"reason": ""})
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "reason"


def test_it_lets_only_commanders_cancel(city, incident):
    response = post(city.api(city.patrol_officer), f"/api/v1/incidents/{incident.pk}/cancel", {"reason": "误报"})
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RECEIVED


# --- positions ------------------------------------------------------------------------------


def test_it_records_a_units_position(city, phone):
    response = post(phone, f"/api/v1/units/{city.patrol_car.pk}/position", {"lat": 37.741, "lon": 115.681})
    assert response.status_code == 200, response.content
    assert (response.json()["lat"], response.json()["lon"]) == (37.741, 115.681)
    assert response.json()["position_at"] is not None
    city.patrol_car.refresh_from_db()
    assert (city.patrol_car.lat, city.patrol_car.lon) == (37.741, 115.681)


@pytest.mark.parametrize(
    ("payload", "field", "status"),
    [
        ({"lat": 91, "lon": 115.6}, "lat", 400),
        ({"lat": 37.7, "lon": -181}, "lon", 400),
        ({"lat": "abc", "lon": 115.6}, "lat", 400),
        ({"lon": 115.6}, "lat", 400),
        ({"lat": None, "lon": 115.6}, "lat", 400),
    ],
)
def test_it_rejects_bad_coordinates(city, phone, payload, field, status):
    response = post(phone, f"/api/v1/units/{city.patrol_car.pk}/position", payload)
    assert response.status_code == status, response.content
    assert field in [i["field"] for i in response.json()["detail"]]
    city.patrol_car.refresh_from_db()
    assert (city.patrol_car.lat, city.patrol_car.lon) == (37.737, 115.676)
    assert city.patrol_car.position_at is None


def test_it_rejects_non_finite_coordinates_in_the_action(city):
    for lat in (float("nan"), float("inf"), True, "37.7"):
        with pytest.raises(ActionError):
            ReportPosition(unit=city.patrol_car, lat=lat, lon=115.6, by=city.patrol_officer).execute()


# --- live events ---------------------------------------------------------------------------


def test_it_publishes_a_dispatch_to_the_consoles_after_commit(city, incident, django_capture_on_commit_callbacks):
    sent = []

    class Layer:
        async def group_send(self, group, message):
            sent.append((group, message))

    with mock.patch("anmin.core.events.get_channel_layer", return_value=Layer()):
        with django_capture_on_commit_callbacks(execute=True):
            DispatchUnits(incident=incident, unit_ids=[city.patrol_car.pk], by=city.dispatcher).execute()
    groups = {g for g, _ in sent}
    a1 = city.station_a1.path.strip("/").split("/")
    assert {f"org-{part}" for part in a1} <= groups  # the station and every level above it
    assert f"unit-{city.patrol_car.pk}" in groups
    assert f"org-{city.station_b1.pk}" not in groups
    notices = [m for _, m in sent if m["kind"] == "incident"]
    assert notices and all(
        m == {"type": "anmin.event", "kind": "incident", "id": incident.pk, "event": "dispatched"} for m in notices
    )


def test_it_never_fails_a_committed_dispatch_because_publishing_failed(
    city, incident, django_capture_on_commit_callbacks
):
    with mock.patch("anmin.core.events.get_channel_layer", side_effect=ConnectionError("redis is down")):
        with django_capture_on_commit_callbacks(execute=True):
            DispatchUnits(incident=incident, unit_ids=[city.patrol_car.pk], by=city.dispatcher).execute()
    assert Assignment.objects.filter(incident=incident).exists()


# --- the unit list -------------------------------------------------------------------------


def test_it_lists_units_with_filters(city, desk, incident):
    DispatchUnits(incident=incident, unit_ids=[city.patrol_car.pk], by=city.dispatcher).execute()
    rows = desk.get("/api/v1/units").json()
    assert len(rows) == Unit.objects.count()
    busy = desk.get("/api/v1/units", {"status": "dispatched"}).json()
    assert [(r["id"], r["current_incident"], r["status_label"]) for r in busy] == [
        (city.patrol_car.pk, incident.pk, "出警中")
    ]
    swat = desk.get("/api/v1/units", {"kind": "swat"}).json()
    assert [r["callsign"] for r in swat] == ["特警01"]
    assert desk.get("/api/v1/units", {"status": "bogus"}).status_code == 400


def test_it_lists_units_in_a_constant_number_of_queries(city, desk):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert desk.get("/api/v1/units").status_code == 200
        return len(ctx.captured_queries)

    desk.get("/api/v1/units")  # the first use of a token also stamps last_used_at
    few = count()
    for _ in range(30):
        UnitFactory(organization=city.station_a1)
    assert len(desk.get("/api/v1/units").json()) == 35
    assert count() == few


# --- the arrival target ---------------------------------------------------------------------


def test_it_is_overdue_once_the_arrival_target_passes(city, call_data):
    late = receive(city, call_data, at=timezone.now() - timedelta(minutes=6))  # urban target: 5 minutes
    assert late.target_minutes == 5
    assert late.is_overdue()
    fresh = receive(city, call_data, category="0110")
    assert not fresh.is_overdue()
    assert fresh.is_overdue(now=fresh.arrival_due_at + timedelta(seconds=1))


def test_it_is_still_overdue_while_dispatched_or_en_route(city, desk, phone, call_data):
    late = receive(city, call_data, at=timezone.now() - timedelta(minutes=6))
    dispatch(desk, late, [city.patrol_car.pk])
    late.refresh_from_db()
    assert late.is_overdue()
    set_status(phone, city.patrol_car, "en_route")
    late.refresh_from_db()
    assert late.is_overdue()
    assert desk.get(f"/api/v1/incidents/{late.pk}").json()["overdue"] is True


def test_it_is_no_longer_overdue_once_arrived(city, desk, phone, incident):
    dispatch(desk, incident, [city.patrol_car.pk])
    set_status(phone, city.patrol_car, "on_scene")
    Incident.objects.filter(pk=incident.pk).update(arrival_due_at=timezone.now() - timedelta(minutes=1))
    incident.refresh_from_db()
    assert incident.status == Incident.Status.ARRIVED
    assert not incident.is_overdue()
    assert incident.within_target() is False  # arrived, but after the (moved) target
    assert incident.arrival_seconds() >= 0


def test_it_measures_arrival_within_target(city, desk, phone, incident):
    assert incident.within_target() is None
    assert incident.arrival_seconds() is None
    dispatch(desk, incident, [city.patrol_car.pk])
    set_status(phone, city.patrol_car, "on_scene")
    incident.refresh_from_db()
    assert incident.within_target() is True
    assert 0 <= incident.arrival_seconds() < 60


def test_a_cancelled_incident_is_never_overdue(city, call_data):
    late = receive(city, call_data, at=timezone.now() - timedelta(minutes=30))
    CancelIncident(incident=late, reason="误报", by=city.dispatcher).execute()
    late.refresh_from_db()
    assert not late.is_overdue()


# --- the audit trail ------------------------------------------------------------------------


def test_it_audits_every_action_in_an_intact_chain(city, call_data):
    start = AuditEntry.objects.count()

    def run(expected_action, fn):
        """Run one action; it must append exactly one entry, named for what it did."""
        before = AuditEntry.objects.count()
        result = fn()
        assert AuditEntry.objects.count() == before + 1, expected_action
        assert AuditEntry.objects.order_by("-id").first().action == expected_action
        return result

    incident = run("incident.receive", lambda: receive(city, call_data))
    unit = city.patrol_car
    run("incident.dispatch", lambda: DispatchUnits(incident=incident, unit_ids=[unit.pk], by=city.dispatcher).execute())
    for step in ("en_route", "arrive", "handle", "resolve"):
        run(f"assignment.{step}", lambda s=step: AdvanceAssignment(unit=unit, step=s, by=city.patrol_officer).execute())
    run(
        "assignment.feedback",
        lambda: SubmitFeedback(unit=unit, result="handled", text="处置完毕", by=city.patrol_officer).execute(),
    )
    run("incident.reopen", lambda: ReopenIncident(incident=incident, reason="再次来电", by=city.dispatcher).execute())
    run("incident.cancel", lambda: CancelIncident(incident=incident, reason="重复警情", by=city.dispatcher).execute())
    run("unit.status", lambda: SetUnitStatus(unit=unit, status=UnitStatus.OFFLINE, by=city.patrol_officer).execute())

    entries = list(AuditEntry.objects.order_by("id"))
    assert len(entries) == start + 10
    assert all(e.actor_id is not None and e.actor_label for e in entries)
    for prev, entry in zip(entries, entries[1:], strict=False):
        assert entry.prev_hash == prev.hash
    checked, bad, reason = verify_chain()
    assert (checked, bad, reason) == (len(entries), None, "")


def test_it_does_not_audit_a_refused_action(city, incident):
    Unit.objects.filter(pk=city.patrol_car.pk).update(status=UnitStatus.OFFLINE)
    before = AuditEntry.objects.count()
    with pytest.raises(Conflict):
        DispatchUnits(incident=incident, unit_ids=[city.patrol_car.pk], by=city.dispatcher).execute()
    assert AuditEntry.objects.count() == before
    assert verify_chain()[1] is None


def _audited_history(city, call_data) -> list[AuditEntry]:
    incident = receive(city, call_data)
    DispatchUnits(incident=incident, unit_ids=[city.patrol_car.pk], by=city.dispatcher).execute()
    AdvanceAssignment(unit=city.patrol_car, step="arrive", by=city.patrol_officer).execute()
    SubmitFeedback(unit=city.patrol_car, result="handled", text="处置完毕", by=city.patrol_officer).execute()
    ReopenIncident(incident=incident, reason="再次来电", by=city.dispatcher).execute()
    entries = list(AuditEntry.objects.order_by("id"))
    assert len(entries) >= 5
    assert verify_chain() == (len(entries), None, "")
    return entries


def test_it_detects_an_edited_audit_entry(city, call_data):
    entries = _audited_history(city, call_data)
    victim = entries[2]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET action='x' WHERE id=%s", [victim.pk])
    checked, bad, reason = verify_chain()
    assert bad is not None
    assert bad.pk == victim.pk
    assert checked == 2
    assert "altered" in reason
    # put it back and the chain is whole again
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET action=%s WHERE id=%s", [victim.action, victim.pk])
    assert verify_chain() == (len(entries), None, "")


def test_it_detects_an_edited_hash(city, call_data):
    entries = _audited_history(city, call_data)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET hash=%s WHERE id=%s", ["f" * 64, entries[1].pk])
    assert verify_chain()[1].pk == entries[1].pk


def test_it_detects_a_deleted_audit_entry_at_the_next_one(city, call_data):
    entries = _audited_history(city, call_data)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id=%s", [entries[1].pk])
    checked, bad, reason = verify_chain()
    assert bad is not None
    assert bad.pk == entries[2].pk
    assert checked == 1
    assert "deleted" in reason


def test_it_detects_an_edit_then_a_deletion_in_turn(city, call_data):
    entries = _audited_history(city, call_data)
    edited, deleted = entries[1], entries[3]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET action='x' WHERE id=%s", [edited.pk])
    assert verify_chain()[1].pk == edited.pk
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET action=%s WHERE id=%s", [edited.action, edited.pk])
        cursor.execute("DELETE FROM core_auditentry WHERE id=%s", [deleted.pk])
    assert verify_chain()[1].pk == entries[4].pk


def test_it_verifies_an_empty_trail(db):
    AuditEntry.objects.all().delete()
    assert verify_chain() == (0, None, "")


def test_it_keeps_unit_positions_out_of_the_audit_trail(city):
    before = AuditEntry.objects.count()
    ReportPosition(unit=city.patrol_car, lat=37.74, lon=115.68, by=city.patrol_officer).execute()
    assert AuditEntry.objects.count() == before


def test_it_makes_a_unit_in_another_branch_dispatchable_by_the_command_centre(city, call_data):
    b1_incident = receive(city, call_data, lat=B1_POINT[0], lon=B1_POINT[1])
    DispatchUnits(
        incident=b1_incident, unit_ids=[city.outsider_car.pk, city.patrol_car.pk], by=city.dispatcher
    ).execute()
    assert Assignment.objects.filter(incident=b1_incident).count() == 2


def test_a_unit_factory_unit_is_available_by_default(city):
    unit = UnitFactory(organization=city.station_a1)
    assert unit.status == UnitStatus.AVAILABLE


def test_it_detects_the_newest_entries_deleted(city, call_data):
    # A shorter chain still links up; only the head (count and last hash) shows the tail is gone.
    entries = _audited_history(city, call_data)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id>=%s", [entries[-2].pk])
    checked, bad, reason = verify_chain()
    assert checked == len(entries) - 2
    assert bad is not None and bad.pk == entries[-3].pk
    assert "newest entries were deleted" in reason
    with pytest.raises(CommandError, match="newest entries were deleted"):
        call_command("audit", "verify")

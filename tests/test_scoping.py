"""Reads are scoped: a station sees its jurisdiction, a branch its stations, the command centre all.

The outsider (冀州镇派出所) must be denied at every endpoint and page for an incident in 河西.
"""

import json

import pytest

from anmin.core.models import AuditEntry
from anmin.dispatch.actions import AdvanceAssignment, DispatchUnits
from anmin.dispatch.models import Assignment, Unit, UnitStatus
from anmin.incidents.actions import ReceiveCall
from anmin.incidents.models import Incident
from anmin.org.models import Role
from tests.conftest import B1_POINT
from tests.factories import OfficerFactory


def post(client, url, data):
    return client.post(url, json.dumps(data, ensure_ascii=False), content_type="application/json")


def receive(city, call_data, **overrides) -> Incident:
    incident, _ = ReceiveCall(by=city.dispatcher, data={**call_data, **overrides}, force_new=True).execute()
    return incident


@pytest.fixture
def hexi(city, call_data) -> Incident:
    """An incident in 河西, with 河西01 sent to it."""
    incident = receive(city, call_data)
    DispatchUnits(incident=incident, unit_ids=[city.patrol_car.pk], by=city.dispatcher).execute()
    incident.refresh_from_db()
    return incident


@pytest.fixture
def jizhou(city, call_data) -> Incident:
    return receive(city, call_data, lat=B1_POINT[0], lon=B1_POINT[1], category="0110", address="冀州区长安路 8 号")


@pytest.fixture
def branch_leader(city):
    return OfficerFactory(username="taocheng_leader", organization=city.branch_a, role=Role.LEADER)


def _state(incident):
    incident.refresh_from_db()
    return (
        incident.status,
        incident.call_count,
        Assignment.objects.count(),
        AuditEntry.objects.count(),
        sorted(Unit.objects.values_list("pk", "status", "lat", "lon", "current_incident_id")),
    )


def _assert_404_json(response):
    assert response.status_code == 404, (response.status_code, response.content[:300])
    item = response.json()["detail"][0]
    assert item["code"] == "not_found"
    assert "131102" not in response.content.decode()  # nothing of the incident leaks


# --- the API --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("get", "/api/v1/incidents/{i}", None),
        ("get", "/api/v1/incidents/{i}/caller", None),
        ("get", "/api/v1/incidents/{i}/recommendations", None),
        ("post", "/api/v1/incidents/{i}/dispatch", {"unit_ids": ["{own}"]}),
        ("post", "/api/v1/incidents/{i}/cancel", {"reason": "误报"}),
        ("post", "/api/v1/incidents/{i}/reopen", {"reason": "再次来电"}),
        ("post", "/api/v1/units/{u}/status", {"status": "en_route"}),
        ("post", "/api/v1/units/{u}/status", {"status": "offline"}),
        ("post", "/api/v1/units/{u}/position", {"lat": 37.5, "lon": 115.5}),
        ("post", "/api/v1/units/{u}/feedback", {"result": "handled", "text": "处置完毕"}),
    ],
)
def test_it_denies_the_outsider_every_api_endpoint(city, hexi, method, path, payload):
    url = path.format(i=hexi.pk, u=city.patrol_car.pk)
    client = city.api(city.outsider)
    before = _state(hexi)
    if method == "get":
        response = client.get(url)
    else:
        body = json.loads(json.dumps(payload).replace('"{own}"', str(city.outsider_car.pk)))
        response = post(client, url, body)
    _assert_404_json(response)
    assert _state(hexi) == before


def test_it_denies_the_outsider_merging_into_a_hexi_incident(city, hexi, call_data):
    before = _state(hexi)
    response = post(city.api(city.outsider), "/api/v1/incidents", {**call_data, "merge_into": hexi.pk})
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "merge_into"
    assert hexi.number not in response.content.decode()
    assert _state(hexi) == before


def test_it_does_not_reveal_other_stations_incidents_as_repeat_candidates(city, hexi, call_data):
    response = post(city.api(city.outsider), "/api/v1/incidents", call_data)
    assert hexi.number not in response.content.decode()


def test_it_does_not_offer_other_stations_incidents_on_the_intake_page(city, hexi, call_data):
    response = city.login(city.outsider).post("/intake/", call_data)
    assert hexi.number not in response.content.decode()


def test_it_leaves_hexi_incidents_out_of_the_outsiders_lists(city, hexi, jizhou):
    client = city.api(city.outsider)
    incidents = client.get("/api/v1/incidents").json()
    assert [row["id"] for row in incidents] == [jizhou.pk]
    assert hexi.pk not in [row["id"] for row in client.get("/api/v1/incidents", {"status": "dispatched"}).json()]
    units = client.get("/api/v1/units").json()
    assert [row["id"] for row in units] == [city.outsider_car.pk]


# --- pages ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "/incidents/{i}/", None),
        ("get", "/incidents/{i}/panel/", None),
        ("post", "/incidents/{i}/dispatch/", {"unit_ids": ["{own}"]}),
        ("post", "/incidents/{i}/cancel/", {"reason": "误报"}),
        ("post", "/incidents/{i}/reopen/", {"reason": "再次来电"}),
        ("post", "/incidents/{i}/reveal/", {}),
    ],
)
def test_it_denies_the_outsider_every_incident_page(city, hexi, method, path, data):
    client = city.login(city.outsider)
    url = path.format(i=hexi.pk)
    before = _state(hexi)
    if method == "get":
        response = client.get(url)
    else:
        data = {k: ([str(city.outsider_car.pk)] if v == ["{own}"] else v) for k, v in data.items()}
        response = client.post(url, data)
    assert response.status_code == 404
    assert hexi.number not in response.content.decode()
    assert _state(hexi) == before


def test_it_sends_anonymous_visitors_to_the_login_page(city, hexi):
    from django.test import Client

    for url in (f"/incidents/{hexi.pk}/", f"/incidents/{hexi.pk}/panel/", "/board/", "/intake/", "/m/"):
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/")


def test_it_shows_the_outsider_a_board_without_hexi_incidents(city, hexi, jizhou):
    client = city.login(city.outsider)
    response = client.get("/board/")
    assert response.status_code == 200
    assert hexi.number not in response.content.decode()
    queue = client.get("/board/queue/")
    assert queue.status_code == 200
    assert hexi.number not in queue.content.decode()
    assert jizhou.number in queue.content.decode()
    data = client.get("/board/map.json").json()
    assert [i["id"] for i in data["incidents"]] == [jizhou.pk]
    assert [u["id"] for u in data["units"]] == [city.outsider_car.pk]
    units = client.get("/board/units/")
    assert units.status_code == 200
    assert "河西01" not in units.content.decode()


def test_it_limits_the_outsiders_grid_to_their_jurisdiction(city, hexi):
    client = city.login(city.outsider)
    box = {"south": 37.0, "west": 115.0, "north": 38.5, "east": 116.5}
    cells = client.get("/board/grid.json", box).json()["cells"]
    assert cells
    assert {c["station"] for c in cells} == {"冀州镇派出所"}


def test_it_shows_the_intake_form_to_the_command_centre(city):
    response = city.login(city.dispatcher).get("/intake/")
    assert response.status_code == 200
    assert 'name="category"' in response.content.decode()


def test_it_shows_the_outsider_an_intake_form_without_hexi_incidents(city, hexi):
    client = city.login(city.outsider)
    response = client.get("/intake/")
    assert response.status_code == 200
    assert hexi.number not in response.content.decode()
    response = client.get(f"/intake/?last={hexi.pk}")
    assert response.status_code == 200
    assert hexi.number not in response.content.decode()


def test_it_shows_a_hexi_incident_to_its_branch_leader(city, hexi, jizhou, branch_leader):
    client = city.api(branch_leader)
    assert client.get(f"/api/v1/incidents/{hexi.pk}").status_code == 200
    ids = [row["id"] for row in client.get("/api/v1/incidents").json()]
    assert hexi.pk in ids
    assert jizhou.pk not in ids
    assert client.get(f"/api/v1/incidents/{jizhou.pk}").status_code == 404


def test_it_shows_a_hexi_incident_page_to_its_branch_leader(city, hexi, branch_leader):
    client = city.login(branch_leader)
    response = client.get(f"/incidents/{hexi.pk}/")
    assert response.status_code == 200
    assert hexi.number in response.content.decode()
    assert hexi.number in client.get("/board/").content.decode() + client.get("/board/queue/").content.decode()


def test_it_shows_everything_to_the_command_centre(city, hexi, jizhou):
    client = city.api(city.dispatcher)
    ids = {row["id"] for row in client.get("/api/v1/incidents").json()}
    assert {hexi.pk, jizhou.pk} <= ids
    assert client.get(f"/api/v1/incidents/{jizhou.pk}").status_code == 200
    assert {row["id"] for row in client.get("/api/v1/units").json()} == set(Unit.objects.values_list("pk", flat=True))
    page = city.login(city.dispatcher).get(f"/incidents/{jizhou.pk}/")
    assert page.status_code == 200


def test_it_lets_the_bureau_leader_see_everything(city, hexi, jizhou):
    ids = {row["id"] for row in city.api(city.leader).get("/api/v1/incidents").json()}
    assert {hexi.pk, jizhou.pk} <= ids


def test_it_lets_a_patrol_officer_operate_their_own_unit_only(city, hexi):
    client = city.api(city.patrol_officer)
    response = post(client, f"/api/v1/units/{city.patrol_car.pk}/status", {"status": "en_route"})
    assert response.status_code == 200
    assert response.json()["status"] == UnitStatus.DISPATCHED
    response = post(client, f"/api/v1/units/{city.patrol_car.pk}/position", {"lat": 37.736, "lon": 115.675})
    assert response.status_code == 200
    for path, payload in (
        ("status", {"status": "offline"}),
        ("position", {"lat": 37.5, "lon": 115.5}),
        ("feedback", {"result": "handled", "text": "x"}),
    ):
        _assert_404_json(post(client, f"/api/v1/units/{city.outsider_car.pk}/{path}", payload))
    city.outsider_car.refresh_from_db()
    assert city.outsider_car.status == UnitStatus.AVAILABLE
    assert (city.outsider_car.lat, city.outsider_car.lon) == (37.552, 115.58)


def test_it_lets_a_crew_member_of_another_station_operate_their_unit(city, hexi, jizhou):
    # The 冀州 crew member is sent (by the command centre) to a 河西 incident and works it from the phone.
    crew = city.outsider_car.members.get()
    DispatchUnits(incident=hexi, unit_ids=[city.outsider_car.pk], by=city.dispatcher).execute()
    client = city.api(crew)
    response = post(client, f"/api/v1/units/{city.outsider_car.pk}/status", {"status": "on_scene"})
    assert response.status_code == 200
    assert client.get(f"/api/v1/incidents/{hexi.pk}").status_code == 200  # sent there, so it is visible
    assert client.get(f"/api/v1/incidents/{jizhou.pk}").status_code == 200  # its own station's


def test_it_keeps_the_phone_page_to_the_officers_own_unit(city, hexi):
    client = city.login(city.patrol_officer)
    response = client.get("/m/")
    assert response.status_code == 200
    assert "河西01" in response.content.decode()
    # asking for another unit by id falls back to the officer's own
    response = client.get(f"/m/panel/?unit={city.outsider_car.pk}")
    assert response.status_code == 200
    assert "冀州01" not in response.content.decode()
    response = client.post("/m/panel/status/", {"status": "offline", "unit": str(city.outsider_car.pk)})
    city.outsider_car.refresh_from_db()
    assert city.outsider_car.status == UnitStatus.AVAILABLE


def test_it_gives_an_officer_without_a_unit_404_on_the_phone_panel(city):
    assert city.login(city.outsider).get("/m/panel/").status_code == 404


def test_it_refuses_the_board_to_a_patrol_officer(city):
    assert city.login(city.patrol_officer).get("/board/").status_code == 403
    assert city.login(city.patrol_officer).get("/intake/").status_code == 403


# --- visible_to -----------------------------------------------------------------------------


def test_visible_to_gives_a_station_its_jurisdiction(city, hexi, jizhou):
    assert list(Incident.objects.visible_to(city.station_officer)) == [hexi]
    assert list(Incident.objects.visible_to(city.patrol_officer)) == [hexi]
    assert list(Incident.objects.visible_to(city.outsider)) == [jizhou]


def test_visible_to_gives_a_branch_its_stations(city, hexi, jizhou, branch_leader, call_data):
    hedong = receive(city, call_data, lat=37.76, lon=115.70, category="0602")
    assert hedong.station == city.station_a2
    assert set(Incident.objects.visible_to(branch_leader)) == {hexi, hedong}
    assert set(Incident.objects.visible_to(city.station_officer)) == {hexi}


def test_visible_to_gives_the_bureau_and_command_centre_everything(city, hexi, jizhou):
    assert set(Incident.objects.visible_to(city.dispatcher)) == {hexi, jizhou}
    assert set(Incident.objects.visible_to(city.leader)) == {hexi, jizhou}


def test_visible_to_gives_nothing_to_anonymous_or_unplaced_users(city, hexi):
    from django.contrib.auth.models import AnonymousUser

    assert not Incident.objects.visible_to(AnonymousUser()).exists()
    assert not Incident.objects.visible_to(None).exists()
    homeless = OfficerFactory(username="homeless", organization=None, role=Role.DISPATCHER)
    assert not Incident.objects.visible_to(homeless).exists()
    assert not Unit.objects.visible_to(homeless).exists()


def test_visible_to_gives_a_superuser_everything(city, hexi, jizhou):
    admin = OfficerFactory(username="root", organization=None, is_superuser=True)
    assert set(Incident.objects.visible_to(admin)) == {hexi, jizhou}


def test_visible_to_does_not_confuse_a_station_with_one_whose_id_shares_a_prefix(city, hexi):
    # paths end in "/" so station /1/7/ never matches /1/70/
    assert city.station_a1.path.endswith("/")
    assert not Incident.objects.visible_to(city.outsider).filter(pk=hexi.pk).exists()


def test_it_shows_a_jizhou_incident_to_hexi_once_a_hexi_unit_is_sent(city, jizhou):
    assert not Incident.objects.visible_to(city.station_officer).filter(pk=jizhou.pk).exists()
    DispatchUnits(incident=jizhou, unit_ids=[city.patrol_car.pk], by=city.dispatcher).execute()
    assert Incident.objects.visible_to(city.station_officer).filter(pk=jizhou.pk).exists()
    assert city.api(city.station_officer).get(f"/api/v1/incidents/{jizhou.pk}").status_code == 200
    assert jizhou.pk in [r["id"] for r in city.api(city.station_officer).get("/api/v1/incidents").json()]
    # and it stays visible (for the record) after the unit's feedback
    AdvanceAssignment(unit=city.patrol_car, step="arrive", by=city.patrol_officer).execute()
    from anmin.dispatch.actions import SubmitFeedback

    SubmitFeedback(unit=city.patrol_car, result="handled", text="协助处置完毕", by=city.patrol_officer).execute()
    assert Incident.objects.visible_to(city.station_officer).filter(pk=jizhou.pk).exists()
    # visible_to must not duplicate rows when several of the station's units were sent
    assert Incident.objects.visible_to(city.station_officer).filter(pk=jizhou.pk).count() == 1


def test_unit_visibility_follows_the_organization_tree(city, branch_leader):
    assert set(Unit.objects.visible_to(city.station_officer)) == {city.patrol_car}
    assert set(Unit.objects.visible_to(branch_leader)) == {city.patrol_car, city.station_car}
    assert set(Unit.objects.visible_to(city.outsider)) == {city.outsider_car}
    assert set(Unit.objects.visible_to(city.dispatcher)) == set(Unit.objects.all())


def test_it_shows_but_does_not_let_a_helping_station_cancel_or_reopen(city, jizhou):
    # 河西's car helps in 冀州: 河西 sees the incident, but only 冀州 (or the command centre) commands it.
    DispatchUnits(incident=jizhou, unit_ids=[city.patrol_car.pk], by=city.dispatcher).execute()
    client = city.api(city.station_officer)
    assert client.get(f"/api/v1/incidents/{jizhou.pk}").status_code == 200
    response = post(client, f"/api/v1/incidents/{jizhou.pk}/cancel", {"reason": "误报"})
    assert response.status_code == 403
    jizhou.refresh_from_db()
    assert jizhou.status == Incident.Status.DISPATCHED
    assert post(city.api(city.outsider), f"/api/v1/incidents/{jizhou.pk}/cancel", {"reason": "误报"}).status_code == 200


def test_it_names_a_missing_or_bad_map_box_parameter(city):
    client = city.login(city.dispatcher)
    response = client.get("/board/grid.json", {"south": 37.7, "west": "abc", "north": 37.8, "east": 115.7})
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "west"
    response = client.get("/board/grid.json", {"south": 37.7, "west": 115.6, "north": "nan", "east": 115.7})
    assert response.json()["detail"][0]["field"] == "north"

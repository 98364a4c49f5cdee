"""The dispatch desk: a queue that puts 待派警 on top with counts, filters and search, and a
recommendation that never ticks a unit who cannot arrive in time while another can."""

import random
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from anmin.dispatch.consumers import groups_of
from anmin.dispatch.models import Unit, UnitKind
from anmin.dispatch.recommend import UnitSnapshot, eta_minutes, rank, recommend
from anmin.incidents.actions import ReceiveCall
from anmin.incidents.models import Incident, IncidentClass
from anmin.org.models import Role
from tests.conftest import A1_POINT, B1_POINT
from tests.factories import OfficerFactory

LAT, LON = 37.735, 115.675
STATION = "/1/5/"  # the incident's 派出所
OTHER = "/1/6/"  # a neighbouring 派出所
#: Degrees of latitude per kilometre.
KM = 1 / 111.2


def unit(uid, kind, km, path=OTHER, callsign=None):
    """A unit `km` kilometres north of the incident."""
    return UnitSnapshot(
        id=uid, callsign=callsign or f"U{uid}", kind=kind, lat=LAT + km * KM, lon=LON, org_path=path, org_name="某单位"
    )


def ranked(units, *, klass=IncidentClass.CRIMINAL, serious=False, target=5, limit=10):
    return rank(
        lat=LAT,
        lon=LON,
        klass=klass,
        serious=serious,
        station_path=STATION,
        units=units,
        limit=limit,
        road_factor=1.4,
        target_minutes=target,
    )


def ticked(recs) -> list[str]:
    return [r.callsign for r in recs if r.preselected]


# --- recommendation --------------------------------------------------------------------------


def test_the_issues_example_a_near_post_outranks_a_far_post_of_the_responsible_station():
    # A dispute: the station's own foot posts are 1.8–4.9 km away on foot (30–82 minutes), a
    # neighbouring station's post stands 100 m from the caller.
    units = [
        unit(16, UnitKind.FOOT, 1.8, path=STATION + "40/", callsign="站16"),
        unit(17, UnitKind.FOOT, 2.2, path=STATION + "41/", callsign="站17"),
        unit(18, UnitKind.FOOT, 3.3, path=STATION + "42/", callsign="站18"),
        unit(19, UnitKind.FOOT, 4.9, path=STATION + "43/", callsign="站19"),
        unit(24, UnitKind.FOOT, 0.1, path=OTHER + "50/", callsign="站24"),
    ]
    recs = ranked(units, klass=IncidentClass.DISPUTE)
    by_sign = {r.callsign: r for r in recs}
    assert eta_minutes(by_sign["站16"].eta_s) == 31 and eta_minutes(by_sign["站24"].eta_s) == 2
    assert [r.callsign for r in recs] == ["站24", "站16", "站17", "站18", "站19"]
    assert ticked(recs) == ["站24"]
    assert "在 5 分钟到场时限内" in by_sign["站24"].reason
    assert "先于超出时限的“纠纷警情：责任派出所”警力" in by_sign["站24"].reason
    assert "超出 5 分钟到场时限，排在能按时到达的警力之后" in by_sign["站16"].reason
    assert by_sign["站16"].meets_target is False and by_sign["站24"].meets_target is True


def test_a_rules_unit_that_is_in_time_still_comes_first():
    units = [
        unit(1, UnitKind.STATION_CAR, 1.5, path=STATION),  # 3.6 min: in time
        unit(2, UnitKind.PATROL_CAR, 0.2, path=OTHER),
    ]
    recs = ranked(units, klass=IncidentClass.DISPUTE)
    assert [r.unit_id for r in recs] == [1, 2]
    assert ticked(recs) == ["U1"]
    assert recs[0].rule == "纠纷警情：责任派出所"
    # the traffic rule likewise: a rider in time goes before a nearer car
    recs = ranked([unit(3, UnitKind.TRAFFIC, 1.5), unit(4, UnitKind.PATROL_CAR, 0.3)], klass=IncidentClass.TRAFFIC)
    assert [r.unit_id for r in recs] == [3, 4] and ticked(recs) == ["U3"]


def test_within_a_tier_the_nearer_unit_comes_first():
    units = [unit(1, UnitKind.FOOT, 1.8, path=STATION), unit(2, UnitKind.FOOT, 0.1, path=STATION)]
    for target in (None, 5):
        recs = ranked(units, klass=IncidentClass.DISPUTE, target=target)
        assert [r.unit_id for r in recs] == [2, 1]
        assert ticked(recs) == ["U2"]


def test_when_none_can_arrive_in_time_the_fastest_is_ticked():
    units = [
        unit(1, UnitKind.FOOT, 1.0, path=STATION),  # 17 min
        unit(2, UnitKind.PATROL_CAR, 6.0),  # 13 min
        unit(3, UnitKind.STATION_CAR, 9.0, path=STATION),  # 22 min
    ]
    recs = ranked(units, klass=IncidentClass.DISPUTE)
    assert all(r.meets_target is False for r in recs)
    assert [r.unit_id for r in recs] == [2, 1, 3]  # late: by ETA alone, the rule no longer counts
    assert ticked(recs) == ["U2"]


def test_serious_violence_ticks_the_pair_only_when_in_time():
    swat_near, swat_far = unit(1, UnitKind.SWAT, 2.0), unit(1, UnitKind.SWAT, 9.0)
    car_near, car_far = unit(2, UnitKind.PATROL_CAR, 1.0), unit(2, UnitKind.PATROL_CAR, 6.0)
    foot = unit(3, UnitKind.FOOT, 0.2)

    recs = ranked([swat_near, car_near, foot], serious=True)
    assert [r.unit_id for r in recs] == [1, 2, 3] and ticked(recs) == ["U1", "U2"]

    # 特警 late, the car in time: the car alone is ticked; 特警 stays listed on top, unticked.
    recs = ranked([swat_far, car_near, foot], serious=True)
    assert [r.unit_id for r in recs][:2] == [1, 2] and ticked(recs) == ["U2"]
    assert "超出 5 分钟到场时限" in recs[0].reason

    # 特警 in time, the nearest car late: the timely foot team takes the car's place.
    recs = ranked([swat_near, car_far, foot], serious=True)
    assert ticked(recs) == ["U1", "U3"]

    # nobody in time: the pair as the rule says.
    recs = ranked([swat_far, car_far], serious=True, target=1)
    assert ticked(recs) == ["U1", "U2"]


def test_without_a_target_the_rules_alone_decide():
    units = [unit(16, UnitKind.FOOT, 1.8, path=STATION), unit(24, UnitKind.FOOT, 0.1)]
    recs = ranked(units, klass=IncidentClass.DISPUTE, target=None)
    assert [r.unit_id for r in recs] == [16, 24]
    assert all(r.meets_target is None for r in recs)
    assert ticked(recs) == ["U16"]
    assert "时限" not in recs[0].reason


def test_it_never_ticks_a_late_unit_while_a_listed_unit_is_in_time():
    rng = random.Random(7)
    kinds = list(UnitKind)
    for case in range(300):
        units = [
            unit(i, rng.choice(kinds), rng.uniform(0.05, 12), path=rng.choice([STATION, STATION + "9/", OTHER]))
            for i in range(1, rng.randint(1, 25))
        ]
        klass = rng.choice(list(IncidentClass))
        serious = klass == IncidentClass.CRIMINAL and rng.random() < 0.5
        target = rng.choice([5, 10, 20])
        recs = ranked(units, klass=klass, serious=serious, target=target, limit=rng.randint(1, 10))
        if not recs:
            continue
        assert ticked(recs), case
        if any(r.meets_target for r in recs):
            assert all(r.meets_target for r in recs if r.preselected), case
        elif not serious:
            assert ticked(recs) == [min(recs, key=lambda r: r.eta_s).callsign], case
        # shown minutes agree with the verdict: "预计 5 分钟" is never late for a 5-minute target
        for r in recs:
            assert (eta_minutes(r.eta_s) <= target) == r.meets_target or abs(r.eta_s - target * 60) <= 1, case


@pytest.mark.parametrize("target", [None, 5])
def test_the_limit_keeps_the_best(target):
    units = [unit(i, UnitKind.PATROL_CAR, i * 0.4) for i in range(1, 30)]
    recs = ranked(units, target=target, limit=3)
    assert [r.unit_id for r in recs] == [1, 2, 3]


# --- the queue ---------------------------------------------------------------------------------------


def receive(city, call_data, minutes_ago=0.0, **overrides):
    at = timezone.now() - timedelta(minutes=minutes_ago)
    data = {**call_data, **overrides}
    return ReceiveCall(by=city.dispatcher, data=data, force_new=True, at=at).execute()[0]


def set_status(incident, status):
    Incident.objects.filter(pk=incident.pk).update(status=status)


def queue_ids(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'id="q-(\d+)"', response.content.decode())]


def badge_counts(response) -> dict[str, int]:
    found = re.findall(r'id="badge-([a-z_]+)"[^>]*>[^<]*<b class="n">(\d+)</b>', response.content.decode())
    return {name: int(n) for name, n in found}


@pytest.fixture
def desk_client(city):
    return city.login(city.dispatcher)


@pytest.fixture
def mixed_queue(city, call_data):
    """待派警 of three priorities and ages, one overdue with a unit on the way, others under way."""
    q = {}
    q["waiting_p3_old"] = receive(city, call_data, 30, priority=3)
    q["waiting_p1_new"] = receive(city, call_data, 1, priority=1)
    q["waiting_p1_old"] = receive(city, call_data, 2, priority=1)
    q["overdue_p2"] = receive(city, call_data, 9, priority=2)  # urban target: 5 minutes
    q["moving_p2"] = receive(city, call_data, 0.5, priority=2)
    q["arrived_p1"] = receive(city, call_data, 20, priority=1, category="0302")
    set_status(q["overdue_p2"], Incident.Status.DISPATCHED)
    set_status(q["moving_p2"], Incident.Status.EN_ROUTE)
    set_status(q["arrived_p1"], Incident.Status.ARRIVED)
    return q


def test_the_queue_puts_waiting_calls_first_then_the_overdue_then_the_rest(city, desk_client, mixed_queue):
    q = mixed_queue
    response = desk_client.get("/board/queue/")
    assert response.status_code == 200
    assert queue_ids(response) == [
        q["waiting_p1_old"].pk,  # 待派警, priority 1, oldest first
        q["waiting_p1_new"].pk,
        q["waiting_p3_old"].pk,  # 待派警 of a lower priority still above everything under way
        q["overdue_p2"].pk,  # then those past their arrival target
        q["arrived_p1"].pk,  # then the rest by priority and age
        q["moving_p2"].pk,
    ]
    # the board renders the same queue
    assert queue_ids(desk_client.get("/board/")) == queue_ids(response)


def test_the_queue_counts_each_status(city, desk_client, mixed_queue):
    counts = badge_counts(desk_client.get("/board/queue/"))
    assert counts == {
        "all": 6,
        "received": 3,
        "dispatched": 1,
        "en_route": 1,
        "arrived": 1,
        "resolved": 0,
        "overdue": 2,  # the dispatched one and the 30-minute-old call still waiting
    }


def test_the_badges_filter_and_keep_the_other_filters(city, desk_client, mixed_queue):
    q = mixed_queue
    response = desk_client.get("/board/queue/", {"status": "received"})
    assert queue_ids(response) == [q["waiting_p1_old"].pk, q["waiting_p1_new"].pk, q["waiting_p3_old"].pk]
    assert badge_counts(response)["all"] == 6  # the counts do not depend on the status chosen
    response = desk_client.get("/board/queue/", {"status": "overdue"})
    assert set(queue_ids(response)) == {q["overdue_p2"].pk, q["waiting_p3_old"].pk}
    # each badge links to the board with its status and the filters in force
    response = desk_client.get("/board/queue/", {"klass": "traffic"})
    body = response.content.decode()
    assert 'href="?klass=traffic&amp;status=arrived"' in body or 'href="?status=arrived&amp;klass=traffic"' in body
    assert queue_ids(response) == [q["arrived_p1"].pk]
    assert badge_counts(response) == {
        "all": 1,
        "received": 0,
        "dispatched": 0,
        "en_route": 0,
        "arrived": 1,
        "resolved": 0,
        "overdue": 0,
    }


def test_the_queue_filters_by_station_by_its_code(city, desk_client, call_data):
    here = receive(city, call_data)
    there = receive(city, call_data, lat=B1_POINT[0], lon=B1_POINT[1])
    response = desk_client.get("/board/queue/", {"station": city.station_b1.code})
    assert queue_ids(response) == [there.pk]
    assert queue_ids(desk_client.get("/board/queue/", {"station": city.station_a1.code})) == [here.pk]
    # the board's station list holds the stations the user may see, by code, never by id
    page = desk_client.get("/board/").content.decode()
    assert f'value="{city.station_b1.code}"' in page and city.station_b1.name in page
    assert f'<option value="{city.station_b1.pk}"' not in page


def test_a_station_may_filter_only_by_stations_it_sees(city, call_data):
    receive(city, call_data)
    client = city.login(city.station_officer)
    page = client.get("/board/").content.decode()
    assert city.station_a1.code in page and city.station_b1.code not in page
    response = client.get("/board/queue/", {"station": city.station_b1.code})
    assert response.status_code == 400
    assert 'data-field="station"' in response.content.decode()
    assert "派出所：不是可选的派出所" in response.content.decode()


def test_it_searches_by_number_address_and_caller_phone(city, desk_client, call_data):
    first = receive(city, call_data, caller_phone="13812345678", address="桃城区人民路 100 号")
    second = receive(city, call_data, caller_phone="13900001111", address="桃城区胜利路 8 号")
    assert queue_ids(desk_client.get("/board/queue/", {"q": "胜利路"})) == [second.pk]
    assert queue_ids(desk_client.get("/board/queue/", {"q": first.number[-6:]})) == [first.pk]
    # a number matches in full through its blind index (also typed with dashes), and is shown masked
    for typed in ("13812345678", "138-1234-5678"):
        response = desk_client.get("/board/queue/", {"q": typed})
        body = response.content.decode()
        assert queue_ids(response) == [first.pk], typed
        # the number is in the badges' links only as what was typed; the result shows it masked
        items = re.sub(r'<nav class="queue-badges".*?</nav>', "", body, flags=re.S)
        assert '<span class="caller">138****5678</span>' in items
        assert "13812345678" not in items
    # a fragment of a number is not a number: ciphertext has no substrings
    assert queue_ids(desk_client.get("/board/queue/", {"q": "1381234"})) == []
    assert "没有符合条件的警情" in desk_client.get("/board/queue/", {"q": "1381234"}).content.decode()


def test_a_phone_search_finds_numbers_indexed_under_an_older_key(city, desk_client, call_data, settings):
    from anmin.core import keys

    incident = receive(city, call_data, caller_phone="13812345678")
    # A rotation has begun: a new key comes first, the row still carries the old key's index.
    settings.DATA_KEY = f"{keys.new_key()},{settings.DATA_KEY}"
    keys.reset()
    try:
        assert queue_ids(desk_client.get("/board/queue/", {"q": "13812345678"})) == [incident.pk]
    finally:
        settings.DATA_KEY = settings.DATA_KEY.split(",", 1)[1]
        keys.reset()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "bogus"}, "status"),
        ({"status": "reported"}, "status"),  # closed incidents are not on the desk
        ({"station": "999999999999"}, "station"),
        ({"station": "'; drop table"}, "station"),
        ({"klass": "murder"}, "klass"),
        ({"q": "x" * 41}, "q"),
        ({"q": "a\x00b"}, "q"),
    ],
)
def test_it_names_a_bad_filter_value_and_still_shows_the_queue(city, desk_client, call_data, params, field):
    incident = receive(city, call_data)
    for url in ("/board/queue/", "/board/"):
        response = desk_client.get(url, params)
        body = response.content.decode()
        assert response.status_code == 400, (url, params)
        assert f'id="queue-error" data-field="{field}"' in body, (url, params)
        assert incident.number in body  # the other filters (none here) still apply


def test_a_commanders_queue_carries_the_alert_state_and_no_one_elses(city, desk_client, call_data):
    waiting = receive(city, call_data)
    late = receive(city, call_data, 9)
    set_status(late, Incident.Status.DISPATCHED)
    # the alert state covers the whole scope, whatever the filter shows
    body = desk_client.get("/board/queue/", {"klass": "traffic"}).content.decode()
    state = re.search(r'id="queue-state" hidden data-waiting="([0-9,]*)" data-overdue="([0-9,]*)"', body)
    assert state.group(1) == str(waiting.pk) and state.group(2) == str(late.pk)
    board = desk_client.get("/board/").content.decode()
    assert 'data-alerts="on"' in board and 'id="alert-sound"' in board and "dispatch/chime.wav" in board
    assert "开启桌面提醒" in board
    # a statistician of the bureau sees the board but commands nothing: no alert
    statistician = OfficerFactory(organization=city.command, role=Role.STATISTICIAN)
    viewer = city.login(statistician)
    assert 'id="queue-state"' not in viewer.get("/board/queue/").content.decode()
    board = viewer.get("/board/").content.decode()
    assert 'data-alerts="on"' not in board and 'id="alert-sound"' not in board


def test_the_chime_is_a_small_two_tone_wav():
    import wave

    from anmin.dispatch.chime import PATH, RATE

    assert PATH.stat().st_size < 30 * 1024
    with wave.open(str(PATH)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, RATE)
        assert 0.5 <= w.getnframes() / RATE <= 1.0


def test_the_board_shows_no_grid_cell_index(city, desk_client, call_data):
    incident = receive(city, call_data)
    for url in ("/board/", "/board/queue/", f"/incidents/{incident.pk}/panel/", f"/incidents/{incident.pk}/"):
        body = desk_client.get(url).content.decode()
        assert incident.grid_cell_id not in body, url
    assert "城区" in desk_client.get(f"/incidents/{incident.pk}/panel/").content.decode()


# --- the panel's recommendation ------------------------------------------------------------------------


def checked_callsigns(body: str) -> list[str]:
    found = re.findall(
        r'<input type="checkbox" name="unit_ids" value="\d+"( checked)?>.*?<strong>([^<]+)</strong>', body, re.S
    )
    return [sign for mark, sign in found if mark]


def test_the_panel_ticks_the_unit_that_arrives_in_time(city, desk_client, call_data):
    # the dispute's own station car is 3 km away (7 minutes), a neighbour's car 100 m away
    Unit.objects.filter(pk=city.patrol_car.pk).update(lat=A1_POINT[0] + 27 * KM, lon=A1_POINT[1])
    Unit.objects.filter(pk=city.station_car.pk).update(lat=A1_POINT[0] + 0.1 * KM, lon=A1_POINT[1])
    dispute = receive(city, call_data, category="0601")
    body = desk_client.get(f"/incidents/{dispute.pk}/panel/").content.decode()
    assert checked_callsigns(body) == ["河东01"]
    assert body.index("河东01") < body.index("河西01")
    assert "超出 5 分钟到场时限" in body
    assert 'id="none-in-time"' not in body
    assert 'id="dispatch-button"' in body and 'form="dispatch-form"' in body


def test_the_panel_says_when_no_unit_can_arrive_in_time(city, desk_client, call_data):
    for unit in (city.patrol_car, city.station_car, city.swat_team, city.traffic_rider):
        Unit.objects.filter(pk=unit.pk).update(lat=A1_POINT[0] + 0.2, lon=A1_POINT[1])  # 22 km away
    Unit.objects.filter(pk=city.traffic_rider.pk).update(lat=A1_POINT[0] + 0.15)
    incident = receive(city, call_data, category="0110")
    body = desk_client.get(f"/incidents/{incident.pk}/panel/").content.decode()
    assert "无警力可在 5 分钟内到达" in body
    fastest = min(recommend(incident, city.dispatcher), key=lambda r: r.eta_s)
    assert checked_callsigns(body) == [fastest.callsign]


def test_keyboard_keys_are_listed_on_the_board(city, desk_client, call_data):
    incident = receive(city, call_data)
    board = desk_client.get("/board/").content.decode()
    for key in ("<kbd>J</kbd>", "<kbd>K</kbd>", "<kbd>1</kbd>", "<kbd>9</kbd>", "<kbd>Enter</kbd>", "<kbd>/</kbd>"):
        assert key in board
    panel = desk_client.get(f"/incidents/{incident.pk}/panel/").content.decode()
    assert re.search(r"<kbd class=\"rec-key\"[^>]*>1</kbd>", panel)


# --- the live channel ----------------------------------------------------------------------------------


def test_the_live_channel_admits_leaders_and_commanders_and_not_the_administrators(city):
    root = f"org-{city.bureau.pk}"
    assert groups_of(city.leader) == [root]
    assert groups_of(city.dispatcher) == [root]
    statistician = OfficerFactory(organization=city.bureau, role=Role.STATISTICIAN)
    assert groups_of(statistician) == [root]
    assert groups_of(city.station_officer) == [f"org-{city.station_a1.pk}"]
    assert groups_of(city.patrol_officer) == [f"org-{city.station_a1.pk}", f"unit-{city.patrol_car.pk}"]
    for role in (Role.SECURITY_ADMIN, Role.AUDITOR):
        assert groups_of(OfficerFactory(organization=city.bureau, role=role)) == []
    assert groups_of(OfficerFactory(organization=None, role=Role.STATION)) == []

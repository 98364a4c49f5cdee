"""The dispatch desk: a queue that puts 待派警 on top with counts, filters and search, and a
recommendation that never ticks a unit who cannot arrive in time while another can."""

import random

import pytest

from anmin.dispatch.models import UnitKind
from anmin.dispatch.recommend import UnitSnapshot, eta_minutes, rank
from anmin.incidents.models import IncidentClass

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

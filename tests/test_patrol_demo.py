"""The demo's patrol part: today's plans and the last shift's tracks, with real coverage figures."""

from datetime import timedelta

import h3
import pytest
from django.utils import timezone

from anmin.core.errors import ActionError
from anmin.demo import patrol as demo_patrol
from anmin.geo.models import GridCell
from anmin.patrol import queries
from anmin.patrol.actions import RecordTrack
from anmin.patrol.models import PatrolPlan, PositionFix
from tests.conftest import A1_POINT
from tests.patrol_helpers import incident


def test_the_demo_plans_todays_shifts_and_tracks_the_last_one(city):
    centre = GridCell.objects.get(pk=h3.latlng_to_cell(*A1_POINT, 8))
    ring = sorted(set(h3.grid_disk(centre.h3, 1)) - {centre.h3})
    now = timezone.now()
    for i in range(60):
        when = now - timedelta(hours=5 * i + 3)
        incident(centre if i % 3 else GridCell.objects.get(pk=ring[i % 6]), when)
        incident(GridCell.objects.get(pk=ring[(i + 2) % 6]), when, "0201")
    line = demo_patrol.build(now)
    assert "河西派出所" in line and "巡逻方案" in line
    plans = list(PatrolPlan.objects.filter(unit=city.patrol_car).order_by("shift_start"))
    assert len(plans) == 3  # the last finished shift and today's two
    past = [p for p in plans if p.shift_end <= now]
    assert len(past) == 1
    (row,) = queries.plans_coverage(past)
    assert 0 < row.result.visited < len(past[0].points)  # most points visited, one skipped
    assert row.result.distance_m > 0
    assert PositionFix.objects.filter(unit=city.patrol_car).count() == row.result.fixes


def test_a_track_with_a_bad_position_is_refused_whole(city):
    now = timezone.now()
    with pytest.raises(ActionError, match="坐标"):
        RecordTrack(unit=city.patrol_car, fixes=[(37.7, 115.6, now), (95.0, 115.6, now)]).execute()
    assert not PositionFix.objects.exists()

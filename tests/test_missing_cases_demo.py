"""The demo's missing-person part on the test city: the seed's night at a station with village
groups (found within the hour through a group member's answer), an open child case at 河西, and a
portal report that opens its own case."""

import pytest
from django.utils import timezone

from anmin.demo import missing_cases
from anmin.missing.broadcast_actions import SaveGroup
from anmin.missing.models import Clue, MissingCase, Send
from anmin.reports.models import MissingPersonReport
from tests.conftest import B1_POINT
from tests.matrix import committed


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    settings.MISSING_BROADCAST_TRANSPORT = "log"


def test_the_demo_tells_the_night_of_the_seed(city, citizen):
    SaveGroup(
        by=city.leader,
        data={
            "name": "冀州镇派出所北关村群",
            "kind": "wecom",
            "org": city.station_b1.code,
            "webhook_url": "http://127.0.0.1:9/hook",
            "lat": B1_POINT[0],
            "lon": B1_POINT[1],
            "radius_km": 2,
        },
    ).execute()
    with committed():
        line = missing_cases.build(timezone.now())
    assert line.startswith("走失人员：") and "村支书" in line
    night = MissingCase.objects.get(category=MissingCase.Category.ELDERLY, source=MissingCase.Source.OFFICER)
    assert night.station == city.station_b1 and night.status == MissingCase.Status.FOUND
    assert (night.found_at - night.created_at).total_seconds() < 3600
    assert timezone.localtime(night.last_seen_at).hour in (0, 1)
    assert Clue.objects.filter(case=night, source=Clue.Source.GROUP).exists()
    assert set(Send.objects.filter(case=night).values_list("kind", flat=True)) == {"alert", "thanks"}
    child = MissingCase.objects.get(category=MissingCase.Category.CHILD)
    assert child.status == MissingCase.Status.SEARCHING and child.station == city.station_a1
    report = MissingPersonReport.objects.get()
    assert MissingCase.objects.get(report=report).number == report.number

"""History and fixes for the patrol tests: incidents written as an import writes them (history is
not a 接警 action), position fixes through the patrol action."""

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from anmin.geo.models import GridCell
from anmin.incidents.models import Category, Incident

SH = ZoneInfo("Asia/Shanghai")
_numbers = itertools.count(1)


def at(text: str) -> datetime:
    """A local (Asia/Shanghai) time."""
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def incident(cell: GridCell, when: datetime, code: str = "0110") -> Incident:
    return Incident.objects.create(
        number=f"P{next(_numbers):010d}",
        received_at=when,
        category=Category.objects.get(code=code),
        address="测试地址",
        lat=cell.lat,
        lon=cell.lon,
        grid_cell=cell,
        station=cell.jurisdiction,
        area_type=cell.area_type,
        target_minutes=5,
        arrival_due_at=when + timedelta(minutes=5),
        status="reported",
        imported=True,
    )

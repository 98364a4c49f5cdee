"""警情研判: where and when the incidents patrol can prevent keep happening (hotspots).

A cell's score for a time band is a recency-weighted count of the band's incidents in it, plus a
little of its neighbours' (h3 `grid_disk` ring 1): crime concentrates at the same places week after
week, and a cell next to a hot one is warmer than its own few calls say. The weights are data
(`Params`), so what a score means can be read off a plan that stored them.

Classes counted (`PREVENTABLE`): 刑事 and 治安 — theft, robbery, burglary, fights, harassment and
disorder are what a visible patrol deters or interrupts. Traffic accidents belong to the traffic
police's posts, fires and 求助 are not deterred by a passing car, 纠纷 are mostly domestic (behind a
door a patrol does not pass) and 举报 are reports of things elsewhere.

Scores of the whole city are computed on demand and cached per process for the day and band
(`city_scores`): on the demo city's history (~30,000 incidents) one band takes well under a second
(see `anmin bench hotspots`), and a day's history changes what is hot by very little.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

import h3
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anmin.core.cache import TtlCache
from anmin.incidents.models import IncidentClass

#: 刑事 and 治安: see the module docstring for why only these.
PREVENTABLE = (IncidentClass.CRIMINAL, IncidentClass.PUBLIC_ORDER)

#: Scores of the whole city per (day, band, parameters), per process; a day's new calls wait for tomorrow.
score_cache = TtlCache("patrol-hotspots", ttl=6 * 3600)


@dataclass(frozen=True)
class Params:
    """How a score is made. `half_life_days`: an incident this many days old counts half;
    `window_days`: older ones are not read; `neighbour_weight`: the share of each ring-1
    neighbour's own score a cell adds to its own."""

    half_life_days: float = 28.0
    window_days: int = 365
    neighbour_weight: float = 0.2

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Band:
    """A time band: hours [start, end) of the day (end may wrap past midnight), on weekdays,
    weekends or every day (`weekend` None)."""

    start: int
    end: int
    weekend: bool | None = None

    @property
    def key(self) -> str:
        day = "all" if self.weekend is None else ("weekend" if self.weekend else "weekday")
        return f"{day}-{self.start:02d}-{self.end:02d}"

    @property
    def hours(self) -> frozenset[int]:
        span = (self.end - self.start) % 24 or 24
        return frozenset((self.start + i) % 24 for i in range(span))

    def holds(self, local: datetime) -> bool:
        if self.weekend is not None and (local.weekday() >= 5) != self.weekend:
            return False
        return local.hour in self.hours

    @property
    def label(self) -> str:
        day = {None: _("每天"), True: _("周末"), False: _("工作日")}[self.weekend]
        return _("%(day)s %(start)02d:00–%(end)02d:00") % {"day": day, "start": self.start, "end": self.end or 24}


#: The map's bands: six four-hour bands, on weekdays and on weekends.
BANDS: tuple[Band, ...] = tuple(Band(h, (h + 4) % 24, w) for w in (False, True) for h in range(0, 24, 4))
BAND_KEYS = {b.key: b for b in BANDS}


def band_of(moment: datetime) -> Band:
    """The map's band holding a moment (in local time)."""
    local = timezone.localtime(moment)
    return next(b for b in BANDS if b.holds(local))


def raw_scores(events: Iterable[tuple[str, datetime]], now: datetime, band: Band | None, params: Params) -> dict:
    """Recency-weighted counts per cell of the events (cell, moment) in the band before `now`."""
    raw: dict[str, float] = defaultdict(float)
    since = now - timedelta(days=params.window_days)
    day_s = 86400.0
    for cell, moment in events:
        if not since <= moment <= now:
            continue
        if band is not None and not band.holds(timezone.localtime(moment)):
            continue
        age_days = (now - moment).total_seconds() / day_s
        raw[cell] += 0.5 ** (age_days / params.half_life_days)
    return raw


def smooth(raw: dict[str, float], params: Params, cells: set[str] | None = None) -> dict[str, float]:
    """Each cell's own score plus `neighbour_weight` × each ring-1 neighbour's; only `cells` (the
    grid) receive a score when given, so nothing is painted outside the city."""
    out: dict[str, float] = defaultdict(float)
    w = params.neighbour_weight
    for cell, value in raw.items():
        if cells is None or cell in cells:
            out[cell] += value
        if w:
            for other in h3.grid_disk(cell, 1):
                if other != cell and (cells is None or other in cells):
                    out[other] += w * value
    return dict(out)


def scores(events, now: datetime, band: Band | None = None, params: Params = Params(), cells=None) -> dict:
    """Hotspot score per cell: see the module docstring."""
    return smooth(raw_scores(events, now, band, params), params, cells)


def load_events(now: datetime, params: Params) -> list[tuple[str, datetime]]:
    """The preventable incidents of the window before `now`: (grid cell, received at)."""
    from anmin.incidents.models import Incident

    since = now - timedelta(days=params.window_days)
    return list(
        Incident.objects.filter(
            received_at__gte=since, received_at__lte=now, category__klass__in=PREVENTABLE
        ).values_list("grid_cell_id", "received_at")
    )


def city_scores(band: Band | None, day: date | None = None, params: Params = Params()) -> dict[str, float]:
    """Scores of every grid cell for a band, as of the end of `day` (today by default); cached per
    process and day. Read through `visible_scores` to keep them within what a user may see."""
    from anmin.geo.models import GridCell

    day = day or timezone.localdate()

    def load() -> dict[str, float]:
        end = timezone.make_aware(datetime.combine(day + timedelta(days=1), datetime.min.time()))
        end = min(end, timezone.now())
        cells = set(GridCell.objects.values_list("h3", flat=True))
        return scores(load_events(end, params), end, band, params, cells)

    return score_cache.get((day, band.key if band else "", params), load)

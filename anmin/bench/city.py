"""The bench city: the demo city grown to a city-sized force, where calls come from, and 警力推荐
timed as production runs it.

These functions run inside a subprocess on the benchmark's own database (see `django_json` in
`anmin.bench.api`), never on the database of the process that runs `anmin bench`.

* `grow_fleet` — the demo city has about 160 units; a Hengshui-sized force has about 1,000. The
  recommendation reads every available unit the user may command, so its cost follows the size of
  the force: it is timed against 1,000. New units copy the mix of kinds and organizations of the
  demo's own units and stand within a kilometre or two of one of them, so the 交警/特警/责任派出所
  rules find the same kinds of candidates they find in the demo.
* `call_places` — grid-cell centres weighted as calls are (most from the urban district, fewer
  from the suburbs, few from the villages), so the generated calls land in real jurisdictions.
* `time_recommend` — `recommend(incident, user)` exactly as the dispatch page and the API call it:
  the scoped units query and the ranking, for the command centre (every unit) and for a station
  commander (the units of the station's subtree only).
"""

import random
import time
from typing import Any

from anmin.bench import summarize_ms

SEED = 2026
FLEET_UNITS = 1000
#: Share of calls by area type: a city's calls come mostly from its urban district.
AREA_WEIGHTS = {"urban": 70, "suburban": 20, "rural": 10}
#: Recommendations before timing starts: translation catalogs and the connection warm up first.
WARMUP_CALLS = 20
#: The demo's logins whose recommendations are timed: the city's command centre and one station.
RECOMMEND_USERS = ("dispatcher", "station")


def grow_fleet(total: int = FLEET_UNITS, *, seed: int = SEED) -> dict[str, int]:
    """Add units until the force has `total`; return how many there were and how many were added."""
    from anmin.dispatch.models import Unit, UnitStatus

    rng = random.Random(seed)
    existing = list(Unit.objects.values_list("kind", "organization_id", "lat", "lon"))
    before = len(existing)
    if not existing:
        raise ValueError("the database has no units to copy (build the demo city first)")
    missing = max(0, total - before)
    stamp = int(time.time()) % 100_000
    Unit.objects.bulk_create(
        (
            Unit(
                callsign=f"压测{stamp:05d}-{i:04d}",
                kind=kind,
                organization_id=org,
                status=UnitStatus.AVAILABLE,
                lat=round(lat + rng.gauss(0, 0.01), 6),
                lon=round(lon + rng.gauss(0, 0.012), 6),
            )
            for i, (kind, org, lat, lon) in enumerate(rng.choice(existing) for _ in range(missing))
        ),
        batch_size=500,
    )
    return {"units_before": before, "units_added": missing, "units": Unit.objects.count()}


def call_places(count: int = 2000, *, seed: int = SEED) -> list[list[float]]:
    """`count` [lat, lon] grid-cell centres, drawn with the weights of `AREA_WEIGHTS`."""
    from anmin.geo.models import GridCell

    rng = random.Random(seed)
    by_area: dict[str, list[tuple[float, float]]] = {}
    for area, lat, lon in GridCell.objects.values_list("area_type", "lat", "lon"):
        by_area.setdefault(area, []).append((lat, lon))
    areas = [a for a in AREA_WEIGHTS if by_area.get(a)]
    if not areas:
        raise ValueError("the database has no grid cells (build the demo city first)")
    weights = [AREA_WEIGHTS[a] for a in areas]
    return [list(rng.choice(by_area[rng.choices(areas, weights)[0]])) for _ in range(count)]


def time_recommend(calls: int = 500, *, seed: int = SEED) -> dict[str, Any]:
    """Time `recommend(incident, user)` over the open incidents each user may see."""
    from anmin.dispatch.models import Unit, UnitStatus
    from anmin.dispatch.recommend import recommend
    from anmin.incidents.models import Incident
    from anmin.org.models import Officer

    rng = random.Random(seed)
    result: dict[str, Any] = {
        "units": Unit.objects.count(),
        "units_available": Unit.objects.filter(status=UnitStatus.AVAILABLE).count(),
    }
    for username in RECOMMEND_USERS:
        user = Officer.objects.filter(username=username).first()
        if user is None:
            result[username] = {"skipped": f"no user {username!r}"}
            continue
        incidents = list(
            Incident.objects.visible_to(user).open().select_related("category", "station").order_by("-id")[:calls]
        )
        if not incidents:
            result[username] = {"skipped": "no open incident this user may see"}
            continue
        picks = [rng.choice(incidents) for _ in range(calls)]
        for incident in picks[:WARMUP_CALLS]:
            recommend(incident, user)
        samples = []
        returned = 0
        for incident in picks:
            start = time.perf_counter()
            returned += len(recommend(incident, user))
            samples.append(time.perf_counter() - start)
        stats = summarize_ms(samples)
        result[username] = {
            "count": stats["count"],
            "p50_ms": stats["p50_ms"],
            "p99_ms": stats["p99_ms"],
            "max_ms": stats["max_ms"],
            "units_in_scope": Unit.objects.visible_to(user).filter(status=UnitStatus.AVAILABLE).count(),
            "recommended_per_call": round(returned / len(picks), 1),
        }
    return result

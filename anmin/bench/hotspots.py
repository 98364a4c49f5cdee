"""`anmin bench hotspots`: does the hotspot score predict where next week's incidents happen?

What is measured and why: a patrol plan sends units to the cells the hotspot score ranks highest
(anmin.patrol.hotspots). That is worth doing only if those cells hold more of next week's
incidents than a simpler guess would put there. The measure is the **Predictive Accuracy Index**
(Chainey, Tompson & Uhlig 2008): PAI = (share of the week's incidents in the flagged cells) ÷
(share of the area flagged), 1 being no better than flagging cells at random.

* **history** — generated, not the demo city's: the demo draws every call's place independently
  from one fixed distribution (no place gets hotter or cooler, no call makes another nearby more
  likely), so any method that averages enough weeks wins there and the comparison says nothing.
  The history here has the structure the criminology of place finds in real data: a few places
  persistently hot (cell rates heavy-tailed, lognormal), rates that drift from week to week, and
  near-repeats (each incident raises the expected count of its cell, and a little of its
  neighbours', for the next weeks, decaying by half a week). `weeks` weeks over the H3 cells
  within 12 rings of the city centre (469 cells at the grid's resolution, ≈ 350 km²), about
  `per_week` preventable incidents a week.
* **evaluation** — each of the last `held_out` weeks is predicted from the weeks before it only:
  the hotspot score as of the week's first moment (its recency weighting and smoothing, every
  hour of the week) against the naive baseline, last week's counts per cell. For k = 1 % and 5 %
  of the cells (as data: `K_PERCENT`), the top cells are flagged (ties broken by the cell key, the
  same for both) and the week's hit rate and PAI computed; cell areas are the H3 cells' own.
* **speed** — one band's scores over a year of 30,000 incidents (the demo city's size), the
  pure computation `city_scores` caches per day (the database read in front of it is one query).

Targets: the mean PAI of the hotspot score ≥ the baseline's at every k (the command exits
non-zero otherwise); scoring a year of 30,000 incidents ≤ 2 s.
"""

import math
import random
import time
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import h3

from anmin.bench import Result, machine, target
from anmin.patrol import hotspots

SEED = 1409
K_PERCENT = (1, 5)
CENTRE = (37.735, 115.675)
RINGS = 12
RESOLUTION = 8
START = datetime(2025, 1, 6, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday
#: Near-repeat: each incident adds this to its cell's expected count next week (each of the six
#: neighbours a sixth of it), halving every week after: 0.12 × 2 × 2 = 0.48 follow-up incidents per
#: incident in all, below 1, so the history does not explode.
REPEAT_BOOST = 0.12
REPEAT_DECAY = 0.5
DRIFT_SIGMA = 0.12


def pai(flagged: set[str], counts: Counter, area: dict[str, float]) -> tuple[float, float]:
    """(hit rate, PAI) of the flagged cells for one period's incident counts per cell."""
    total = sum(counts.values())
    if not total or not flagged:
        return 0.0, 0.0
    hit = sum(counts[c] for c in flagged) / total
    area_share = sum(area[c] for c in flagged) / sum(area.values())
    return hit, hit / area_share


def top(scores: dict[str, float], cells: list[str], n: int) -> set[str]:
    """The n cells with the highest score (missing scores count 0; ties by the cell key)."""
    return set(sorted(cells, key=lambda c: (-scores.get(c, 0.0), c))[:n])


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:  # normal approximation, exact enough for a rate this large
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def generate(weeks: int, per_week: int, seed: int = SEED) -> tuple[list[str], list[list[tuple[str, datetime]]]]:
    """The cells and, per week, its incidents (cell, moment): see the module docstring."""
    rng = random.Random(seed)
    cells = sorted(h3.grid_disk(h3.latlng_to_cell(*CENTRE, RESOLUTION), RINGS))
    base = {c: rng.lognormvariate(0, 1.3) for c in cells}
    scale = per_week / sum(base.values()) * 0.52  # the rest (≈ 0.48/(1 − 0.48)) are near-repeats
    rate = {c: base[c] * scale for c in cells}
    excitation: dict[str, float] = dict.fromkeys(cells, 0.0)
    history = []
    for week in range(weeks):
        start = START + timedelta(weeks=week)
        events = []
        counts = Counter()
        for c in cells:
            n = _poisson(rng, rate[c] + excitation[c])
            counts[c] += n
            for _ in range(n):
                events.append((c, start + timedelta(seconds=rng.uniform(0, 7 * 86400))))
        history.append(events)
        for c in cells:
            rate[c] *= math.exp(rng.gauss(0, DRIFT_SIGMA))
            excitation[c] *= REPEAT_DECAY
        for c, n in counts.items():
            if not n:
                continue
            excitation[c] += REPEAT_BOOST * n
            for other in h3.grid_ring(c, 1):
                if other in excitation:
                    excitation[other] += REPEAT_BOOST * n / 6
    return cells, history


def evaluate(cells: list[str], history: list, held_out: int, params: hotspots.Params) -> dict:
    """Per k: the mean hit rate and PAI of the hotspot score and of last week's counts."""
    area = {c: h3.cell_area(c) for c in cells}
    grid = set(cells)
    out = {k: {"method_hit": [], "method_pai": [], "baseline_hit": [], "baseline_pai": []} for k in K_PERCENT}
    first = len(history) - held_out
    for w in range(first, len(history)):
        now = START + timedelta(weeks=w)
        past = [e for week in history[:w] for e in week]
        score = hotspots.scores(past, now, None, params, grid)
        last_week = Counter(c for c, _t in history[w - 1])
        actual = Counter(c for c, _t in history[w])
        for k in K_PERCENT:
            n = max(1, round(len(cells) * k / 100))
            for name, ranking in (("method", score), ("baseline", last_week)):
                hit, index = pai(top(ranking, cells, n), actual, area)
                out[k][f"{name}_hit"].append(hit)
                out[k][f"{name}_pai"].append(index)
    return {k: {name: sum(v) / len(v) for name, v in series.items()} for k, series in out.items()}


def speed(incidents: int = 30_000) -> float:
    """Seconds to score one band over a year of `incidents` incidents on the generated grid."""
    rng = random.Random(SEED + 1)
    cells = sorted(h3.grid_disk(h3.latlng_to_cell(*CENTRE, RESOLUTION), RINGS * 3))
    weights = [rng.lognormvariate(0, 1.3) for _ in cells]
    now = START + timedelta(days=365)
    events = [
        (c, now - timedelta(seconds=rng.uniform(0, 365 * 86400))) for c in rng.choices(cells, weights, k=incidents)
    ]
    band = hotspots.BANDS[5]
    began = time.perf_counter()
    hotspots.scores(events, now, band, hotspots.Params(), set(cells))
    return time.perf_counter() - began


def run(*, weeks: int = 52, held_out: int = 26, per_week: int = 300) -> Result:
    params = hotspots.Params()
    cells, history = generate(weeks, per_week)
    results = evaluate(cells, history, held_out, params)
    seconds = speed()
    sections: dict = {
        "history": {
            "cells": len(cells),
            "weeks": weeks,
            "held_out_weeks": held_out,
            "incidents": sum(len(w) for w in history),
            "mean_per_week": round(sum(len(w) for w in history) / weeks, 1),
        }
    }
    targets = []
    for k, r in results.items():
        sections[f"top {k}% of cells"] = {
            "hotspot_hit_rate": round(r["method_hit"], 4),
            "hotspot_pai": round(r["method_pai"], 2),
            "baseline_hit_rate": round(r["baseline_hit"], 4),
            "baseline_pai": round(r["baseline_pai"], 2),
            "pai_ratio": round(r["method_pai"] / r["baseline_pai"], 2) if r["baseline_pai"] else None,
        }
        targets.append(
            target(
                f"hotspot PAI ≥ last week's counts at top {k}%",
                f"top {k}% of cells.hotspot_pai",
                ">=",
                round(r["baseline_pai"], 2),
                round(r["method_pai"], 2),
            )
        )
    sections["speed"] = {"score_30k_incidents_ms": round(seconds * 1000, 1)}
    targets.append(
        target(
            "one band over 30,000 incidents ≤ 2 s", "speed.score_30k_incidents_ms", "<=", 2000, round(seconds * 1000, 1)
        )
    )
    return {
        "bench": "hotspots",
        "machine": machine("none (pure computation)"),
        "params": {"weeks": weeks, "held_out": held_out, "per_week": per_week, "seed": SEED, **params.as_dict()},
        "results": sections,
        "targets": targets,
        "targets_met": all(t["met"] for t in targets),
    }

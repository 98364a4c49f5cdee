"""bench hotspots: the PAI computed right on a case with a known answer, and a small run reporting
every section (no timing asserted)."""

from collections import Counter

import pytest

from anmin.bench import BENCHMARKS
from anmin.bench.hotspots import evaluate, generate, pai, run, top
from anmin.patrol.hotspots import Params


def test_pai_is_the_hit_share_over_the_area_share():
    area = {"a": 1.0, "b": 1.0, "c": 1.0, "d": 1.0}  # four equal cells
    counts = Counter({"a": 6, "b": 2, "c": 2})  # ten incidents
    hit, index = pai({"a"}, counts, area)
    assert hit == pytest.approx(0.6)
    assert index == pytest.approx(0.6 / 0.25)  # 2.4
    assert pai({"a", "b", "c", "d"}, counts, area) == (pytest.approx(1.0), pytest.approx(1.0))  # everything: 1
    assert pai({"d"}, counts, area) == (0.0, 0.0)
    assert pai({"a"}, Counter(), area) == (0.0, 0.0)


def test_pai_weighs_cells_by_their_area():
    area = {"a": 1.0, "b": 3.0}
    hit, index = pai({"b"}, Counter({"b": 1, "a": 1}), area)
    assert (hit, index) == (pytest.approx(0.5), pytest.approx(0.5 / 0.75))


def test_flagging_takes_the_highest_scores_and_breaks_ties_by_key():
    cells = ["a", "b", "c", "d"]
    assert top({"c": 3.0, "a": 1.0, "b": 1.0}, cells, 2) == {"c", "a"}
    assert top({}, cells, 1) == {"a"}


def test_the_generated_history_is_the_same_for_the_same_seed():
    cells, weeks = generate(3, 50, seed=5)
    assert len(cells) == 469
    assert generate(3, 50, seed=5)[1] == weeks


def test_a_perfect_predictor_beats_last_week_on_a_constructed_history():
    # The same cell holds every incident of every week but one: the recency-weighted score keeps
    # it on top after the odd week, last week's counts lose it.
    from datetime import timedelta

    from anmin.bench.hotspots import START

    cells = ["8831aa5a31fffff", "8831aa5a33fffff", "8831aa5a35fffff", "8831aa5a37fffff"]
    hot, odd = cells[0], cells[3]
    history = [[(hot, START + timedelta(weeks=w, hours=1))] * 5 for w in range(6)]
    history[4] = [(odd, START + timedelta(weeks=4, hours=1))]
    result = evaluate(cells, history, 1, Params(neighbour_weight=0.0))  # predicts week 5 from weeks 0–4
    assert result[1]["method_hit"] == 1.0 and result[1]["baseline_hit"] == 0.0


def test_a_small_run_reports_every_section_and_target():
    assert "hotspots" in BENCHMARKS
    result = run(weeks=8, held_out=2, per_week=60)
    assert set(result["results"]) == {"history", "top 1% of cells", "top 5% of cells", "speed"}
    assert {t["name"] for t in result["targets"]} >= {"hotspot PAI ≥ last week's counts at top 1%"}
    assert result["results"]["history"]["held_out_weeks"] == 2

"""Statistics input: every query string of the statistics pages, exports, dashboard and API goes through
one form, and a bad value is a 400 naming its parameter — never a 500.

The three values that used to be 500s: `period=9999` (the end of its last day is past what a datetime
holds once converted to UTC), `period=0001&compare=yoy` (year 0) and `period=0001-01-01&compare=pop`
(the day before 1 January of year 1).
"""

import re

import pytest
from django.urls import reverse

from anmin.core.forms import MAX_ID

#: The values the issue reported, and what the message must name.
REPORTED = [
    ({"period": "9999"}, "period"),
    ({"period": "0001", "compare": "yoy"}, "period"),
    ({"period": "0001-01-01", "compare": "pop"}, "period"),
]
#: A period inside the years whose 同比 or 环比 would step out of them: refused naming compare.
AT_THE_EDGE = [
    ({"period": "1000", "compare": "yoy"}, "compare"),
    ({"period": "1000", "compare": "pop"}, "compare"),
    ({"period": "1000-Q1", "compare": "pop"}, "compare"),
    ({"period": "1000-01-01", "compare": "pop"}, "compare"),
    ({"period": "1000-02-27..1000-03-03", "compare": "yoy"}, "compare"),
    ({"period": "1000-W02", "compare": "pop"}, "compare"),  # week 1 began in 999
]
BAD = REPORTED + AT_THE_EDGE
PAGES = ["stats:builder", "stats:records", "xlsx", "pdf"]


def page_url(name: str) -> str:
    if name in ("xlsx", "pdf"):
        return reverse("stats:export", args=[name])
    return reverse(name)


def field_block(html: str, field: str) -> str:
    """The builder's block for one field: from its <label for=…> to the next field's label."""
    match = re.search(rf'<label for="{field}">.*?(?=<label for=|<div class="rank-field"|</details>)', html, re.S)
    assert match, field
    return match.group(0)


@pytest.mark.parametrize(("params", "field"), BAD)
@pytest.mark.parametrize("page", PAGES)
def test_it_rejects_a_period_out_of_range_on_every_page(city, page, params, field):
    response = city.login(city.leader).get(page_url(page), {"metric": "incidents", **params})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="stats-error" data-field="{field}"' in html
    error = response.context["error"]
    assert error.field == field and field in error.message
    if page != "stats:records":  # the builder again, the message beside the field
        assert 'id="stats-form"' in html
        assert 'id="stats-error"' in field_block(html, field)


def test_it_accepts_the_last_and_first_years(city):
    client = city.login(city.leader)
    for params in (
        {"period": "9998"},
        {"period": "9998-12-31", "compare": "yoy"},
        {"period": "1001", "compare": "yoy"},
    ):
        assert client.get(reverse("stats:builder"), params).status_code == 200, params
        assert city.api(city.leader).get("/api/v1/stats/report", params).status_code == 200, params


def test_the_period_message_says_which_years_are_allowed(city):
    response = city.login(city.leader).get(reverse("stats:builder"), {"period": "9999"})
    assert "period「9999」" in response.context["error"].message
    assert "1000" in response.context["error"].message and "9998" in response.context["error"].message
    edge = city.login(city.leader).get(reverse("stats:builder"), {"period": "1000", "compare": "yoy"})
    assert "1000年" in edge.context["error"].message and "同比" in edge.context["error"].message


@pytest.mark.parametrize(("params", "field"), BAD)
@pytest.mark.parametrize("endpoint", ["report", "records"])
def test_the_api_rejects_a_period_out_of_range_naming_the_field(city, endpoint, params, field):
    response = city.api(city.leader).get(f"/api/v1/stats/{endpoint}", params)
    assert response.status_code == 400, response.content
    detail = response.json()["detail"][0]
    assert detail["field"] == field and field in detail["message"]


@pytest.mark.parametrize(
    ("period", "field"), [("9999", "period"), ("0001", "period"), ("0001-01-01", "period"), ("1000", "period")]
)
def test_the_dashboard_rejects_a_period_out_of_range(city, period, field):
    client = city.login(city.leader)
    data = client.get(reverse("stats:dashboard-data"), {"period": period})
    assert data.status_code == 400
    assert data.json()["detail"][0]["field"] == field  # the dashboard compares 同比: 1000 has none
    page = client.get(reverse("stats:dashboard"), {"period": period})
    assert page.status_code == 400
    html = page.content.decode()
    assert re.search(r'id="dash-error" class="errors" role="alert" data-field="period">[^<]*period', html)


@pytest.mark.parametrize(
    ("kind", "period"),
    [
        ("monthly", "9999-12"),
        ("monthly", "0001-01"),
        ("monthly", "1000-01"),
        ("weekly", "0001-W01"),
        ("weekly", "9999-W01"),
    ],
)
def test_a_pack_out_of_range_is_shown_beside_its_period(city, kind, period):
    response = city.login(city.leader).get(reverse("stats:pack", args=[kind, "xlsx"]), {"period": period})
    assert response.status_code == 400
    html = response.content.decode()
    form = re.search(r'<form class="pack field-error"[^>]*>.*?</form>', html, re.S).group(0)
    assert f'id="pack-{kind}-period"' in form and f'value="{period}"' in form
    assert 'id="pack-error"' in form


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"org": "9" * 30}, "org"),  # longer than any id: not a 500 from the database driver
        ({"org": str(MAX_ID + 1)}, "org"),
        ({"org": "1" * 5000}, "org"),  # more digits than int() reads
        ({"category": "01\x0011"}, "category"),  # NUL: PostgreSQL refuses it in a query
        ({"grid": "8\x00"}, "grid"),
        ({"rank": "maybe"}, "rank"),
        ({"metric": "x" * 5000}, "metric"),
    ],
)
def test_it_rejects_hostile_values_naming_the_field(city, params, field):
    query = {"metric": "incidents", "period": "2025-03", **params}
    client = city.login(city.leader)
    for url in (reverse("stats:builder"), reverse("stats:records"), reverse("stats:export", args=["xlsx"])):
        response = client.get(url, query)
        assert response.status_code == 400, url
        assert response.context["error"].field == field
        assert f'data-field="{field}"' in response.content.decode()
    if field != "rank":  # the API reads rank as a boolean (its own 422)
        api = city.api(city.leader).get("/api/v1/stats/report", query)
        assert api.status_code == 400 and api.json()["detail"][0]["field"] == field


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"page": "abc"}, "page"),
        ({"page": "0"}, "page"),
        ({"page": str(2**64)}, "page"),
        ({"baseline": "perhaps"}, "baseline"),
        ({"key": "k" * 65}, "key"),
        ({"part": "half"}, "part"),
    ],
)
def test_the_drill_down_rejects_a_bad_link_naming_the_field(city, extra, field):
    params = {"metric": "incidents", "period": "2025-03", "compare": "yoy", **extra}
    response = city.login(city.leader).get(reverse("stats:records"), params)
    assert response.status_code == 400
    assert response.context["error"].field == field
    # The way back leads to the builder with the same question.
    assert re.search(r'href="/stats/\?[^"]*period=2025-03[^"]*" id="back-to-builder"', response.content.decode())


def test_a_huge_officer_key_is_not_a_500(city):
    params = {"metric": "satisfaction_rate", "period": "2025-03", "group_by": "officer", "part": "numerator"}
    for key in ("9" * 30, str(MAX_ID + 1)):
        response = city.api(city.leader).get("/api/v1/stats/records", {**params, "key": key})
        assert response.status_code == 400, key
        assert response.json()["detail"][0]["field"] == "key"


def test_the_api_bounds_offset_and_limit(city):
    api = city.api(city.leader)
    params = {"metric": "incidents", "period": "2025-03"}
    last = api.get("/api/v1/stats/records", {**params, "offset": MAX_ID - 500})
    assert last.status_code == 200, last.content
    assert last.json()["records"] == []
    for bad in ({"offset": MAX_ID + 1}, {"offset": -1}, {"limit": 0}, {"limit": 501}):
        response = api.get("/api/v1/stats/records", {**params, **bad})
        assert 400 <= response.status_code < 500, bad
        assert response.json()["detail"][0]["field"] == next(iter(bad))


def test_the_api_declares_its_parameters(city):
    schema = city.api(city.leader).get("/api/v1/openapi.json").json()
    report = schema["paths"]["/api/v1/stats/report"]["get"]
    names = {p["name"] for p in report["parameters"]}
    assert {"metric", "period", "compare", "group_by", "class", "org", "grid", "rank"} <= names
    records = schema["paths"]["/api/v1/stats/records"]["get"]
    assert {"key", "baseline", "part", "offset", "limit"} <= {p["name"] for p in records["parameters"]}


def test_the_outsider_is_refused_another_stations_org_in_the_api(city):
    response = city.api(city.outsider).get(
        "/api/v1/stats/report", {"period": "2025-03", "org": str(city.station_a1.pk)}
    )
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "org"

"""智慧平安社区: communities as places, which incidents belong to them, the zero flag and the
零发案小区率 counted from records, scoping, and the leads community systems post and officers mark."""

import itertools
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anmin.cases.models import Case
from anmin.communities import places
from anmin.communities.actions import (
    AddAccessPoint,
    AddGridWorker,
    MarkLead,
    RegisterLeadSource,
    SaveCommunity,
)
from anmin.communities.models import Community, Lead
from anmin.core.errors import ActionError, Denied
from anmin.core.models import AuditEntry
from anmin.geo.models import GridCell
from anmin.incidents.models import Category, Incident
from tests.conftest import A1_POINT

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
_numbers = itertools.count(1)
LAT, LON = A1_POINT
#: A square of about 220 m × 180 m around A1_POINT.
SQUARE = [
    [[LON - 0.001, LAT - 0.001], [LON + 0.001, LAT - 0.001], [LON + 0.001, LAT + 0.001], [LON - 0.001, LAT + 0.001]]
]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def incident(station, lat, lon, klass="criminal", when="2026-03-10 10:00", status="reported") -> Incident:
    cell = GridCell.objects.filter(jurisdiction=station).order_by("h3").first()
    moment = at(when)
    return Incident.objects.create(
        number=f"C{next(_numbers):010d}",
        received_at=moment,
        category=Category.objects.filter(klass=klass).exclude(parent=None).order_by("code").first(),
        address="测试地址",
        lat=lat,
        lon=lon,
        grid_cell=cell,
        station=station,
        area_type=cell.area_type,
        target_minutes=5,
        arrival_due_at=moment + timedelta(minutes=5),
        status=status,
    )


def community(city, name, kind="compound", *, lat=LAT, lon=LON, boundary=None, by=None, **extra) -> Community:
    data = {"name": name, "kind": kind, "station": city.station_a1, "lat": lat, "lon": lon, "boundary": boundary}
    data.update(extra)
    return SaveCommunity(by=by or city.station_officer, data=data).execute()


@pytest.fixture
def places_a1(city):
    """Three 小区 and a 村 of station A1: one outlined, one a point (150 m), one quiet, and the village."""
    return {
        "outlined": community(city, "桃园小区", boundary=SQUARE),
        "point": community(city, "鸿福家园", lat=LAT + 0.01, lon=LON),
        "quiet": community(city, "康宁小区", lat=LAT - 0.01, lon=LON),
        "village": community(city, "前屯村", kind="village", lat=LAT, lon=LON + 0.02),
    }


# --- which records belong where -------------------------------------------------------------------


def test_an_incident_belongs_by_outline_or_by_radius(city, places_a1):
    outlined, point = places_a1["outlined"], places_a1["point"]
    assert places.contains(outlined, LAT + 0.0009, LON - 0.0009)
    assert not places.contains(outlined, LAT + 0.0011, LON)
    # 140 m north of the point is in, 160 m is out (the 小区 default of 150 m).
    assert places.contains(point, point.lat + 140 / 111_320, point.lon)
    assert not places.contains(point, point.lat + 160 / 111_320, point.lon)
    point.radius_m = 200
    point.save()
    assert places.contains(point, point.lat + 160 / 111_320, point.lon)


def test_the_bounding_box_follows_an_edited_outline(city, places_a1):
    c = places_a1["outlined"]
    bigger = [[[LON - 0.002, LAT - 0.002], [LON + 0.002, LAT - 0.002], [LON + 0.002, LAT + 0.002], [LON, LAT + 0.002]]]
    SaveCommunity(
        by=city.station_officer, community=c, data={"name": c.name, "station": c.station, "boundary": bigger}
    ).execute()
    c.refresh_from_db()
    assert (c.min_lat, c.max_lon) == pytest.approx((LAT - 0.002, LON + 0.002))
    assert places.contains(c, LAT + 0.0015, LON)


def test_the_zero_flag_counts_only_criminal_and_public_order_incidents(city, places_a1):
    outlined, point = places_a1["outlined"], places_a1["point"]
    inside = incident(city.station_a1, LAT, LON, "criminal")
    incident(city.station_a1, LAT, LON, "help")  # a call for help does not break 零发案
    incident(city.station_a1, LAT, LON, "criminal", status="cancelled")  # nor a cancelled call
    incident(city.station_a1, LAT, LON, "criminal", when="2025-12-31 23:00")  # nor one outside the period
    incident(city.station_a1, point.lat, point.lon, "dispute")
    start, end = at("2026-01-01 00:00").date(), at("2026-12-31 00:00").date()
    figs = places.figures([outlined, point], start, end)
    assert figs[outlined.pk].by_class == {"criminal": 1, "help": 1}
    assert not figs[outlined.pk].zero
    assert figs[point.pk].by_class == {"dispute": 1}
    assert figs[point.pk].zero
    assert places.incident_ids(outlined, start, end, places.COUNTING_CLASSES) == [inside.pk]


def test_the_zero_rate_counts_compounds_from_records_and_drills_down(city, places_a1):
    incident(city.station_a1, LAT, LON, "criminal")  # 桃园小区
    incident(city.station_a1, LAT, LON + 0.02, "public_order")  # 前屯村: villages are not in the rate
    start, end = at("2026-01-01 00:00").date(), at("2026-12-31 00:00").date()
    rate = places.zero_rate(city.station_officer, start, end)
    assert {c.name for c in rate.total} == {"桃园小区", "鸿福家园", "康宁小区"}
    assert {c.name for c in rate.zero} == {"鸿福家园", "康宁小区"}
    assert rate.value == pytest.approx(66.67)
    # The same figure through the API and the list page; the page lists the zero ones behind it.
    body = city.api(city.station_officer).get("/api/v1/communities?period=2026").json()
    assert (body["zero_rate"], body["compounds"], body["zero_compounds"]) == (66.67, 3, 2)
    page = city.login(city.station_officer).get("/communities/?period=2026&zero=1")
    assert page.status_code == 200
    text = page.content.decode()
    assert "鸿福家园" in text and "康宁小区" in text and "桃园小区" not in text
    # The outsider's scope holds none of them: no rate at all.
    assert places.zero_rate(city.outsider, start, end).value is None


def test_cases_count_for_a_community_through_their_incident(city, places_a1):
    inside = incident(city.station_a1, LAT, LON, "criminal")
    Case.objects.create(
        number="A13110251000020260300001",
        kind="criminal",
        title="桃园小区盗窃案",
        organization=city.station_a1,
        lead_investigator=city.station_officer,
        incident=inside,
        accepted_at=at("2026-03-10 12:00"),
    )
    start, end = at("2026-01-01 00:00").date(), at("2026-12-31 00:00").date()
    f = places.figures([places_a1["outlined"]], start, end, details=True)[places_a1["outlined"].pk]
    assert f.cases == {"criminal": 1}


# --- keeping the record -----------------------------------------------------------------------------


def test_it_refuses_a_crossing_outline_naming_the_field(city):
    bow = [[[LON, LAT], [LON + 0.001, LAT + 0.001], [LON + 0.001, LAT], [LON, LAT + 0.001]]]
    with pytest.raises(ActionError) as err:
        community(city, "蝴蝶小区", boundary=bow)
    assert err.value.field == "boundary"
    with pytest.raises(ActionError) as err:
        community(city, "倒置小区", boundary=[[[LAT, LON + 200], [1, 2], [3, 4]]])
    assert err.value.field == "boundary"
    assert not Community.objects.exists()


def test_it_denies_other_station_and_lets_a_leader_edit(city, places_a1):
    c = places_a1["quiet"]
    with pytest.raises(Denied):
        SaveCommunity(by=city.outsider, community=c, data={"name": "改名", "station": c.station}).execute()
    with pytest.raises(Denied):
        AddGridWorker(by=city.outsider, community=c, name="李四", phone="13900001111").execute()
    SaveCommunity(by=city.leader, community=c, data={"name": "康宁花园", "station": c.station}).execute()
    c.refresh_from_db()
    assert c.name == "康宁花园"


def test_a_grid_worker_is_stored_encrypted_and_shown_masked(city, places_a1):
    from django.db import connection

    c = places_a1["outlined"]
    worker = AddGridWorker(by=city.station_officer, community=c, name="王秀兰", phone="13912345678").execute()
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, phone FROM communities_gridworker WHERE id = %s", [worker.pk])
        raw = cursor.fetchone()
    assert "王秀兰" not in raw[0] and "13912345678" not in raw[1]
    body = city.api(city.station_officer).get(f"/api/v1/communities/{c.pk}").json()
    assert body["grid_workers"] == ["王**"]
    page = city.login(city.station_officer).get(f"/communities/{c.pk}/").content.decode()
    assert "王**" in page and "王秀兰" not in page and "13912345678" not in page
    entry = AuditEntry.objects.filter(action="community.grid_worker").last()
    assert "王秀兰" not in str(entry.data)


# --- scoping ------------------------------------------------------------------------------------------


def test_a_station_sees_its_own_communities(city, places_a1):
    mine = city.api(city.station_officer).get("/api/v1/communities").json()["communities"]
    assert {c["name"] for c in mine} == {"桃园小区", "鸿福家园", "康宁小区", "前屯村"}
    assert city.api(city.outsider).get("/api/v1/communities").json()["communities"] == []
    assert len(city.api(city.leader).get("/api/v1/communities").json()["communities"]) == 4


def test_it_denies_other_station(city, places_a1):
    c = places_a1["outlined"]
    assert city.api(city.outsider).get(f"/api/v1/communities/{c.pk}").status_code == 404
    assert city.login(city.outsider).get(f"/communities/{c.pk}/").status_code == 404
    assert city.login(city.outsider).get(f"/communities/{c.pk}/incidents/").status_code == 404


def test_the_community_page_links_every_number_to_its_records(city, places_a1):
    c = places_a1["outlined"]
    mine = incident(city.station_a1, LAT, LON, "criminal")
    incident(city.station_a1, LAT + 0.01, LON, "criminal")  # 鸿福家园's
    client = city.login(city.station_officer)
    page = client.get(f"/communities/{c.pk}/?period=2026").content.decode()
    assert f"/communities/{c.pk}/incidents/?period=2026&amp;class=criminal" in page
    records = client.get(f"/communities/{c.pk}/incidents/?period=2026&class=criminal").content.decode()
    assert mine.number in records
    assert records.count("C00000") == 1
    # 'counting' is 刑事 and 治安 only: the call for help in the same compound is not behind that figure.
    incident(city.station_a1, LAT, LON, "help")
    counting = client.get(f"/communities/{c.pk}/incidents/?period=2026&class=counting").content.decode()
    assert counting.count("C00000") == 1 and mine.number in counting
    everything = client.get(f"/communities/{c.pk}/incidents/?period=2026").content.decode()
    assert everything.count("C00000") == 2


def test_a_bad_period_is_a_clear_message_not_a_500(city, places_a1):
    c = places_a1["outlined"]
    response = city.api(city.station_officer).get(f"/api/v1/communities/{c.pk}?period=2026-13")
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "period"
    assert city.login(city.station_officer).get(f"/communities/{c.pk}/?period=abc").status_code == 400


# --- leads from community systems ----------------------------------------------------------------


@pytest.fixture
def source(city, places_a1):
    c = places_a1["outlined"]
    AddAccessPoint(
        by=city.station_officer,
        community=c,
        data={"kind": "face", "name": "东门人脸门禁", "device_code": "TY-E-01", "lat": LAT, "lon": LON + 0.001},
    ).execute()
    src, key = RegisterLeadSource(by=city.station_officer, community=c, name="桃园小区智慧门禁平台").execute()
    return {"source": src, "key": key, "community": c}


def _post(client, key, body):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    return client.post("/api/v1/community-leads", body, content_type="application/json", **headers)


LEAD = {
    "kind": "watchlist",
    "occurred_at": "2026-03-12T21:14:00+08:00",
    "description": "东门人脸门禁比中布控人员一次",
    "device_code": "TY-E-01",
    "plate": "冀T·12345",
    "person_name": "赵大宝",
    "person_id_number": "11010519491231002X",
}


def test_a_community_system_posts_a_lead_with_its_key(client, city, source):
    response = _post(client, source["key"], LEAD)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["plate"] == "冀T1****" and body["person_name"] == "赵**"
    assert "11010519491231002X" not in response.content.decode()
    lead = Lead.objects.get()
    assert (lead.community, lead.access_point.name, lead.plate) == (source["community"], "东门人脸门禁", "冀T12345")
    assert AuditEntry.objects.filter(action="community.lead_receive", actor_label__startswith="lead-source:").exists()
    # Only the hash of the key is kept.
    assert source["key"] not in str(source["source"].key_hash)


def test_a_lead_without_or_with_a_wrong_key_is_refused(client, city, source):
    assert _post(client, None, LEAD).status_code == 401
    assert _post(client, "cls_wrong", LEAD).status_code == 401
    # An officer's token is not a community system's key.
    token = city.token(city.station_officer)
    assert _post(client, token, LEAD).status_code == 401
    source["source"].active = False
    source["source"].save()
    assert _post(client, source["key"], LEAD).status_code == 401
    assert not Lead.objects.exists()


def test_a_source_posts_only_for_its_own_community(client, city, source, places_a1):
    response = _post(client, source["key"], {**LEAD, "community_id": places_a1["quiet"].pk})
    assert response.status_code == 403
    assert response.json()["detail"][0]["field"] == "community_id"
    response = _post(client, source["key"], {**LEAD, "device_code": "KN-01"})  # not one of its devices
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "device_code"
    assert not Lead.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "alien"}, "kind"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"description": ""}, "description"),
        ({"plate": "XX12345"}, "plate"),
        ({"person_id_number": "110105194912310021"}, "person_id_number"),
        ({"occurred_at": "2099-01-01T00:00:00+08:00"}, "occurred_at"),
    ],
)
def test_a_bad_lead_names_its_field(client, city, source, change, field):
    response = _post(client, source["key"], {**LEAD, **change})
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == field
    assert not Lead.objects.exists()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    description=st.text(max_size=2100),
    plate=st.text(max_size=25),
    name=st.text(max_size=35),
)
def test_open_ended_lead_input_never_errors_the_server(client, city, source, description, plate, name):
    response = _post(client, source["key"], {**LEAD, "description": description, "plate": plate, "person_name": name})
    assert response.status_code in (201, 400), response.content
    if response.status_code == 400:
        assert response.json()["detail"][0]["field"]


def test_officers_mark_leads_and_solved_cases_are_counted(client, city, source):
    _post(client, source["key"], LEAD)
    _post(client, source["key"], {**LEAD, "kind": "stranger", "plate": "", "person_id_number": ""})
    first, second = Lead.objects.order_by("pk")
    case = Case.objects.create(
        number="A13110251000020260300002",
        kind="criminal",
        title="入室盗窃案",
        organization=city.station_a1,
        lead_investigator=city.station_officer,
        accepted_at=at("2026-03-13 09:00"),
        solved_at=at("2026-03-15 09:00"),
        status="solved",
    )
    api = city.api(city.station_officer)
    response = api.post(
        f"/api/v1/community-leads/{first.pk}/mark", {"status": "solved"}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["detail"][0]["field"] == "case_number"
    response = api.post(
        f"/api/v1/community-leads/{first.pk}/mark",
        {"status": "solved", "case_number": case.number},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["case_number"] == case.number
    api.post(f"/api/v1/community-leads/{second.pk}/mark", {"status": "useless"}, content_type="application/json")
    body = api.get(f"/api/v1/communities/{source['community'].pk}?period=2026").json()
    assert body["cases_solved_with_leads"] == 1
    assert {row["code"]: row["count"] for row in body["leads_by_status"]}["useless"] == 1
    # The outsider can neither see nor mark them.
    outsider = city.api(city.outsider)
    assert outsider.get(f"/api/v1/community-leads/{first.pk}").status_code == 404
    assert outsider.get("/api/v1/community-leads").json() == []
    response = outsider.post(
        f"/api/v1/community-leads/{second.pk}/mark", {"status": "checked"}, content_type="application/json"
    )
    assert response.status_code == 404
    with pytest.raises(Denied):
        MarkLead(by=city.outsider, lead=second, status="checked").execute()


# --- 零发案小区率 in the statistics ----------------------------------------------------------------


def test_the_statistics_count_the_zero_rate_and_drill_down_to_the_compounds(city, places_a1):
    from anmin.stats import report

    incident(city.station_a1, LAT, LON, "criminal")  # 桃园小区 is not zero
    query = report.parse_query({"metric": "zero_community_rate", "period": "2026"}, city.station_officer)
    result = report.run(query, city.station_officer)
    assert result.total.value == 66.67
    zero = report.records(query, city.station_officer, part="numerator")
    assert sorted(c.name for c in zero) == ["康宁小区", "鸿福家园"]
    assert report.records(query, city.station_officer, part="denominator").count() == 3
    # By station: A1 has them all; the outsider's scope has no 小区, so no rate.
    by_station = report.run(report.parse_query({**query.params(), "group_by": "station"}, city.leader), city.leader)
    rows = {row.label: row.value for row in by_station.rows}
    assert rows[city.station_a1.label] == 66.67 and rows[city.station_b1.label] is None
    page = city.login(city.station_officer).get("/stats/records/?metric=zero_community_rate&period=2026&part=numerator")
    text = page.content.decode()
    assert page.status_code == 200 and "康宁小区" in text and "桃园小区" not in text
    assert f"/communities/{places_a1['quiet'].pk}/?period=2026" in text
    bad = city.api(city.station_officer).get(
        "/api/v1/stats/report?metric=zero_community_rate&period=2026&group_by=class"
    )
    assert bad.status_code == 400 and bad.json()["detail"][0]["field"] == "group_by"


def test_the_admin_shows_communities_and_leads_read_only_and_masked(city, places_a1, client):
    from anmin.org.models import Role
    from tests.factories import OfficerFactory

    src, _key = RegisterLeadSource(by=city.station_officer, community=places_a1["outlined"], name="门禁平台").execute()
    lead = received_lead(src)
    client.force_login(OfficerFactory(username="root", organization=city.bureau, role=Role.ADMIN, is_staff=True))
    for url in (
        "/admin/communities/community/",
        "/admin/communities/lead/",
        f"/admin/communities/lead/{lead.pk}/change/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    text = client.get(f"/admin/communities/lead/{lead.pk}/change/").content.decode()
    assert "赵**" in text and "赵大宝" not in text
    assert client.get("/admin/communities/community/add/").status_code == 403


def received_lead(source):
    from anmin.communities.actions import ReceiveLead

    return ReceiveLead(
        source=source,
        data={
            "kind": "watchlist",
            "occurred_at": at("2026-03-12 21:14"),
            "description": "比中",
            "person_name": "赵大宝",
        },
    ).execute()


def test_the_list_page_and_endpoint_cost_the_same_queries_for_3_or_60_communities(city, places_a1):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    page, api = city.login(city.station_officer), city.api(city.station_officer)

    def count(client, url) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    count(page, "/communities/?period=2026"), count(api, "/api/v1/communities?period=2026")  # warm the caches
    few = (count(page, "/communities/?period=2026"), count(api, "/api/v1/communities?period=2026"))
    for i in range(56):
        community(city, f"测试小区{i}", lat=LAT + 0.002 * (i % 8), lon=LON + 0.002 * (i // 8))
        incident(city.station_a1, LAT + 0.002 * (i % 8), LON + 0.002 * (i // 8), "criminal")
    many = (count(page, "/communities/?period=2026"), count(api, "/api/v1/communities?period=2026"))
    assert many == few
    assert few[0] <= 11 and few[1] <= 4


point = st.lists(st.one_of(st.floats(allow_nan=True), st.integers(), st.text(max_size=3), st.none()), max_size=3)


@settings(max_examples=200, deadline=None)
@given(value=st.one_of(st.none(), st.text(max_size=20), st.lists(st.lists(point, max_size=8), max_size=3)))
def test_an_open_ended_outline_is_accepted_or_refused_naming_the_field(value):
    from anmin.communities.actions import clean_boundary

    try:
        rings = clean_boundary(value)
    except ActionError as err:
        assert err.field == "boundary"
    else:
        assert rings is None or all(ring[0] == ring[-1] and len(ring) >= 4 for ring in rings)


# --- the pages' workflows ------------------------------------------------------------------------


def test_an_officer_keeps_a_community_through_the_pages(city):
    client = city.login(city.station_officer)
    form = {"name": "滏阳花园", "kind": "compound", "station": city.station_a1.pk, "lat": LAT, "lon": LON}
    bad = client.post("/communities/new/", {**form, "boundary": "[[[1, 2], [1, 2]]]"})
    assert bad.status_code == 400 and 'data-field="boundary"' in bad.content.decode()
    assert not Community.objects.exists()
    response = client.post("/communities/new/", {**form, "boundary": str(SQUARE).replace("'", '"')})
    c = Community.objects.get()
    assert response.status_code == 302 and c.boundary and c.officer is None
    parts = f"/communities/{c.pk}/parts/"
    # Each part posts to its own route: no route for what is not a part (residents are never
    # registered, PIPL), and the page itself takes no post.
    assert client.post(parts + "resident/", {"resident-name": "张三"}).status_code == 404
    assert client.post(parts, {"worker-name": "刘玉梅"}).status_code == 405
    assert client.post(parts + "worker/", {"worker-name": "刘玉梅", "worker-phone": "123"}).status_code == 400
    assert client.post(parts + "worker/", {"worker-name": "刘玉梅", "worker-phone": "13800001111"}).status_code == 302
    shown = client.post(parts + "source/", {"source-name": "门禁平台"}).content.decode()
    key = re.search(r"<code>(cls_[^<]+)</code>", shown).group(1)
    assert key not in client.get(parts).content.decode()  # shown once
    response = _post(Client(), key, {**LEAD, "device_code": "", "plate": ""})
    assert response.status_code == 201
    lead = Lead.objects.get()
    mark = client.post(f"/communities/leads/{lead.pk}/mark/", {"status": "checked", "note": "已到现场核实"})
    assert mark.status_code == 302
    lead.refresh_from_db()
    assert (lead.status, lead.marked_by) == ("checked", city.station_officer)
    assert city.login(city.outsider).get(parts).status_code == 404
    assert city.login(city.patrol_officer).get(f"/communities/{c.pk}/edit/").status_code == 404

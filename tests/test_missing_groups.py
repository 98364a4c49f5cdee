"""Work groups for missing-person alerts: the API (201, validation errors naming the field, masking,
scoping — a station sees only its groups, the outsider gets 404) and the pages."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from anmin.missing.broadcast_actions import SaveGroup
from anmin.missing.broadcast_models import Group

pytestmark = pytest.mark.django_db

DING = {
    "name": "河西所东明村钉钉群",
    "kind": "dingtalk",
    "webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=abcdef123456",
    "secret": "SEC0123456789abcdef",
    "lat": 37.74,
    "lon": 115.68,
}


def post(city, officer, body):
    return city.api(officer).post("/api/v1/groups", body, content_type="application/json")


def test_it_creates_a_group_and_answers_201_with_credentials_masked(city):
    resp = post(city, city.station_officer, DING)
    assert resp.status_code == 201, resp.content
    data = resp.json()
    assert data["id"] and data["name"] == DING["name"] and data["kind"] == "dingtalk"
    assert data["org"] == "河西派出所" and data["area"] == "point"
    assert data["webhook"] == "https://oapi.dingtalk.com/…" and data["has_secret"] is True
    assert "abcdef123456" not in resp.content.decode() and "SEC0123" not in resp.content.decode()
    group = Group.objects.get(pk=data["id"])
    assert group.secret == DING["secret"] and group.webhook_url == DING["webhook_url"]


def test_secrets_are_encrypted_at_rest(city):
    group_id = post(city, city.station_officer, DING).json()["id"]
    with connection.cursor() as cur:
        cur.execute("SELECT webhook_url, secret FROM missing_group WHERE id = %s", [group_id])
        url, secret = cur.fetchone()
    assert "abcdef123456" not in url and "SEC0123" not in secret


def test_an_sms_list_masks_its_phones(city):
    resp = post(city, city.station_officer, {"name": "村支书短信", "kind": "sms", "phones": "13812345678,13987654321"})
    assert resp.status_code == 201
    assert resp.json()["phones"] == ["138****5678", "139****4321"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**DING, "secret": None}, "secret"),
        ({**DING, "kind": "feishu", "secret": ""}, "secret"),
        ({"name": "短信", "kind": "sms"}, "phones"),
        ({"name": "短信", "kind": "sms", "phones": ["12345"]}, "phones"),
        ({**DING, "webhook_url": "ftp://x/y"}, "webhook_url"),
        ({**DING, "webhook_url": "javascript:alert(1)"}, "webhook_url"),
        ({"name": "企微", "kind": "wecom"}, "webhook_url"),
        ({**DING, "kind": "qq"}, "kind"),
        ({**DING, "name": ""}, "name"),
        ({**DING, "org": "131103510000"}, "org"),
        ({**DING, "lat": 95}, "lat"),
        ({**DING, "lon": None}, "lon"),
        ({**DING, "township": "999"}, "township"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_written(city, body, field):
    resp = post(city, city.station_officer, body)
    assert resp.status_code == 400, resp.content
    errors = resp.json()["detail"]
    assert errors[0]["field"] == field, errors
    assert errors[0]["message"]
    assert not Group.objects.exists()


def test_a_station_sees_only_its_groups_and_the_bureau_all(city):
    mine = post(city, city.station_officer, DING).json()["id"]
    theirs = post(city, city.outsider, {**DING, "name": "冀州群"}).json()["id"]
    assert [g["id"] for g in city.api(city.station_officer).get("/api/v1/groups").json()] == [mine]
    assert [g["id"] for g in city.api(city.outsider).get("/api/v1/groups").json()] == [theirs]
    assert {g["id"] for g in city.api(city.leader).get("/api/v1/groups").json()} == {mine, theirs}


def test_the_outsider_gets_404_for_another_stations_group(city):
    mine = post(city, city.station_officer, DING).json()["id"]
    client = city.api(city.outsider)
    assert client.get(f"/api/v1/groups/{mine}").status_code == 404
    resp = client.patch(f"/api/v1/groups/{mine}", {"name": "改名"}, content_type="application/json")
    assert resp.status_code == 404
    assert Group.objects.get(pk=mine).name == DING["name"]


def test_patch_changes_only_the_given_fields_and_keeps_the_secret(city):
    gid = post(city, city.station_officer, DING).json()["id"]
    resp = city.api(city.station_officer).patch(
        f"/api/v1/groups/{gid}", {"name": "东明村群", "secret": ""}, content_type="application/json"
    )
    assert resp.status_code == 200 and resp.json()["name"] == "东明村群"
    assert Group.objects.get(pk=gid).secret == DING["secret"]


def test_the_api_requires_authentication(client):
    assert client.get("/api/v1/groups").status_code == 401


def test_the_groups_are_in_the_openapi_document(city):
    doc = city.api(city.station_officer).get("/api/openapi.json").json()
    assert "/api/v1/groups" in doc["paths"] and "post" in doc["paths"]["/api/v1/groups"]
    assert doc["paths"]["/api/v1/groups"]["post"]["summary"]


# --- pages ---------------------------------------------------------------------------------------


def make(city, name="河西所东明村群", by=None, **extra):
    data = {
        "name": name,
        "kind": "wecom",
        "webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k-123456",
    }
    data.update(extra)
    return SaveGroup(by=by or city.station_officer, data=data).execute()


def test_the_groups_page_lists_the_stations_groups_masked(city):
    make(city)
    make(city, "冀州镇所群", by=city.outsider)
    page = city.login(city.station_officer).get("/missing/groups/").content.decode()
    assert "河西所东明村群" in page and "冀州镇所群" not in page
    assert "k-123456" not in page and "https://qyapi.weixin.qq.com/…" in page


def test_the_groups_page_costs_a_fixed_number_of_queries(city):
    client = city.login(city.station_officer)
    make(city)
    client.get("/missing/groups/")
    with CaptureQueriesContext(connection) as few:
        client.get("/missing/groups/")
    for i in range(10):
        make(city, f"群{i}")
    with CaptureQueriesContext(connection) as many:
        client.get("/missing/groups/")
    assert len(many) == len(few)


def test_a_group_is_created_and_edited_through_the_pages(city):
    client = city.login(city.station_officer)
    resp = client.post(
        "/missing/groups/new/",
        {
            "name": "东明村飞书群",
            "kind": "feishu",
            "webhook_url": "https://open.feishu.cn/open-apis/bot/v2/hook/x1",
            "secret": "s1",
            "active": "on",
        },
    )
    assert resp.status_code == 302
    group = Group.objects.get(name="东明村飞书群")
    assert group.org == city.station_a1 and group.active
    form = client.get(f"/missing/groups/{group.pk}/edit/").content.decode()
    assert "s1" not in form and "x1" not in form
    resp = client.post(
        f"/missing/groups/{group.pk}/edit/",
        {"name": "东明村群", "kind": "feishu", "lat": "37.74", "lon": "115.68", "radius_km": "3"},
    )
    assert resp.status_code == 302
    group.refresh_from_db()
    assert (group.name, group.secret, group.area, group.radius_km, group.active) == (
        "东明村群",
        "s1",
        "point",
        3.0,
        False,
    )


def test_the_form_shows_the_error_naming_the_field(city):
    resp = city.login(city.station_officer).post(
        "/missing/groups/new/", {"name": "钉钉", "kind": "dingtalk", "webhook_url": "https://x/y"}
    )
    assert resp.status_code == 400 and 'data-field="secret"' in resp.content.decode()
    assert not Group.objects.exists()


def test_the_outsider_cannot_open_another_stations_group(city):
    group = make(city)
    client = city.login(city.outsider)
    assert client.get(f"/missing/groups/{group.pk}/edit/").status_code == 404
    assert client.post(f"/missing/groups/{group.pk}/edit/", {"name": "x", "kind": "wecom"}).status_code == 404


@pytest.mark.parametrize(
    "url", ["/admin/missing/group/", "/admin/missing/ringrule/", "/admin/missing/send/", "/admin/missing/ringstep/"]
)
def test_the_administrator_sees_the_broadcast_in_the_admin_with_credentials_masked(city, client, url):
    from anmin.org.models import Role
    from tests.factories import OfficerFactory

    make(city)
    client.force_login(OfficerFactory(username="root", organization=city.bureau, role=Role.ADMIN, is_staff=True))
    response = client.get(url)
    assert response.status_code == 200
    assert "k-123456" not in response.content.decode()


def test_the_groups_endpoint_costs_a_fixed_number_of_queries(city):
    client = city.api(city.station_officer)
    make(city)
    client.get("/api/v1/groups")
    with CaptureQueriesContext(connection) as few:
        assert len(client.get("/api/v1/groups").json()) == 1
    for i in range(10):
        make(city, f"群{i}")
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/api/v1/groups").json()) == 11
    assert len(many) == len(few)

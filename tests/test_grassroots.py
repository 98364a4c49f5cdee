"""基层工作: the hub's figures are the user's own scope, the menu entry is lit on each 基层 screen, and
the 三权分立 administrators do not get it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from anmin.communities.actions import ReceiveLead, RegisterLeadSource, SaveCommunity
from anmin.disputes.actions import CreateDispute
from anmin.missing.actions import OpenMissingCase
from anmin.org.models import Role
from tests.conftest import A1_POINT
from tests.factories import OfficerFactory
from tests.matrix import committed

pytestmark = pytest.mark.django_db


@pytest.fixture
def work(city):
    officer = city.station_officer
    community = SaveCommunity(
        by=officer,
        data={
            "name": "桃园小区",
            "kind": "compound",
            "station": city.station_a1,
            "lat": A1_POINT[0],
            "lon": A1_POINT[1],
        },
    ).execute()
    source, _key = RegisterLeadSource(by=officer, community=community, name="门禁平台").execute()
    for text in ("陌生人夜间多次出入", "车辆多次夜间进出"):
        ReceiveLead(
            source=source, data={"kind": "stranger", "occurred_at": timezone.now(), "description": text}
        ).execute()
    data = {
        "kind": "neighbour",
        "source": "walk_in",
        "address": "桃城区人民路 120 号",
        "lat": A1_POINT[0],
        "lon": A1_POINT[1],
        "description": "楼上漏水",
    }
    for risk in ("low", "high", "major"):
        CreateDispute(by=officer, data={**data, "risk": risk}, parties=[{"name": "张三"}]).execute()
    with committed():
        OpenMissingCase(
            by=officer,
            data={
                "full_name": "王大爷",
                "category": "elderly",
                "description": "灰色棉袄",
                "last_seen_at": timezone.now() - timedelta(hours=1),
                "lat": A1_POINT[0],
                "lon": A1_POINT[1],
            },
        ).execute()
    return community


def figures(html: str, section: str) -> list[str]:
    """The bold figures of one section of the hub, in order."""
    import re

    block = html.split(f'id="gr-{section}"', 1)[1].split("</section>", 1)[0]
    return re.findall(r"<b>(\d+)</b>", block)


def test_it_counts_the_stations_own_work(city, work):
    html = city.login(city.station_officer).get("/grassroots/").content.decode()
    assert figures(html, "communities") == ["1", "2"]
    assert figures(html, "disputes")[:2] == ["3", "2"]  # three open, two of them high or major
    assert figures(html, "missing") == ["1"]
    assert "王大爷" not in html


def test_the_outsider_sees_none_of_it(city, work):
    html = city.login(city.outsider).get("/grassroots/").content.decode()
    assert figures(html, "communities") == ["0", "0"]
    assert figures(html, "disputes")[:2] == ["0", "0"]
    assert figures(html, "missing") == ["0"]


def test_the_bureau_sees_every_station(city, work):
    html = city.login(city.leader).get("/grassroots/").content.decode()
    assert figures(html, "disputes")[:2] == ["3", "2"]


def test_the_menu_entry_is_lit_on_each_grassroots_screen(city, work):
    client = city.login(city.station_officer)
    for url in ("/grassroots/", "/communities/", "/disputes/", "/posts/", "/missing/"):
        html = client.get(url, follow=True).content.decode()
        assert 'id="nav-grassroots" class="on"' in html, url
    assert 'id="nav-grassroots" class=""' in client.get("/cases/").content.decode()


def test_security_administrators_have_neither_the_entry_nor_the_page(city):
    admin = OfficerFactory(username="secadmin", organization=city.bureau, role=Role.SECURITY_ADMIN)
    client = city.login(admin)
    assert client.get("/grassroots/").status_code == 403
    assert "nav-grassroots" not in client.get("/account/").content.decode()


def test_the_page_costs_the_same_queries_however_much_work_there_is(city, work, django_assert_max_num_queries):
    client = city.login(city.leader)
    client.get("/grassroots/")
    with django_assert_max_num_queries(20):
        client.get("/grassroots/")

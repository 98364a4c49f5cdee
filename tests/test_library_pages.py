"""The library's reading pages for front-line officers."""

import re

import pytest

from anmin.library.seed import seed_library
from anmin.org.models import Role
from tests.factories import OfficerFactory


@pytest.fixture
def published(city):
    seed_library(OfficerFactory(username="fazhi", organization=city.bureau, role=Role.LEGAL))


def test_an_officer_finds_a_typical_case_by_a_two_character_word(city, published):
    client = city.login(city.patrol_officer)
    page = client.get("/library/", {"q": "盗窃"}).content.decode()
    assert "入室盗窃" in page
    first = re.search(r'href="/library/(\d+)/"', page).group(1)
    case_page = client.get(f"/library/{first}/").content.decode()
    assert "法律依据" in case_page


def test_a_query_of_punctuation_finds_nothing_without_error(city, published):
    response = city.login(city.patrol_officer).get("/library/", {"q": "'\"*-NEAR("})
    assert response.status_code == 200
    assert "没有找到" in response.content.decode()


def test_the_library_needs_a_login(city, published, client):
    assert client.get("/library/").status_code == 302

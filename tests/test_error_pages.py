"""400, 403, 404 and 500 answer in Chinese with a way back and a way home, in the portal's style under
the portal; with DEBUG on (the demo) a stranger still never sees Django's URL list or a traceback."""

import pytest
from django.test import Client
from django.urls import reverse

from anmin.core.errorpages import is_portal

pytestmark = pytest.mark.django_db

#: What Django's technical pages say, and what its plain English pages say.
TECHNICAL = ("Using the URLconf", "Traceback", "DEBUG = True", "Django tried these URL patterns")
ENGLISH = ("Not Found", "Server Error", "Forbidden", "Bad Request")


def assert_chinese_error(response, status: int, heading: str, home: str):
    body = response.content.decode()
    assert response.status_code == status
    assert f"<h1>{heading}</h1>" in body
    assert f'id="error-home" href="{home}"' in body and 'id="error-back"' in body
    assert 'rel="icon"' in body
    for text in TECHNICAL + ENGLISH:
        assert text not in body
    return body


def test_a_missing_page_is_a_chinese_404_with_a_way_home(city):
    assert_chinese_error(city.login(city.dispatcher).get("/no-such-page/"), 404, "页面不存在", "/")
    assert_chinese_error(Client().get("/no-such-page/"), 404, "页面不存在", "/")


def test_a_missing_object_is_a_404_too(city):
    assert_chinese_error(city.login(city.dispatcher).get("/incidents/999999999/"), 404, "页面不存在", "/")


def test_under_the_portal_it_looks_like_the_portal(db):
    body = assert_chinese_error(Client().get("/portal/no-such-page/"), 404, "页面不存在", reverse("citizens:home"))
    assert "portal.css" in body and "公安掌上办" in body and "app.css" not in body
    assert is_portal(Client().get("/s/x/").wsgi_request)
    assert not is_portal(Client().get("/stats/").wsgi_request)


def test_a_refusal_is_a_chinese_403_saying_why(city):
    body = assert_chinese_error(city.login(city.dispatcher).get("/audit/"), 403, "无权访问", "/")
    assert "只有审计管理员可以查看审计记录" in body


def test_the_way_back_is_the_referring_page_only_when_it_is_ours(city):
    client = city.login(city.dispatcher)
    own = client.get("/no-such-page/", HTTP_REFERER="http://testserver/cases/").content.decode()
    assert 'id="error-back" href="http://testserver/cases/"' in own
    foreign = client.get("/no-such-page/", HTTP_REFERER="https://evil.example/").content.decode()
    assert "evil.example" not in foreign


def test_a_bad_host_is_a_chinese_400(db, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    assert_chinese_error(Client().get("/login/", HTTP_HOST="bad.example"), 400, "请求有误", "/")


def test_a_form_from_an_expired_page_is_refused_in_chinese(city):
    client = Client(enforce_csrf_checks=True)
    client.force_login(city.dispatcher)
    body = assert_chinese_error(client.post("/logout/"), 403, "无权访问", "/")
    assert "页面已过期" in body


def test_a_server_error_is_a_chinese_500_that_reads_no_request(city, settings):
    settings.ROOT_URLCONF = "tests.error_urls"
    client = city.login(city.dispatcher)
    client.raise_request_exception = False
    body = assert_chinese_error(client.get("/test-failure/"), 500, "系统出错了", "/")
    assert "deliberate failure" not in body
    # No context processor ran: the menu and the officer's name are not on the page.
    assert "nav-home" not in body and city.dispatcher.full_name not in body


@pytest.mark.parametrize("path", ["/no-such-page/", "/incidents/999999999/"])
def test_with_debug_on_a_404_still_shows_no_url_list(city, settings, path):
    settings.DEBUG = True
    assert_chinese_error(city.login(city.dispatcher).get(path), 404, "页面不存在", "/")


def test_with_debug_on_a_server_error_shows_no_traceback(city, settings):
    settings.DEBUG = True
    settings.ROOT_URLCONF = "tests.error_urls"
    client = city.login(city.dispatcher)
    client.raise_request_exception = False
    assert_chinese_error(client.get("/test-failure/"), 500, "系统出错了", "/")


def test_with_debug_on_a_missing_slash_is_still_added(city, settings):
    settings.DEBUG = True
    response = city.login(city.dispatcher).get("/board")
    assert response.status_code == 301 and response["Location"] == "/board/"


def test_debug_error_pages_give_a_developer_djangos_pages_back(city, settings):
    settings.DEBUG = True
    settings.DEBUG_ERROR_PAGES = True
    body = city.login(city.dispatcher).get("/no-such-page/").content.decode()
    assert "Using the URLconf" in body


def test_the_error_pages_carry_the_security_headers(db):
    response = Client().get("/no-such-page/")
    assert "Content-Security-Policy" in response.headers
    assert "<script>" not in response.content.decode()

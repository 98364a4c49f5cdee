"""Browser: after repeated wrong passwords the staff sign-in page asks for the image challenge; the
image loads, "换一张" replaces it, and the officer with the right password and the answer gets in.
Screenshots go to test-artifacts/login-*.png."""

import pytest

from tests.browser import shot
from tests.conftest import TEST_PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

ANSWER = "KX4T9"


def test_the_sign_in_page_shows_the_challenge_after_repeated_failures(
    asgi_server, browser, city, settings, monkeypatch
):
    settings.LOGIN_FREE_FAILURES = 5  # no waits in this test, only the challenge
    settings.LOGIN_CHALLENGE_AFTER = 2
    monkeypatch.setattr("anmin.org.challenge.new_text", lambda: ANSWER)
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    page.goto(f"{asgi_server.url}/login/")
    assert page.locator("#id_challenge").count() == 0  # nobody is asked before anything failed
    for _ in range(2):
        page.fill("#id_username", city.dispatcher.badge_number)
        page.fill("#id_password", "wrong-password")
        page.click("button[type=submit]")
        page.wait_for_load_state()
    assert "警号/用户名或密码错误" in page.inner_text(".errors")
    image = page.locator("img[data-challenge-src]")
    image.wait_for()
    page.wait_for_function("() => document.querySelector('img[data-challenge-src]').naturalWidth > 0")
    assert page.locator("#id_challenge").is_visible()
    shot(page, "login-challenge")

    first = image.get_attribute("src")
    page.click("[data-challenge-refresh]")
    page.wait_for_function(
        "(first) => { const i = document.querySelector('img[data-challenge-src]');"
        " return i.getAttribute('src') !== first && i.complete && i.naturalWidth > 0; }",
        arg=first,
    )

    page.fill("#id_username", city.dispatcher.badge_number)
    page.fill("#id_password", TEST_PASSWORD)
    page.fill("#id_challenge", ANSWER.lower())
    page.click("button[type=submit]")
    page.wait_for_url(f"{asgi_server.url}/board/")
    shot(page, "login-signed-in")
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    context.close()

"""The UI is Chinese first; English is kept working (compiled catalogue in anmin/locale)."""


def test_it_speaks_chinese_by_default(city):
    page = city.login(city.dispatcher).get("/board/").content.decode()
    assert "警情队列" in page
    assert 'lang="zh-CN"' in page


def test_it_speaks_english_when_asked(city):
    client = city.login(city.dispatcher)
    page = client.get("/board/", headers={"Accept-Language": "en"}).content.decode()
    assert "Incident queue" in page
    assert "警情队列" not in page


def test_it_switches_language_from_the_header_button(city):
    client = city.login(city.dispatcher)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/board/"})
    assert response.status_code == 302
    assert "Dispatch board" in client.get("/board/").content.decode()

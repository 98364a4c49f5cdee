"""The whole 110 intake by keyboard alone: Tab, typing, arrows, Enter, the Alt shortcuts and
Ctrl+Enter, never the mouse. The address comes from the standard address library, the category from
the combobox and then from the suggestions under the description."""

import importlib

import pytest
from django.apps import apps as django_apps

from anmin.addresses.models import Address, Level
from anmin.incidents import suggest
from anmin.incidents.actions import ReceiveCall
from anmin.incidents.models import Incident
from tests.browser import logged_in_page, shot
from tests.conftest import A1_POINT

pytestmark = pytest.mark.browser

#: A small bureau's closed calls, for the suggestion model.
HISTORY = {
    "0106": ["被两名男子持刀抢走手机", "被人持刀抢劫现金", "路边被抢劫，嫌疑人持刀逃跑"],
    "0110": ["电动车被盗", "手机被偷了", "店里收银台的钱被偷"],
    "0602": ["与邻居因漏水发生纠纷", "与邻居因停车位吵了起来", "邻居在楼道堆放杂物引发争执"],
    "0201": ["与邻居发生争执后被对方殴打", "在饭店被醉酒男子打了一拳", "被对方打了几巴掌"],
}


@pytest.fixture
def library(city):
    """桃城区 and one of its roads, at station A1's point."""
    county = Address.objects.create(code="131102", name="桃城区", full_name="河北省衡水市桃城区", level=Level.COUNTY)
    Address.objects.create(
        code="131102-Rtest0001",
        name="人民路",
        full_name="河北省衡水市桃城区人民路",
        level=Level.ROAD,
        parent=county,
        lat=A1_POINT[0],
        lon=A1_POINT[1],
    )


@pytest.fixture
def trained(city, call_data):
    importlib.import_module("anmin.incidents.migrations.0008_category_keywords").load(django_apps, None)
    for code, texts in HISTORY.items():
        for text in texts:
            data = {**call_data, "category": code, "description": text}
            ReceiveCall(by=city.dispatcher, data=data, force_new=True).execute()
    Incident.objects.update(status=Incident.Status.REPORTED)
    return suggest.train()


def test_a_call_is_taken_by_keyboard_alone(city, asgi_server, browser, library, trained):
    page = logged_in_page(browser, asgi_server, city.dispatcher)
    page.goto(asgi_server.url + "/intake/")
    keys = page.keyboard
    assert page.evaluate("() => document.activeElement.id") == "caller_phone"
    assert "Alt+Shift+1/2/3" in page.inner_text("#shortcuts").replace(" ", "")
    # The grid is a layer the call-taker may turn on; it starts off.
    grid = page.locator(".leaflet-control-layers-overlays label", has_text="网格")
    assert grid.count() == 1
    assert grid.locator("input").is_checked() is False

    keys.type("13812345678")
    keys.press("Tab")
    keys.type("王先生")
    keys.press("Tab")
    # The address as the caller says it: the library's candidates, the road first.
    keys.type("人民路100号")
    page.wait_for_function("() => (document.querySelector('#address-list li') || {}).textContent?.includes('100号')")
    first = page.inner_text("#address-list li >> nth=0")
    assert "河北省衡水市桃城区人民路" in first and "匹配度" in first
    keys.press("Enter")  # takes the highlighted (first) candidate and its point; does not submit
    assert page.input_value("#address").startswith("河北省衡水市桃城区人民路")
    assert float(page.input_value("#lat")) == pytest.approx(A1_POINT[0])
    assert float(page.input_value("#lon")) == pytest.approx(A1_POINT[1])
    assert page.locator("img.leaflet-marker-icon").count() == 1  # the call's point (labels are divs)
    assert Incident.objects.count() == sum(map(len, HISTORY.values()))  # nothing submitted yet

    keys.press("Tab")  # 纬度
    keys.press("Tab")  # 经度
    keys.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "category"
    # Part of a name lists every category it may mean; ↓ and Enter take the second.
    keys.type("纠纷")
    page.wait_for_selector("#category-list:not([hidden])")
    listed = page.locator("#category-list li:not([hidden])").all_inner_texts()
    assert [item.split()[0] for item in listed] == ["0601", "0602", "0603", "0604", "0605"]
    keys.press("ArrowDown")
    keys.press("Enter")
    assert page.input_value("#category") == "0602 邻里纠纷"

    keys.press("Tab")  # the priority radios
    keys.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "description"
    # The description tells another story: the suggestions follow it, serious violence in red.
    keys.type("邻居说看见两名男子持刀抢走了报警人的手机")
    # Typing slowly may show suggestions for the first words; wait for those of the whole text.
    page.wait_for_function("() => (document.querySelector('#suggest-list li') || {}).textContent?.includes('0106')")
    suggestion = page.locator("#suggest-list li").first
    assert "0106 抢劫" in suggestion.inner_text() and "八类严重暴力" in suggestion.inner_text()
    assert "持刀" in suggestion.inner_text()
    assert "serious" in suggestion.get_attribute("class")
    red = page.eval_on_selector("#suggest-list li.serious b", "el => getComputedStyle(el).color")
    assert red == "rgb(198, 40, 40)"
    assert f"依据 {trained.trained_on} 条已结警情" in page.inner_text("#category-suggest")
    keys.press("Alt+Shift+1")
    assert page.input_value("#category") == "0106 抢劫"
    # 八类严重暴力 are urgent unless the call-taker chose otherwise.
    assert page.is_checked("input[name='priority'][value='1']")
    shot(page, "intake-keyboard")

    keys.press("Control+Enter")
    page.wait_for_selector("text=已接警")
    incident = Incident.objects.exclude(status=Incident.Status.REPORTED).get()
    assert incident.category.code == "0106"
    assert incident.priority == 1
    assert incident.address.startswith("河北省衡水市桃城区人民路")
    assert incident.station == city.station_a1
    assert incident.caller_phone == "13812345678"


def test_without_the_address_library_it_says_so_and_an_ambiguous_category_lists_its_candidates(
    city, asgi_server, browser, call_data
):
    page = logged_in_page(browser, asgi_server, city.dispatcher)
    # The address service failing (or not there) is "no match", never a broken page.
    page.route("**/api/v1/addresses/match*", lambda route: route.fulfill(status=503, body="down"))
    page.goto(asgi_server.url + "/intake/")
    keys = page.keyboard
    page.focus("#address")
    keys.type("衡水学院东门")
    page.wait_for_selector("#address-note:not([hidden])")
    assert page.inner_text("#address-note") == "未匹配到标准地址，请在地图上点选"
    keys.press("Tab")
    keys.type(str(call_data["lat"]))
    keys.press("Tab")
    keys.type(str(call_data["lon"]))
    keys.press("Tab")
    keys.type("纠纷")
    keys.press("Escape")  # the list closed, the typed text stays
    keys.press("Control+Enter")
    page.wait_for_selector("#form-error[data-field='category']")
    assert "0601 家庭纠纷" in page.inner_text("#form-error")
    # Back on the page, the category box has the focus and lists the candidates to pick from.
    assert page.evaluate("() => document.activeElement.id") == "category"
    listed = page.locator("#category-list li:not([hidden])").all_inner_texts()
    assert [item.split()[0] for item in listed] == ["0601", "0602", "0603", "0604", "0605"]
    shot(page, "intake-ambiguous-category")
    keys.press("Enter")
    assert page.input_value("#category") == "0601 家庭纠纷"
    assert Incident.objects.count() == 0

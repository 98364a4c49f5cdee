"""End-to-end at the desk: a new call lands on top of the queue with a chime, a count in the tab's
title and a desktop notification once the dispatcher allowed it; the whole dispatch by keyboard;
the leader's dashboard catches up with a new call at once, not after its 60-second poll."""

from datetime import timedelta

import pytest
from django.utils import timezone

from anmin.incidents.actions import ReceiveCall, publish_incident
from anmin.incidents.models import Incident
from tests.browser import logged_in_page, shot

pytestmark = pytest.mark.browser

#: Stands in for the browser's Notification: records what the page asks and shows, and starts
#: undecided ("default"), as a browser does before the user is asked.
NOTIFICATION_SPY = """
(() => {
  const spy = { asked: 0, shown: [], permission: "default" };
  window.__notifications = spy;
  function FakeNotification(title, options) { spy.shown.push({ title, body: (options || {}).body }); }
  Object.defineProperty(FakeNotification, "permission", { get: () => spy.permission });
  FakeNotification.requestPermission = () => {
    spy.asked += 1; spy.permission = "granted"; return Promise.resolve("granted");
  };
  window.Notification = FakeNotification;
})();
"""


def receive(city, call_data, minutes_ago=0.0, **overrides) -> Incident:
    at = timezone.now() - timedelta(minutes=minutes_ago)
    return ReceiveCall(by=city.dispatcher, data={**call_data, **overrides}, force_new=True, at=at).execute()[0]


def board_data(page, name: str) -> int:
    return int(page.get_attribute("#board", f"data-{name}") or 0)


def test_a_new_call_lands_on_top_and_alerts_the_desk(city, asgi_server, browser, call_data):
    # A busy desk: calls already under way, older than the one about to come in.
    under_way = [receive(city, call_data, 3 + i, priority=1, address=f"人民路 {i} 号") for i in range(4)]
    Incident.objects.filter(pk__in=[i.pk for i in under_way]).update(
        status=Incident.Status.EN_ROUTE, arrival_due_at=timezone.now() + timedelta(minutes=30)
    )
    page = logged_in_page(browser, asgi_server, city.dispatcher)
    page.add_init_script(NOTIFICATION_SPY)
    page.goto(f"{asgi_server.url}/board/")
    page.wait_for_selector("body[data-live='on']")
    assert page.title().startswith("调度台")
    assert page.inner_text("#badge-received") == "待派警 0"
    # Asked only on a click, never on load.
    assert page.evaluate("() => window.__notifications.asked") == 0
    page.click("#alert-notify")
    page.wait_for_function("() => window.__notifications.asked === 1")
    assert page.is_hidden("#alert-notify")

    # A call of the lowest priority comes in: still on top, above everything under way.
    new = receive(city, call_data, priority=3, address="胜利路 8 号")
    page.wait_for_function(f"() => document.querySelector('#queue .queue-item').dataset.incident === '{new.pk}'")
    assert page.inner_text("#badge-received") == "待派警 1"
    page.wait_for_function("() => document.title === '(1) 待派警 · 安民'")
    page.wait_for_function("() => Number(document.getElementById('board').dataset.alerted) === 1")
    assert board_data(page, "chimed") == 1  # the <audio> was played (headless has no speaker to hear it)
    shown = page.evaluate("() => window.__notifications.shown")
    assert shown == [{"title": "(1) 待派警 · 安民", "body": "新警情待派警 1"}]
    shot(page, "desk-queue")

    # An incident under way passes its arrival target: the desk is alerted again.
    late = under_way[0]
    Incident.objects.filter(pk=late.pk).update(arrival_due_at=timezone.now() - timedelta(minutes=1))
    publish_incident(late)
    page.wait_for_function("() => Number(document.getElementById('board').dataset.alerted) === 2")
    assert page.inner_text("#badge-overdue") == "超时未到场 1"
    assert board_data(page, "chimed") == 2

    # Muted (and remembered): the next alert is silent but still counted in the title.
    page.click("#alert-mute")
    assert page.inner_text("#alert-mute") == "提示音：关"
    page.reload()
    page.wait_for_selector("body[data-live='on']")
    assert page.inner_text("#alert-mute") == "提示音：关"
    receive(city, call_data, priority=2, address="育才街 3 号")
    page.wait_for_function("() => document.title === '(2) 待派警 · 安民'")
    page.wait_for_function("() => Number(document.getElementById('board').dataset.alerted) === 1")
    assert board_data(page, "chimed") == 0


def test_the_whole_dispatch_by_keyboard(city, asgi_server, browser, call_data):
    earlier = receive(city, call_data, 2, priority=2)
    incident = receive(city, call_data, 1, priority=1, category="0110", address="人民路 100 号")
    page = logged_in_page(browser, asgi_server, city.dispatcher)
    page.goto(f"{asgi_server.url}/board/")
    page.wait_for_selector("body[data-live='on']")
    assert "J" in page.inner_text("#desk-keys") and "Enter" in page.inner_text("#desk-keys")

    # "/" goes to the search, where letters are letters, not keys of the desk.
    page.keyboard.press("/")
    assert page.evaluate("() => document.activeElement.id") == "queue-q"
    page.keyboard.type("jk")
    assert page.locator("#queue .queue-item.selected").count() == 0
    page.keyboard.press("Escape")  # clears the search box and leaves it
    page.wait_for_function("() => document.activeElement.id !== 'queue-q'")

    # j selects the first of the queue (priority 1 first) and opens its panel.
    page.keyboard.press("j")
    page.wait_for_selector(f"#incident-panel[data-incident='{incident.pk}']")
    assert page.get_attribute("#queue .queue-item.selected", "data-incident") == str(incident.pk)
    page.keyboard.press("j")
    page.wait_for_selector(f"#incident-panel[data-incident='{earlier.pk}']")
    page.keyboard.press("k")
    page.wait_for_selector(f"#incident-panel[data-incident='{incident.pk}']")

    boxes = page.locator("#dispatch-form input[name='unit_ids']")
    assert boxes.count() >= 2
    assert boxes.nth(0).is_checked() and not boxes.nth(1).is_checked()
    first, second = (int(boxes.nth(i).get_attribute("value")) for i in range(2))
    page.keyboard.press("2")
    assert boxes.nth(1).is_checked()
    page.keyboard.press("3")
    page.keyboard.press("3")  # ticked and unticked again
    assert not boxes.nth(2).is_checked()
    assert page.is_visible("#dispatch-button")  # kept in view at the bottom of the panel
    shot(page, "desk-keyboard")

    page.keyboard.press("Enter")
    page.wait_for_selector("#incident-panel .chip.dispatched")
    incident.refresh_from_db()
    assert incident.status == Incident.Status.DISPATCHED
    assert set(incident.assignments.values_list("unit_id", flat=True)) == {first, second}
    page.wait_for_selector(f"#q-{incident.pk} .chip.dispatched")
    assert page.inner_text("#badge-received") == "待派警 1"
    shot(page, "desk-keyboard-dispatched")

    # The dispatched incident went below the call still waiting: k goes up to it. Enter with
    # nothing ticked is refused with the form's message, as the button is.
    assert page.get_attribute("#queue .queue-item", "data-incident") == str(earlier.pk)
    page.keyboard.press("k")
    page.wait_for_selector(f"#incident-panel[data-incident='{earlier.pk}']")
    page.keyboard.press("1")
    assert page.locator("#dispatch-form input:checked").count() == 0
    page.keyboard.press("Enter")
    assert "请选择要派出的警力" in page.wait_for_selector("#unit_ids-error").inner_text()
    assert not earlier.assignments.exists()


def test_the_dashboard_refreshes_on_a_new_call_without_waiting_for_its_poll(city, asgi_server, browser, call_data):
    receive(city, call_data)
    page = logged_in_page(browser, asgi_server, city.leader)
    page.goto(f"{asgi_server.url}/stats/dashboard/")
    page.wait_for_selector("body[data-live='on']")  # the leader's socket is admitted
    page.wait_for_function("() => document.getElementById('dashboard').dataset.loads === '1'")
    assert page.inner_text("#dash-mode") == "实时更新"
    before = page.inner_text("#dash-kpis .kpi >> nth=0")
    receive(city, call_data, category="0110")
    # The page's poll is 60 s; the notice brings the figures in a few seconds.
    page.wait_for_function("() => document.getElementById('dashboard').dataset.loads === '2'", timeout=15_000)
    after = page.inner_text("#dash-kpis .kpi >> nth=0")
    assert before.split("\n")[1].startswith("1") and after.split("\n")[1].startswith("2")
    shot(page, "desk-dashboard-live")

"""访民: visit plans, visits logged from the phone page, issues turned into disputes or tasks, and
"有警处警、无警访民" — each officer's visits beside their incidents."""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from anmin.core.errors import ActionError
from anmin.core.models import AuditEntry
from anmin.dispatch.actions import DispatchUnits
from anmin.disputes.actions import CompleteVisitTask, CreateVisitPlan, LogVisit
from anmin.disputes.models import Dispute, Visit, VisitPlan, VisitTask
from anmin.disputes.report import officer_counts
from anmin.incidents.actions import ReceiveCall
from anmin.org.models import Officer


def log(city, officer=None, at=None, **data):
    data = {"person_name": "孙大娘", "person_phone": "13812345678", "address": "河西小区 3 号楼", **data}
    return LogVisit(by=officer or city.station_officer, data=data, at=at).execute()


def test_a_visit_is_logged_from_the_phone_page_and_shown_masked(city):
    client = city.login(city.station_officer)
    page = client.get(reverse("disputes:phone"))
    assert page.status_code == 200 and "走访登记" in page.content.decode()
    response = client.post(
        reverse("disputes:phone"),
        {
            "person_name": "孙大娘",
            "person_phone": "13812345678",
            "address": "河西小区 3 号楼",
            "raised": "楼下烧烤扰民",
        },
    )
    text = response.content.decode()
    assert response.status_code == 200 and "已登记走访" in text
    visit = Visit.objects.get()
    assert visit.station == city.station_a1 and visit.officer == city.station_officer
    assert "孙**" in text and "孙大娘" not in text and "13812345678" not in text
    assert f"?visit={visit.pk}" in text  # 转为矛盾纠纷
    assert AuditEntry.objects.filter(action="visit.log").count() == 1


def test_a_visit_without_a_person_names_the_field(city):
    response = city.login(city.station_officer).post(reverse("disputes:phone"), {"address": "x"})
    assert response.status_code == 400 and "走访对象" in response.content.decode()
    assert not Visit.objects.exists()


def test_a_raised_issue_becomes_a_prefilled_dispute(city):
    visit = log(city, raised="两户因停车位争执")
    client = city.login(city.station_officer)
    page = client.get(reverse("disputes:create") + f"?visit={visit.pk}").content.decode()
    assert "两户因停车位争执" in page and "河西小区 3 号楼" in page and "孙大娘" not in page
    response = client.post(
        reverse("disputes:create"),
        {
            "kind": "neighbour",
            "risk": "low",
            "source": "visit",
            "visit": visit.pk,
            "address": visit.address,
            "description": visit.raised,
            "source_person": "on",
        },
    )
    assert response.status_code == 302
    dispute = Dispute.objects.get()
    assert dispute.visit == visit and dispute.source == "visit" and dispute.parties.get().name == "孙大娘"


def test_a_raised_issue_becomes_a_task_and_is_done(city):
    visit = log(city, raised="路灯不亮")
    client = city.login(city.station_officer)
    due = (timezone.localdate() + timedelta(days=2)).isoformat()
    assert (
        client.post(
            reverse("disputes:visit-task", args=[visit.pk]), {"description": "路灯不亮", "due_date": due}
        ).status_code
        == 302
    )
    task = VisitTask.objects.get()
    assert task.assigned_to == city.station_officer and str(task.due_date) == due
    assert "路灯不亮" in client.get(reverse("disputes:phone")).content.decode()
    assert client.post(reverse("disputes:task-done", args=[task.pk])).status_code == 302
    task.refresh_from_db()
    assert task.done_at is not None
    with pytest.raises(ActionError):
        CompleteVisitTask(by=city.station_officer, task=task).execute()


def test_the_outsider_cannot_touch_a_visit_or_its_task(city):
    visit = log(city, raised="x")
    outsider = city.login(city.outsider)
    assert (
        outsider.post(
            reverse("disputes:visit-task", args=[visit.pk]), {"description": "x", "due_date": "2026-12-31"}
        ).status_code
        == 404
    )
    assert not VisitTask.objects.exists()
    assert outsider.get(reverse("disputes:create") + f"?visit={visit.pk}").status_code == 404
    assert "河西小区" not in outsider.get(reverse("disputes:phone")).content.decode()
    assert list(Visit.objects.visible_to(city.outsider)) == []


def test_a_plan_lists_its_progress_and_scopes_its_officer(city):
    due = timezone.localdate() + timedelta(days=7)
    plan = CreateVisitPlan(
        by=city.leader,
        officer=city.station_officer,
        targets="3 号楼独居老人\n5 号楼租户",
        due_date=due,
        planned_count=2,
    ).execute()
    assert plan.station == city.station_a1
    log(city, plan=plan)
    page = city.login(city.station_officer).get(reverse("disputes:plans")).content.decode()
    assert "1/2" in page and "独居老人" in page
    assert "独居老人" not in city.login(city.outsider).get(reverse("disputes:plans")).content.decode()
    with pytest.raises(ActionError):  # a plan for 河西's officer made by 冀州's
        CreateVisitPlan(by=city.outsider, officer=city.station_officer, targets="x", due_date=due).execute()
    response = city.login(city.station_officer).post(
        reverse("disputes:plans"),
        {"officer": city.station_officer.pk, "targets": "网格走访", "planned_count": 5, "due_date": due.isoformat()},
    )
    assert response.status_code == 302 and VisitPlan.objects.count() == 2
    response = city.login(city.station_officer).post(
        reverse("disputes:plans"),
        {"officer": city.outsider.pk, "targets": "x", "planned_count": 1, "due_date": due.isoformat()},
    )
    assert response.status_code == 400 and VisitPlan.objects.count() == 2


def test_visits_stand_beside_incidents_per_officer(city, call_data):
    dec = timezone.make_aware(datetime(2026, 12, 5, 10))
    patrol = city.patrol_officer  # crew of 河西01
    for n in range(2):
        incident, _ = ReceiveCall(
            by=city.dispatcher, data=call_data, force_new=True, at=dec + timedelta(hours=n)
        ).execute()
        with freeze(dec + timedelta(hours=n, minutes=1)):
            DispatchUnits(incident=incident, unit_ids=[city.patrol_car.pk], by=city.dispatcher).execute()
        from anmin.dispatch.models import Assignment

        Assignment.objects.filter(incident=incident).update(closed_at=dec + timedelta(hours=n, minutes=30))
        from anmin.dispatch.models import Unit

        Unit.objects.filter(pk=city.patrol_car.pk).update(status="available")
    for n in range(3):
        log(city, officer=city.station_officer, at=dec + timedelta(days=n))
    log(city, officer=patrol, at=dec)
    log(city, officer=patrol, at=dec - timedelta(days=30))  # November
    rows = {
        row["officer"].username: (row["incidents"], row["visits"])
        for row in officer_counts(Officer.objects.all(), 2026, 12)
    }
    assert rows == {"patrol": (2, 1), "station": (0, 3)}
    page = city.login(city.leader).get(reverse("disputes:report") + "?month=2026-12").content.decode()
    assert "有警处警、无警访民" in page


class freeze:
    """Patches timezone.now for the actions that read the clock themselves."""

    def __init__(self, at):
        from unittest import mock

        self.patch = mock.patch("django.utils.timezone.now", return_value=at)

    def __enter__(self):
        return self.patch.__enter__()

    def __exit__(self, *exc):
        return self.patch.__exit__(*exc)

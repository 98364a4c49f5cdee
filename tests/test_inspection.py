"""受案立案审查巡查: incidents with no case after the review limit (有警不接、有案不立), idle cases,
dismissal with a reason, and scoping."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from anmin.cases.actions import ChangeCaseStatus, OpenCase
from anmin.cases.models import Case
from anmin.core.errors import ActionError, Denied
from anmin.core.models import AuditEntry
from anmin.incidents.actions import ReceiveCall
from anmin.incidents.models import Incident
from anmin.org.models import Role
from anmin.supervision.actions import DismissInspection
from anmin.supervision.calendar import LEGAL_TZ
from anmin.supervision.inspection import idle_cases, incidents_without_case, review_cutoff
from anmin.supervision.models import InspectionDismissal
from tests.conftest import B1_POINT
from tests.factories import OfficerFactory


def at(*args) -> datetime:
    return datetime(*args, tzinfo=LEGAL_TZ)


@pytest.fixture
def legal_a(city):
    return OfficerFactory(username="legal_a", organization=city.branch_a, role=Role.LEGAL)


@pytest.fixture
def legal_b(city):
    return OfficerFactory(username="legal_b", organization=city.branch_b, role=Role.LEGAL)


def reported(city, call_data, category: str, closed_at: datetime, *, point=None) -> Incident:
    """An incident of `category`, finished and reported (已反馈) at `closed_at`."""
    data = dict(call_data, category=category)
    if point:
        data.update(lat=point[0], lon=point[1])
    incident, _ = ReceiveCall(by=city.dispatcher, data=data, force_new=True).execute()
    Incident.objects.filter(pk=incident.pk).update(status=Incident.Status.REPORTED, closed_at=closed_at)
    incident.refresh_from_db()
    return incident


def listed(user, now) -> set[int]:
    return set(incidents_without_case(user, now).values_list("pk", flat=True))


# —— incidents with no case ——


def test_a_criminal_incident_with_no_case_is_listed_once_the_three_days_have_run(city, call_data, legal_a):
    theft = reported(city, call_data, "0110", at(2026, 3, 9, 14, 0))  # Monday
    assert theft.pk not in listed(legal_a, at(2026, 3, 12, 23, 59, 59))  # 3 日 ends Thursday night
    assert theft.pk in listed(legal_a, at(2026, 3, 13, 0, 0, 1))


def test_a_public_order_incident_waits_24_hours(city, call_data, legal_a):
    fight = reported(city, call_data, "0201", at(2026, 3, 9, 14, 0))
    assert fight.pk not in listed(legal_a, at(2026, 3, 10, 13, 59))
    assert fight.pk in listed(legal_a, at(2026, 3, 10, 14, 1))


def test_the_review_limit_of_an_incident_runs_over_the_holiday(city, call_data, legal_a):
    theft = reported(city, call_data, "0110", at(2026, 9, 30, 10, 0))
    assert review_cutoff("criminal_filing_review", at(2026, 10, 9, 0, 0, 1)) >= theft.closed_at
    assert theft.pk not in listed(legal_a, at(2026, 10, 8, 20, 0))  # 3 October falls in 国庆节
    assert theft.pk in listed(legal_a, at(2026, 10, 9, 0, 0, 1))


def test_an_incident_with_a_case_or_of_another_class_is_not_listed(city, call_data, legal_a):
    with_case = reported(city, call_data, "0110", at(2026, 3, 1, 10, 0))
    OpenCase(by=city.station_officer, kind="criminal", title="盗窃案", incident=with_case).execute()
    reported(city, call_data, "0601", at(2026, 3, 1, 10, 0))
    still_open = reported(city, call_data, "0110", at(2026, 3, 1, 10, 0))
    Incident.objects.filter(pk=still_open.pk).update(status=Incident.Status.ARRIVED)
    assert listed(legal_a, at(2026, 4, 1)) == set()


def test_another_branch_sees_none_of_these_incidents(city, call_data, legal_a, legal_b):
    here = reported(city, call_data, "0110", at(2026, 3, 1, 10, 0))
    there = reported(city, call_data, "0110", at(2026, 3, 1, 10, 0), point=B1_POINT)
    assert listed(legal_a, at(2026, 4, 1)) == {here.pk}
    assert listed(legal_b, at(2026, 4, 1)) == {there.pk}
    assert listed(city.leader, at(2026, 4, 1)) == {here.pk, there.pk}


# —— idle cases ——


def test_an_open_case_idle_past_the_limit_is_listed(city, legal_a, settings):
    settings.INSPECTION_IDLE_DAYS = 30
    case = OpenCase(by=city.station_officer, kind="criminal", title="久拖案件").execute()
    now = timezone.now()
    Case.objects.filter(pk=case.pk).update(status_since=now - timedelta(days=31))
    fresh = OpenCase(by=city.station_officer, kind="criminal", title="新案件").execute()
    Case.objects.filter(pk=fresh.pk).update(status_since=now - timedelta(days=29))
    assert list(idle_cases(legal_a, now)) == [case]
    settings.INSPECTION_IDLE_DAYS = 20
    assert set(idle_cases(legal_a, now)) == {case, fresh}
    assert list(idle_cases(city.outsider, now)) == []


def test_a_closed_case_is_never_idle(city, legal_a):
    case = OpenCase(by=city.station_officer, kind="administrative", title="结案").execute()
    for action in ("inquire", "other_handling", "close"):
        ChangeCaseStatus(case=case, action=action, by=city.station_officer).execute()
    Case.objects.filter(pk=case.pk).update(status_since=timezone.now() - timedelta(days=100))
    assert list(idle_cases(legal_a, timezone.now())) == []


# —— dismissal ——


def test_dismissal_needs_a_reason_and_writes_nothing_without_one(city, call_data, legal_a):
    incident = reported(city, call_data, "0201", timezone.now() - timedelta(days=5))
    audits = AuditEntry.objects.count()
    for reason in ("", "   ", None):
        with pytest.raises(ActionError) as exc:
            DismissInspection(incident=incident, reason=reason, by=legal_a).execute()
        assert exc.value.field == "reason"
    assert InspectionDismissal.objects.count() == 0
    assert AuditEntry.objects.count() == audits
    assert incident.pk in listed(legal_a, timezone.now())

    DismissInspection(incident=incident, reason="邻里纠纷已当场调解，不构成治安案件", by=legal_a).execute()
    assert incident.pk not in listed(legal_a, timezone.now())
    dismissal = InspectionDismissal.objects.get()
    assert (dismissal.by, dismissal.kind) == (legal_a, "incident")
    entry = AuditEntry.objects.get(action="inspection.dismiss")
    assert entry.data["incident"] == incident.number


def test_an_idle_case_comes_back_if_it_stalls_again_after_moving_on(city, legal_a):
    case = OpenCase(by=city.station_officer, kind="administrative", title="久拖").execute()
    now = timezone.now()
    Case.objects.filter(pk=case.pk).update(status_since=now - timedelta(days=40))
    case.refresh_from_db()
    DismissInspection(case=case, reason="等待鉴定意见，鉴定期间不计入办案期限", by=legal_a).execute()
    assert list(idle_cases(legal_a, now)) == []
    ChangeCaseStatus(case=case, action="inquire", by=city.station_officer).execute()
    Case.objects.filter(pk=case.pk).update(status_since=now - timedelta(days=35))
    assert list(idle_cases(legal_a, now)) == [case]


def test_only_supervisors_dismiss_and_only_rows_they_can_see(city, call_data, legal_b):
    incident = reported(city, call_data, "0110", timezone.now() - timedelta(days=20))
    with pytest.raises(Denied):
        DismissInspection(incident=incident, reason="理由", by=city.station_officer).execute()
    with pytest.raises(ActionError) as exc:
        DismissInspection(incident=incident, reason="理由", by=legal_b).execute()
    assert exc.value.code == "not_listed"
    assert InspectionDismissal.objects.count() == 0


# —— the page ——


def test_the_inspection_page_lists_and_dismisses(city, call_data, legal_a):
    incident = reported(city, call_data, "0110", timezone.now() - timedelta(days=20))
    client = city.login(legal_a)
    html = client.get("/supervision/inspection/").content.decode()
    assert f'id="incident-{incident.pk}"' in html
    response = client.post("/supervision/inspection/", {"kind": "incident", "item": incident.pk, "reason": ""})
    assert response.status_code == 400
    assert "请填写理由" in response.content.decode()
    assert InspectionDismissal.objects.count() == 0
    response = client.post(
        "/supervision/inspection/", {"kind": "incident", "item": incident.pk, "reason": "已移交刑侦大队受案"}
    )
    assert response.status_code == 302
    assert f'id="incident-{incident.pk}"' not in client.get("/supervision/inspection/").content.decode()


def test_the_inspection_page_is_scoped_and_for_supervisors(city, call_data, legal_b):
    incident = reported(city, call_data, "0110", timezone.now() - timedelta(days=20))
    assert city.login(city.station_officer).get("/supervision/inspection/").status_code == 403
    assert city.login(city.outsider).get("/supervision/inspection/").status_code == 403
    html = city.login(legal_b).get("/supervision/inspection/").content.decode()
    assert f'id="incident-{incident.pk}"' not in html
    response = city.login(legal_b).post(
        "/supervision/inspection/", {"kind": "incident", "item": incident.pk, "reason": "越权排除"}
    )
    assert response.status_code == 400
    assert InspectionDismissal.objects.count() == 0


def test_the_inspection_page_costs_a_constant_number_of_queries(city, call_data, legal_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(n: int) -> None:
        for _ in range(n):
            reported(city, call_data, "0110", timezone.now() - timedelta(days=20))
            case = OpenCase(by=city.station_officer, kind="criminal", title="久拖").execute()
            Case.objects.filter(pk=case.pk).update(status_since=timezone.now() - timedelta(days=60))

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/supervision/inspection/").status_code == 200
        return len(ctx.captured_queries)

    client = city.login(legal_a)
    add(3)
    count()  # the first request loads the rules and the holiday calendar into the process cache
    few = count()
    add(30)
    assert count() == few

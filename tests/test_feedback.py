"""群众满意度回访: surveys opened when a matter closes, one answer each (link or phone 回访), follow-ups
for dissatisfied answers, and the satisfaction rate as a statistics metric."""

import itertools
import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from anmin.citizens import sms
from anmin.core.errors import ActionError, Conflict, Denied
from anmin.core.models import AuditEntry
from anmin.dispatch.actions import AdvanceAssignment, DispatchUnits, ReopenIncident, SubmitFeedback
from anmin.feedback.actions import (
    AnswerSurvey,
    CloseFollowUp,
    OpenSurvey,
    RecordCallback,
    leader_of,
    open_survey_for,
)
from anmin.feedback.models import FollowUp, MatterKind, Survey
from anmin.geo.models import GridCell
from anmin.incidents.actions import ReceiveCall
from anmin.incidents.models import Category, Incident
from anmin.org.models import Role
from anmin.stats import report, rollups
from tests.factories import OfficerFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
_numbers = itertools.count(1)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def close_incident(city, call_data, **overrides) -> Incident:
    """A call taken, the patrol car sent, on scene, and its feedback: the incident is 已反馈."""
    incident, _ = ReceiveCall(by=city.dispatcher, data={**call_data, **overrides}, force_new=True).execute()
    DispatchUnits(incident=incident, unit_ids=[city.patrol_car.pk], by=city.dispatcher).execute()
    AdvanceAssignment(unit=city.patrol_car, step="arrive", by=city.patrol_officer).execute()
    SubmitFeedback(unit=city.patrol_car, result="handled", text="调解完毕", by=city.patrol_officer).execute()
    incident.refresh_from_db()
    assert incident.status == Incident.Status.REPORTED
    return incident


def token_in(text: str) -> str:
    return re.search(r"/s/([\w-]+)/", text)[1]


def matter(station) -> Incident:
    """A stand-in closed matter (no caller phone, so it opens no survey by itself)."""
    cell = GridCell.objects.filter(jurisdiction=station).order_by("h3").first()
    when = at("2025-01-02 10:00")
    return Incident.objects.create(
        number=f"F{next(_numbers):010d}",
        received_at=when,
        category=Category.objects.get(code="0110"),
        address="测试地址",
        lat=cell.lat,
        lon=cell.lon,
        grid_cell=cell,
        station=station,
        area_type=cell.area_type,
        target_minutes=5,
        arrival_due_at=when + timedelta(minutes=5),
        status="reported",
    )


def survey(station, officer=None, *, opened: str | None = None, kind=MatterKind.INCIDENT, item=None) -> Survey:
    thing = matter(station)
    return OpenSurvey(
        matter=thing,
        kind=kind,
        label=thing.number,
        phone="13700000000",
        organization=station,
        officer=officer,
        service_item_id=item,
        now=at(opened) if opened else None,
    ).execute()


def answer(s: Survey, by, rating: str, when: str, reasons=None) -> Survey:
    if rating == "dissatisfied" and reasons is None:
        reasons = ["attitude"]
    return RecordCallback(survey=s, by=by, rating=rating, reasons=reasons, called_at=at(when)).execute()


# --- opening -------------------------------------------------------------------------------------


def test_a_reported_incident_opens_a_survey_and_sends_the_link(city, call_data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        incident = close_incident(city, call_data)
    s = Survey.objects.get()
    assert s.matter == incident and s.kind == MatterKind.INCIDENT and s.matter_label == incident.number
    assert s.organization == city.station_a1 and s.officer == city.patrol_officer
    assert s.closed_at == incident.closed_at and s.sms_sent_at is not None
    assert s.expires_at - s.opened_at == timedelta(days=30)
    text = sms.last_message("13812345678")
    assert incident.number in text
    token = token_in(text)
    assert len(token) >= 30 and s.token_hash != token  # only the hash is stored
    page = Client().get(f"/s/{token}/")
    assert page.status_code == 200 and incident.number in page.content.decode()
    assert page["Referrer-Policy"] == "same-origin"
    # Part of the audited 反馈: the trail keeps one entry for it (dispatch's one-action-one-entry test).
    assert not AuditEntry.objects.filter(action="feedback.open").exists()
    assert AuditEntry.objects.filter(action="assignment.feedback").count() == 1


def test_reopened_and_reported_again_keeps_one_survey(city, call_data):
    incident = close_incident(city, call_data)
    ReopenIncident(incident=incident, reason="纠纷再起", by=city.dispatcher).execute()
    DispatchUnits(incident=incident, unit_ids=[city.patrol_car.pk], by=city.dispatcher).execute()
    AdvanceAssignment(unit=city.patrol_car, step="arrive", by=city.patrol_officer).execute()
    SubmitFeedback(unit=city.patrol_car, result="handled", text="再次调解", by=city.patrol_officer).execute()
    assert Survey.objects.count() == 1


def test_a_landline_gets_a_callback_and_no_phone_no_survey(city, call_data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        close_incident(city, call_data, caller_phone="0318-2123456")
    s = Survey.objects.get()
    assert s.sms_sent_at is None and sms.last_message("0318-2123456") is None
    close_incident(city, call_data, caller_phone="")
    assert Survey.objects.count() == 1


def test_open_survey_for_an_application_is_idempotent(city):
    thing = matter(city.station_a2)
    first = open_survey_for(
        thing, label="BJ20250101", phone="13700000001", organization=city.station_a2, service_item_id=7
    )
    again = open_survey_for(thing, label="BJ20250101", phone="13700000001", organization=city.station_a2)
    assert first.pk == again.pk and first.kind == MatterKind.APPLICATION and first.service_item_id == 7
    assert AuditEntry.objects.filter(action="feedback.open", object_id=str(first.pk)).count() == 1
    assert open_survey_for(matter(city.station_a2), label="x", phone="", organization=city.station_a2) is None


# --- answering -----------------------------------------------------------------------------------


def _opened(city, call_data, capture) -> tuple[Survey, str]:
    with capture(execute=True):
        close_incident(city, call_data)
    return Survey.objects.get(), token_in(sms.last_message("13812345678"))


def test_one_answer_per_matter(city, call_data, django_capture_on_commit_callbacks):
    s, token = _opened(city, call_data, django_capture_on_commit_callbacks)
    AnswerSurvey(token=token, rating="basic", reasons=["slow_arrival"], comment="来得有点慢").execute()
    s.refresh_from_db()
    assert (s.rating, s.reasons, s.channel) == ("basic", ["slow_arrival"], "link")
    with pytest.raises(Conflict) as caught:
        AnswerSurvey(token=token, rating="satisfied").execute()
    assert "已评价" in caught.value.message
    with pytest.raises(Conflict):
        RecordCallback(survey=s, by=city.station_officer, rating="satisfied").execute()
    # The page says so too, and changes nothing.
    response = Client().post(f"/s/{token}/", {"rating": "dissatisfied", "reasons": ["attitude"]})
    assert response.status_code == 409 and "已评价" in response.content.decode()
    s.refresh_from_db()
    assert s.rating == "basic" and not FollowUp.objects.exists()


def test_an_expired_link_is_refused(city):
    s = survey(city.station_a1, opened="2025-01-05 09:00")
    token = s.token
    with pytest.raises(ActionError) as caught:
        AnswerSurvey(token=token, rating="satisfied", now=at("2025-02-04 09:00")).execute()
    assert caught.value.code == "expired" and caught.value.field == "token"
    page = Client().get(f"/s/{token}/")
    assert "评价链接已过期" in page.content.decode() and 'id="survey-form"' not in page.content.decode()
    AnswerSurvey(token=token, rating="satisfied", now=at("2025-02-04 08:59")).execute()  # a minute before


def test_an_unknown_link_is_404_not_500(db):
    assert Client().get("/s/not-a-real-token-at-all-xxxxxxx/").status_code == 404
    assert Client().get("/s/x/").status_code == 404


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "rating"),
        ({"rating": "great"}, "rating"),
        ({"rating": "dissatisfied"}, "reasons"),
        ({"rating": "dissatisfied", "reasons": ["rude"]}, "reasons"),
        ({"rating": "dissatisfied", "reasons": ["other"]}, "comment"),
        ({"rating": "basic", "comment": "长" * 501}, "comment"),
        ({"rating": "basic", "comment": "a\x00b"}, "comment"),
    ],
)
def test_bad_answers_name_the_field_and_change_nothing(city, data, field):
    s = survey(city.station_a1)
    response = Client().post(f"/s/{s.token}/", data)
    assert response.status_code == 400
    assert f'data-field="{field}"' in response.content.decode()
    s.refresh_from_db()
    assert s.answered_at is None and not FollowUp.objects.exists()


def test_the_public_api_answers_once_and_names_fields(city):
    s = survey(city.station_a1)
    post = lambda body: Client().post("/api/v1/feedback/answer", json.dumps(body), content_type="application/json")  # noqa: E731
    bad = post({"token": s.token, "rating": "meh"})
    assert bad.status_code == 400 and bad.json()["detail"][0]["field"] == "rating"
    assert post({"token": s.token, "rating": "dissatisfied"}).json()["detail"][0]["field"] == "reasons"
    assert post({"token": s.token, "rating": "satisfied"}).status_code == 200
    again = post({"token": s.token, "rating": "satisfied"})
    assert again.status_code == 409 and again.json()["detail"][0]["code"] == "answered"


# --- follow-up -----------------------------------------------------------------------------------


def test_a_dissatisfied_answer_opens_a_follow_up_for_the_nearest_leader(city):
    branch_leader = OfficerFactory(username="branch_leader", organization=city.branch_a, role=Role.LEADER)
    assert leader_of(city.station_a1) == branch_leader  # the station has none: its branch's
    assert leader_of(city.station_b1) == city.leader  # nor has branch B: the bureau's
    station_leader = OfficerFactory(username="a1_leader", organization=city.station_a1, role=Role.LEADER)
    s = survey(city.station_a1, city.patrol_officer, opened="2025-09-28 09:00")
    # Answered on 30 September 2025: 1–8 October are the 国庆/中秋 holiday, 11 October (Saturday)
    # a 调休 working day — three working days are 9, 10 and 11 October.
    RecordCallback(
        survey=s,
        by=city.station_officer,
        rating="dissatisfied",
        reasons=["attitude", "other"],
        comment="民警说话生硬",
        called_at=at("2025-09-30 10:00"),
    ).execute()
    follow_up = FollowUp.objects.get()
    assert follow_up.assignee == station_leader and follow_up.organization == city.station_a1
    assert follow_up.due_at == at("2025-10-11 23:59:59")


def test_closing_a_follow_up(city):
    s = survey(city.station_a1, opened="2025-03-01 09:00")
    answer(s, city.station_officer, "dissatisfied", "2025-03-03 10:00")
    follow_up = FollowUp.objects.get()
    assert follow_up.assignee == city.leader and follow_up.is_overdue()
    with pytest.raises(Denied):
        CloseFollowUp(follow_up=follow_up, by=city.station_officer, note="x").execute()  # not a leader
    with pytest.raises(Denied):
        CloseFollowUp(follow_up=follow_up, by=city.outsider, note="x").execute()
    with pytest.raises(ActionError) as caught:
        CloseFollowUp(follow_up=follow_up, by=city.leader, note="  ").execute()
    assert caught.value.field == "note"
    client = city.login(city.leader)
    page = client.get("/feedback/follow-ups/")
    assert "fb-overdue" in page.content.decode() and s.matter_label in page.content.decode()
    response = client.post(f"/feedback/follow-ups/{follow_up.pk}/close/", {"note": "已约谈当事民警并向群众致歉"})
    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.closed_by == city.leader and follow_up.note.startswith("已约谈")
    with pytest.raises(Conflict):
        CloseFollowUp(follow_up=follow_up, by=city.leader, note="again").execute()


# --- staff pages ---------------------------------------------------------------------------------


def test_the_callback_queue_lists_late_surveys_in_scope(city):
    now = timezone.now()
    late = survey(city.station_a1)
    Survey.objects.filter(pk=late.pk).update(opened_at=now - timedelta(days=4))
    fresh = survey(city.station_a1)
    Survey.objects.filter(pk=fresh.pk).update(opened_at=now - timedelta(hours=2))
    other = survey(city.station_b1)
    Survey.objects.filter(pk=other.pk).update(opened_at=now - timedelta(days=5))
    page = city.login(city.station_officer).get("/feedback/callbacks/").content.decode()
    assert late.matter_label in page and fresh.matter_label not in page and other.matter_label not in page
    assert fresh.matter_label in city.login(city.station_officer).get("/feedback/callbacks/?all=1").content.decode()
    assert other.matter_label in city.login(city.outsider).get("/feedback/callbacks/").content.decode()
    assert city.login(city.leader).get("/feedback/callbacks/").content.decode().count("/feedback/surveys/") == 2


def test_staff_record_a_callback(city):
    s = survey(city.station_a1, city.patrol_officer, opened="2025-03-01 09:00")
    client = city.login(city.station_officer)
    bad = client.post(f"/feedback/surveys/{s.pk}/", {"rating": "basic", "called_at": "yesterday"})
    assert bad.status_code == 400 and 'data-field="called_at"' in bad.content.decode()
    future = client.post(f"/feedback/surveys/{s.pk}/", {"rating": "basic", "called_at": "2999-01-01T10:00"})
    assert future.status_code == 400
    response = client.post(
        f"/feedback/surveys/{s.pk}/", {"rating": "basic", "reasons": ["slow_arrival"], "called_at": "2025-03-04T15:30"}
    )
    assert response.status_code == 302
    s.refresh_from_db()
    assert (s.rating, s.channel, s.called_by, s.answered_at) == (
        "basic",
        "callback",
        city.station_officer,
        at("2025-03-04 15:30"),
    )
    assert "电话回访" in client.get(f"/feedback/surveys/{s.pk}/").content.decode()


def test_other_stations_are_denied(city):
    s = survey(city.station_a1, opened="2025-03-01 09:00")
    outsider = city.login(city.outsider)
    assert outsider.get(f"/feedback/surveys/{s.pk}/").status_code == 404
    assert outsider.post(f"/feedback/surveys/{s.pk}/", {"rating": "satisfied"}).status_code == 404
    with pytest.raises(Denied):
        RecordCallback(survey=s, by=city.outsider, rating="satisfied").execute()
    api = city.api(city.outsider)
    assert api.get(f"/api/v1/feedback/surveys/{s.pk}").status_code == 404
    assert api.get("/api/v1/feedback/callbacks?all=true").json() == []
    answer(s, city.station_officer, "dissatisfied", "2025-03-02 10:00")
    follow_up = FollowUp.objects.get()
    assert outsider.post(f"/feedback/follow-ups/{follow_up.pk}/close/", {"note": "x"}).status_code == 404
    assert s.matter_label not in outsider.get("/feedback/follow-ups/").content.decode()
    assert api.get("/api/v1/feedback/follow-ups").json() == []
    assert Client().get("/feedback/callbacks/").status_code == 302  # sign-in first
    mine = city.api(city.station_officer).get("/api/v1/feedback/follow-ups").json()
    assert [f["survey_id"] for f in mine] == [s.pk]


def test_the_callback_api(city):
    s = survey(city.station_a1, opened="2025-03-01 09:00")
    api = city.api(city.station_officer)
    url = f"/api/v1/feedback/surveys/{s.pk}/callback"
    bad = api.post(url, json.dumps({"rating": "dissatisfied", "reasons": []}), content_type="application/json")
    assert bad.status_code == 400 and bad.json()["detail"][0]["field"] == "reasons"
    ok = api.post(url, json.dumps({"rating": "satisfied"}), content_type="application/json")
    assert ok.status_code == 200 and ok.json()["channel"] == "callback" and ok.json()["phone"] == "137****0000"
    assert api.post(url, json.dumps({"rating": "satisfied"}), content_type="application/json").status_code == 409


# --- statistics ----------------------------------------------------------------------------------


@pytest.fixture
def answered(city):
    """March 2025, answered: A1 — patrol officer 满意/基本满意/不满意, station officer 满意;
    B1 — 不满意 twice (one at 23:30 on 31 March, local), and one 满意 at 00:10 on 1 April."""
    p, st, out = city.patrol_officer, city.station_officer, city.outsider
    answer(survey(city.station_a1, p, opened="2025-03-01 09:00"), st, "satisfied", "2025-03-02 10:00")
    answer(survey(city.station_a1, p, opened="2025-03-01 09:00", item=5), st, "basic", "2025-03-10 10:00")
    answer(survey(city.station_a1, p, opened="2025-03-01 09:00"), st, "dissatisfied", "2025-03-20 10:00")
    answer(survey(city.station_a1, st, opened="2025-03-01 09:00", item=5), st, "satisfied", "2025-03-21 10:00")
    answer(survey(city.station_b1, out, opened="2025-03-01 09:00"), out, "dissatisfied", "2025-03-05 10:00")
    answer(survey(city.station_b1, None, opened="2025-03-01 09:00"), out, "dissatisfied", "2025-03-31 23:30")
    answer(survey(city.station_b1, out, opened="2025-03-01 09:00"), out, "satisfied", "2025-04-01 00:10")
    survey(city.station_b1, out, opened="2025-03-01 09:00")  # never answered: not counted
    return city


def run(user, **params):
    query = report.parse_query(params, user)
    return query, report.run(query, user)


def test_satisfaction_rate_per_organization_equals_the_hand_computed_figure(answered):
    city = answered
    query, result = run(city.leader, metric="satisfaction_rate", period="2025-03", group_by="station")
    rows = {r.key: r.value for r in result.rows}
    assert rows[str(city.station_a1.pk)] == 75.0  # 3 of 4
    assert rows[str(city.station_b1.pk)] == 0.0  # 0 of 2
    assert rows[str(city.station_a2.pk)] is None  # nobody answered: no rate, not 0
    assert result.total.value == 50.0  # 3 of 6
    _, branches = run(city.leader, metric="satisfaction_rate", period="2025-03", group_by="branch")
    assert {r.key: r.value for r in branches.rows}[str(city.branch_a.pk)] == 75.0
    _, answered_count = run(city.leader, metric="surveys_answered", period="2025-03")
    assert answered_count.total.value == 6
    _, april = run(city.leader, metric="satisfaction_rate", period="2025-04-01..2025-04-30")
    assert april.total.value == 100.0
    # A day range and whole months agree (day and month tables).
    _, q1 = run(city.leader, metric="satisfaction_rate", period="2025-Q1")
    _, days = run(city.leader, metric="satisfaction_rate", period="2025-03-01..2025-03-31")
    assert q1.total.value == days.total.value == 50.0


def test_satisfaction_rate_per_officer_and_service_item(answered):
    city = answered
    _, result = run(city.leader, metric="satisfaction_rate", period="2025-03", group_by="officer")
    rows = {r.key: (r.label, r.value) for r in result.rows}
    assert rows[str(city.patrol_officer.pk)][1] == 66.67  # 2 of 3, rounded half up
    assert rows[str(city.station_officer.pk)][1] == 100.0
    assert rows[str(city.outsider.pk)][1] == 0.0
    assert rows["0"] == ("（未关联民警）", 0.0)
    _, items = run(city.leader, metric="satisfaction_rate", period="2025-03", group_by="service_item")
    assert {r.key: r.value for r in items.rows} == {"5": 100.0, "0": 25.0}
    # A station sees only its own figures.
    _, own = run(city.station_officer, metric="satisfaction_rate", period="2025-03", group_by="officer")
    assert {r.key for r in own.rows} == {str(city.patrol_officer.pk), str(city.station_officer.pk)}


def test_drill_down_counts_equal_the_figures(answered):
    city = answered
    query = report.parse_query({"metric": "satisfaction_rate", "period": "2025-03", "group_by": "officer"}, city.leader)
    result = report.run(query, city.leader)
    for row in [*result.rows, result.total]:
        parts = row.parts["current"]
        assert report.records(query, city.leader, key=row.key, part="numerator").count() == parts.get("pleased", 0)
        assert report.records(query, city.leader, key=row.key, part="denominator").count() == parts.get("answered", 0)
    query = report.parse_query({"metric": "surveys_answered", "period": "2025-03", "group_by": "org"}, city.leader)
    for row in [*report.run(query, city.leader).rows]:
        assert report.records(query, city.leader, key=row.key).count() == row.value
    api = (
        city.api(city.leader).get("/api/v1/stats/records?metric=satisfaction_rate&period=2025-03&part=numerator").json()
    )
    assert api["count"] == 3 and {r["type"] for r in api["records"]} == {"survey"}


def test_rollups_verify_after_answers_and_rebuild(answered):
    assert rollups.verify() == []
    rollups.rebuild()
    assert rollups.verify() == []
    Survey.objects.filter(rating="dissatisfied").first().delete()
    assert rollups.verify() == []


def test_survey_metrics_refuse_incident_filters(city):
    for params, field in (
        ({"class": "criminal"}, "class"),
        ({"group_by": "category"}, "group_by"),
        ({"grid": "x"}, "grid"),
    ):
        with pytest.raises(ActionError) as caught:
            report.parse_query({"metric": "satisfaction_rate", "period": "2025-03", **params}, city.leader)
        assert caught.value.field == field
    with pytest.raises(ActionError) as caught:
        report.parse_query({"metric": "incidents", "period": "2025-03", "group_by": "officer"}, city.leader)
    assert caught.value.field == "group_by"


def test_a_finished_application_opens_a_survey(city, citizen, django_capture_on_commit_callbacks):
    from anmin.services.actions import ProcessApplication
    from anmin.services.models import ServiceItem
    from tests.test_services import load_catalogue, submit

    load_catalogue()
    item = ServiceItem.objects.get(code="ZA-WFZ-ZM")
    ServiceItem.objects.filter(pk=item.pk).update(department=city.station_a1)
    item.refresh_from_db()
    app = submit(citizen, item)
    for step in ("accept", "review"):
        ProcessApplication(by=city.station_officer, application=app, step=step).execute()
    assert not Survey.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        ProcessApplication(by=city.station_officer, application=app, step="complete").execute()
    s = Survey.objects.get()
    app.refresh_from_db()
    assert (s.kind, s.matter, s.matter_label) == (MatterKind.APPLICATION, app, app.number)
    assert (s.organization, s.officer, s.service_item_id) == (city.station_a1, city.station_officer, item.pk)
    assert s.closed_at == app.completed_at
    texts = [text for to, text in sms.LogBackend.outbox if to == citizen.phone and "/s/" in text]
    AnswerSurvey(token=token_in(texts[-1]), rating="satisfied").execute()
    query = report.parse_query(
        {"metric": "satisfaction_rate", "period": timezone.localdate().isoformat(), "group_by": "service_item"},
        city.leader,
    )
    rows = {r.key: (r.label, r.value) for r in report.run(query, city.leader).rows}
    assert rows == {str(item.pk): (item.name, 100.0)}
    assert rollups.verify() == []


def test_a_refused_application_opens_one_survey_and_one_audit_entry(city, citizen, django_capture_on_commit_callbacks):
    """不予受理 closes the matter as 办结 does: the applicant is asked too, once, and the trail keeps the
    step's own entry only."""
    from anmin.services.actions import ProcessApplication
    from anmin.services.models import ServiceItem
    from tests.test_services import load_catalogue, submit

    load_catalogue()
    item = ServiceItem.objects.get(code="ZA-WFZ-ZM")
    ServiceItem.objects.filter(pk=item.pk).update(department=city.station_a1)
    item.refresh_from_db()
    app = submit(citizen, item)
    sms.LogBackend.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ProcessApplication(by=city.station_officer, application=app, step="reject", reason="不属于受理范围").execute()
    s = Survey.objects.get()
    assert (s.matter, s.organization, s.officer) == (app, city.station_a1, city.station_officer)
    assert s.closed_at == s.opened_at and s.sms_sent_at is not None  # refused now: no completed_at
    invites = [text for to, text in sms.LogBackend.outbox if to == citizen.phone and "/s/" in text]
    assert len(invites) == 1
    assert "不予受理" in invites[0] and "已办结" not in invites[0]  # the citizen is not told it was done
    assert AuditEntry.objects.filter(action="services.reject", object_id=str(app.pk)).count() == 1
    assert not AuditEntry.objects.filter(action="feedback.open").exists()

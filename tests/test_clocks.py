"""Legal time-limit clocks of cases: started and stopped by case events, coloured by the scan with a
fake `now`, one reminder per change, extensions approved by another leader, the supervisor's board
and its scoping, the API and the background task."""

import json
from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from anmin.cases.actions import ChangeCaseStatus, DecideApproval, EndMeasure, OpenCase, TakeMeasure
from anmin.cases.models import ApprovalRequest, Case, CasePerson, Measure
from anmin.core.errors import ActionError, Denied
from anmin.core.models import AuditEntry
from anmin.org.models import Role
from anmin.supervision.actions import CompleteClock, ExtendClock, ReadNotices
from anmin.supervision.calendar import LEGAL_TZ
from anmin.supervision.clocks import backfill
from anmin.supervision.dashboard import summary
from anmin.supervision.models import Clock, ClockNotice, ClockState, StopReason
from anmin.supervision.scan import scan
from tests.factories import OfficerFactory


def at(*args) -> datetime:
    """A moment in Beijing time."""
    return datetime(*args, tzinfo=LEGAL_TZ)


def end_of(year: int, month: int, day: int) -> datetime:
    return at(year, month, day, 23, 59, 59)


@pytest.fixture
def branch_leader(city):
    return OfficerFactory(username="taocheng_leader", organization=city.branch_a, role=Role.LEADER)


@pytest.fixture
def legal_a(city):
    """法制监督员 of 桃城分局: covers stations A1 and A2."""
    return OfficerFactory(username="legal_a", organization=city.branch_a, role=Role.LEGAL)


@pytest.fixture
def legal_city(city):
    """法制支队 of the bureau: covers the whole city."""
    return OfficerFactory(username="legal_city", organization=city.bureau, role=Role.LEGAL)


@pytest.fixture
def legal_b(city):
    """法制监督员 of 冀州分局: must hear nothing of 桃城's cases."""
    return OfficerFactory(username="legal_b", organization=city.branch_b, role=Role.LEGAL)


def open_case(city, kind="criminal", when=None, by=None) -> Case:
    return OpenCase(by=by or city.station_officer, kind=kind, title="王某盗窃电动车案", at=when).execute()


def clock(case: Case, rule: str, measure=None) -> Clock:
    qs = Clock.objects.filter(case=case, rule__code=rule)
    if measure is not None:
        qs = qs.filter(measure=measure)
    return qs.order_by("-id").first()


def suspect(case: Case) -> CasePerson:
    return CasePerson.objects.create(case=case, role="suspect", name="张三")


def approve_pending(case: Case, leader) -> None:
    for approval in ApprovalRequest.objects.filter(case=case, status="pending"):
        DecideApproval(approval=approval, approve=True, note="同意", by=leader).execute()


def file_case(case, city, leader):
    ChangeCaseStatus(case=case, action="file", reason="有犯罪事实需要追究刑事责任", by=city.station_officer).execute()
    approve_pending(case, leader)


# —— starting and stopping with case events ——


def test_a_criminal_case_starts_its_filing_review_and_filing_stops_it(city, branch_leader):
    case = open_case(city, when=at(2026, 3, 10, 9, 0))
    review = clock(case, "criminal_filing_review")
    assert review.state == ClockState.NORMAL
    assert review.started_at == at(2026, 3, 10, 9, 0)
    assert review.due_at == end_of(2026, 3, 13)  # 3 日, the start day not counted (刑事诉讼法 第一百零五条)
    assert review.warn_at < review.due_at
    file_case(case, city, branch_leader)
    review.refresh_from_db()
    assert review.state == ClockState.STOPPED
    assert review.stop_reason == StopReason.DONE
    assert review.stopped_at is not None


def test_declining_to_file_also_meets_the_review_limit(city, branch_leader):
    case = open_case(city)
    ChangeCaseStatus(case=case, action="decline", reason="没有犯罪事实", by=city.station_officer).execute()
    assert clock(case, "criminal_filing_review").is_running  # waiting for the leader is not a decision
    approve_pending(case, branch_leader)
    assert clock(case, "criminal_filing_review").state == ClockState.STOPPED


def test_a_review_running_over_national_day_ends_on_the_first_working_day_after_it(city):
    # Accepted Wednesday 30 September 2026: 3 日 ends on 3 October, inside 国庆节 (1–7 October),
    # so the deadline moves to Thursday 8 October (刑事诉讼法 第一百零五条第四款).
    case = open_case(city, when=at(2026, 9, 30, 10, 0))
    review = clock(case, "criminal_filing_review")
    assert review.due_at == end_of(2026, 10, 8)
    assert scan(at(2026, 10, 3, 23, 59)).changed == []  # the nominal last day is not a red day
    assert scan(at(2026, 10, 7, 12, 0)).due_soon == 1
    assert scan(at(2026, 10, 8, 23, 59, 59)).overdue == 0  # the last second still counts
    assert scan(at(2026, 10, 9, 0, 0, 0)).overdue == 1


def test_an_administrative_case_runs_acceptance_review_and_case_handling(city, branch_leader):
    case = open_case(city, kind="administrative", when=at(2026, 3, 2, 10, 0))
    review, handling = clock(case, "admin_acceptance_review"), clock(case, "admin_case_handling")
    assert review.due_at == at(2026, 3, 3, 10, 0)  # 24 小时, exact
    assert handling.due_at == end_of(2026, 4, 1)  # 30 日 from 2 March
    ChangeCaseStatus(case=case, action="inquire", by=city.station_officer).execute()
    review.refresh_from_db(), handling.refresh_from_db()
    assert (review.state, handling.state) == (ClockState.STOPPED, ClockState.NORMAL)
    ChangeCaseStatus(case=case, action="penalize", reason="殴打他人，证据确实", by=city.station_officer).execute()
    approve_pending(case, branch_leader)
    handling.refresh_from_db()
    assert handling.state == ClockState.STOPPED  # the decision (作出处理决定) meets the 30 days
    assert handling.stop_reason == StopReason.DONE


def test_a_handling_period_ending_on_a_holiday_moves_to_the_next_working_day(city):
    # 30 日 from 5 September 2026 ends on Monday 5 October, inside 国庆节 → Thursday 8 October.
    case = open_case(city, kind="administrative", when=at(2026, 9, 5, 9, 0))
    assert clock(case, "admin_case_handling").due_at == end_of(2026, 10, 8)


@pytest.mark.parametrize(
    ("kind", "rule", "due"),
    [
        ("summons", "criminal_summons", at(2026, 3, 10, 21, 0)),  # 12 小时 (第一百一十九条)
        ("compelled", "criminal_summons", at(2026, 3, 10, 21, 0)),
        ("arrest", "arrest_custody", end_of(2026, 5, 10)),  # 2 个月 (第一百五十六条)
        ("bail", "bail", end_of(2027, 3, 10)),  # 12 个月 (第七十九条)
        ("surveillance", "residential_surveillance", end_of(2026, 9, 10)),  # 6 个月
    ],
)
def test_a_measure_runs_its_clock_until_it_is_lifted(city, kind, rule, due):
    case = open_case(city)
    measure, _ = TakeMeasure(
        case=case, person=suspect(case), kind=kind, started_at=at(2026, 3, 10, 9, 0), by=city.station_officer
    ).execute()
    running = clock(case, rule, measure)
    assert running.due_at == due
    assert running.measure == measure
    EndMeasure(measure=measure, by=city.station_officer).execute()
    running.refresh_from_db()
    assert running.state == ClockState.STOPPED
    assert running.stop_reason == StopReason.MEASURE_ENDED


def test_a_detention_starts_four_clocks_when_approved_and_the_arrest_request_meets_one(city, branch_leader):
    case = open_case(city)
    person = suspect(case)
    detention, _ = TakeMeasure(
        case=case, person=person, kind="detention", reason="现行犯", by=city.station_officer
    ).execute()
    assert not Clock.objects.filter(measure=detention).exists()  # requested, not yet in force
    approve_pending(case, branch_leader)
    detention.refresh_from_db()
    rules = set(Clock.objects.filter(measure=detention).values_list("rule__code", flat=True))
    assert rules == {
        "detention_to_jail",
        "detention_family_notice",
        "detention_interrogation",
        "detention_arrest_request",
    }
    arrest_request = clock(case, "detention_arrest_request", detention)
    assert arrest_request.due_at == (detention.started_at + timedelta(days=3)).astimezone(LEGAL_TZ).replace(
        hour=23, minute=59, second=59, microsecond=0
    )
    assert clock(case, "detention_to_jail", detention).due_at == detention.started_at + timedelta(hours=24)

    TakeMeasure(
        case=case, person=person, kind="arrest_request", reason="提请批准逮捕", by=city.station_officer
    ).execute()
    arrest_request.refresh_from_db()
    assert arrest_request.is_running  # a request waiting in the inbox has not been made
    approve_pending(case, branch_leader)
    arrest_request.refresh_from_db()
    assert arrest_request.state == ClockState.STOPPED
    assert clock(case, "detention_to_jail", detention).is_running

    EndMeasure(measure=detention, by=city.station_officer).execute()
    assert not Clock.objects.filter(measure=detention).running().exists()


def test_a_rejected_detention_starts_nothing(city, branch_leader):
    case = open_case(city)
    TakeMeasure(case=case, person=suspect(case), kind="detention", reason="现行犯", by=city.station_officer).execute()
    approval = ApprovalRequest.objects.get(case=case, status="pending")
    DecideApproval(approval=approval, approve=False, note="证据不足", by=branch_leader).execute()
    assert list(Clock.objects.filter(case=case).values_list("rule__code", flat=True)) == ["criminal_filing_review"]


def test_withdrawing_a_case_stops_every_clock(city, branch_leader):
    case = open_case(city)
    file_case(case, city, branch_leader)
    TakeMeasure(case=case, person=suspect(case), kind="bail", by=city.station_officer).execute()
    ChangeCaseStatus(case=case, action="investigate", by=city.station_officer).execute()
    ChangeCaseStatus(case=case, action="withdraw", reason="不应追究刑事责任", by=city.station_officer).execute()
    assert Clock.objects.filter(case=case).running().count() == 1
    approve_pending(case, branch_leader)
    bail = clock(case, "bail")
    assert bail.state == ClockState.STOPPED
    assert bail.stop_reason == StopReason.CASE_ENDED
    assert not Clock.objects.filter(case=case).running().exists()


def test_closing_an_administrative_case_stops_everything_left(city):
    case = open_case(city, kind="administrative")
    for action in ("inquire", "other_handling", "close"):
        ChangeCaseStatus(case=case, action=action, by=city.station_officer).execute()
    assert not Clock.objects.filter(case=case).running().exists()


def test_a_disabled_rule_starts_no_clock_and_does_not_block_the_case(city):
    from anmin.supervision.models import TimeLimitRule

    TimeLimitRule.objects.filter(code="criminal_filing_review").update(active=False)
    from anmin.core.cache import clear_all

    clear_all()
    case = open_case(city)
    assert not Clock.objects.filter(case=case).exists()


def test_backfill_starts_the_clocks_imported_cases_lack_once(city):
    from anmin.cases.actions import next_case_number

    accepted = timezone.now() - timedelta(days=1)
    case = Case.objects.create(
        number=next_case_number("criminal", city.station_a1, accepted),
        kind="criminal",
        title="导入的案件",
        organization=city.station_a1,
        lead_investigator=city.station_officer,
        accepted_at=accepted,
        status_since=accepted,
    )
    person = suspect(case)
    Measure.objects.create(case=case, person=person, kind="bail", started_at=accepted)
    assert backfill() == 2
    assert backfill() == 0
    assert set(case.clocks.values_list("rule__code", flat=True)) == {"criminal_filing_review", "bail"}


# —— the scan: colours and reminders ——


def test_the_scan_turns_a_clock_yellow_then_red_and_tells_each_change_once(city, legal_a, legal_city, legal_b):
    case = open_case(city, when=at(2026, 3, 10, 9, 0))
    review = clock(case, "criminal_filing_review")
    assert review.warn_at < review.due_at == end_of(2026, 3, 13)

    assert scan(review.warn_at - timedelta(seconds=1)).changed == []
    first = scan(review.warn_at)
    assert (first.due_soon, first.overdue) == (1, 0)
    review.refresh_from_db()
    assert review.state == ClockState.DUE_SOON
    notices = ClockNotice.objects.filter(clock=review)
    recipients = set(notices.values_list("recipient__username", flat=True))
    assert recipients == {"station", "legal_a", "legal_city"}  # not 冀州's supervisor
    assert first.notices == 3

    again = scan(review.warn_at + timedelta(minutes=1))  # the next scan: nothing new to tell
    assert again.changed == [] and again.notices == 0
    assert scan(review.warn_at).notices == 0  # even with the very same `now`
    assert notices.count() == 3

    late = scan(end_of(2026, 3, 14))
    assert late.overdue == 1
    assert notices.filter(state=ClockState.OVERDUE).count() == 3
    for _ in range(3):
        scan(end_of(2026, 3, 20))
    assert notices.count() == 6


def test_a_clock_that_skipped_yellow_goes_straight_to_red_with_one_notice(city):
    case = open_case(city, when=at(2026, 3, 10, 9, 0))
    result = scan(at(2026, 4, 1, 9, 0))
    assert (result.due_soon, result.overdue) == (0, 1)
    assert ClockNotice.objects.filter(clock__case=case).count() == 1  # the investigator; no supervisors here
    assert ClockNotice.objects.get().state == ClockState.OVERDUE


def test_a_stopped_clock_is_never_coloured(city, branch_leader):
    case = open_case(city, when=at(2026, 3, 10, 9, 0))
    file_case(case, city, branch_leader)
    assert scan(at(2026, 5, 1)).changed == []


def test_the_warning_lead_follows_the_setting_and_the_rules_own_value(city, settings):
    settings.CLOCK_WARN_FRACTION = 0.5
    case = open_case(city, when=at(2026, 3, 10, 9, 0))
    review = clock(case, "criminal_filing_review")
    assert review.due_at - review.warn_at == (review.due_at - review.started_at) * 0.5

    from anmin.core.cache import clear_all
    from anmin.supervision.models import TimeLimitRule

    TimeLimitRule.objects.filter(code="criminal_summons").update(warn_before=timedelta(hours=2))
    clear_all()
    measure, _ = TakeMeasure(case=case, person=suspect(case), kind="summons", by=city.station_officer).execute()
    summons = clock(case, "criminal_summons", measure)
    assert summons.due_at - summons.warn_at == timedelta(hours=2)


def test_the_scan_publishes_a_notice_to_the_units_boards(city, monkeypatch):
    sent = []
    monkeypatch.setattr("anmin.supervision.scan.publish", lambda groups, message: sent.append((groups, message)))
    open_case(city, when=at(2026, 3, 10, 9, 0))
    scan(at(2026, 4, 1))
    groups, message = sent[0]
    assert {f"org-{city.station_a1.pk}", f"org-{city.branch_a.pk}", f"org-{city.bureau.pk}"} <= groups
    assert message["kind"] == "clocks"


# —— extensions ——


def detained(city, leader) -> tuple[Case, Measure]:
    case = open_case(city)
    detention, _ = TakeMeasure(
        case=case, person=suspect(case), kind="detention", reason="现行犯", by=city.station_officer
    ).execute()
    approve_pending(case, leader)
    detention.refresh_from_db()
    return case, detention


def test_an_extension_waits_for_another_leader_and_then_moves_the_deadline(city, branch_leader):
    case, detention = detained(city, branch_leader)
    running = clock(case, "detention_arrest_request", detention)
    three_days = running.due_at
    request = ExtendClock(
        clock=running, code="roving_serial_gang", reason="流窜作案的重大嫌疑分子", by=city.station_officer
    ).execute()
    running.refresh_from_db()
    assert running.due_at == three_days  # nothing moves before the approval
    approval = request.approval
    assert approval.transition == f"extend:{request.pk}"
    assert approval in ApprovalRequest.objects.inbox_of(branch_leader)
    DecideApproval(approval=approval, approve=True, note="同意延长至三十日", by=branch_leader).execute()
    running.refresh_from_db()
    assert running.extensions == ["roving_serial_gang"]
    start_day = detention.started_at.astimezone(LEGAL_TZ).date()
    assert running.due_at.astimezone(LEGAL_TZ).date() == start_day + timedelta(days=30)  # 第九十一条第二款
    assert case.events.filter(action="extend").exists()
    assert AuditEntry.objects.filter(action="clock.extend").count() == 1


def test_nobody_approves_their_own_extension(city, branch_leader):
    case, detention = detained(city, city.leader)
    running = clock(case, "detention_arrest_request", detention)
    request = ExtendClock(clock=running, code="special_circumstances", reason="特殊情况", by=branch_leader).execute()
    with pytest.raises(Denied):
        DecideApproval(approval=request.approval, approve=True, by=branch_leader).execute()
    assert request.approval not in ApprovalRequest.objects.inbox_of(branch_leader)
    DecideApproval(approval=request.approval, approve=True, by=city.leader).execute()
    running.refresh_from_db()
    assert running.extensions == ["special_circumstances"]


def test_a_rejected_extension_leaves_the_deadline(city, branch_leader):
    case, detention = detained(city, branch_leader)
    running = clock(case, "detention_arrest_request", detention)
    before = running.due_at
    request = ExtendClock(
        clock=running, code="special_circumstances", reason="特殊情况", by=city.station_officer
    ).execute()
    DecideApproval(approval=request.approval, approve=False, note="理由不足", by=branch_leader).execute()
    running.refresh_from_db()
    assert (running.due_at, running.extensions) == (before, [])


def test_an_extended_overdue_clock_turns_back_and_can_warn_again(city, branch_leader):
    case = open_case(city, when=timezone.now() - timedelta(days=20))
    review = clock(case, "criminal_filing_review")
    scan(timezone.now())
    review.refresh_from_db()
    assert review.state == ClockState.OVERDUE
    request = ExtendClock(clock=review, code="major_complex", reason="重大疑难复杂", by=city.station_officer).execute()
    DecideApproval(approval=request.approval, approve=True, by=branch_leader).execute()
    review.refresh_from_db()
    assert review.state == ClockState.NORMAL
    assert scan(review.due_at + timedelta(seconds=1)).overdue == 1


@pytest.mark.parametrize(
    ("first", "second", "code"),
    [
        (None, "no_such_extension", "unknown_extension"),
        ("special_circumstances", "roving_serial_gang", "inapplicable_extension"),
        ("special_circumstances", "special_circumstances", "duplicate_extension"),
    ],
)
def test_it_refuses_an_extension_the_rule_does_not_allow(city, branch_leader, first, second, code):
    case, detention = detained(city, branch_leader)
    running = clock(case, "detention_arrest_request", detention)
    if first:
        request = ExtendClock(clock=running, code=first, reason="特殊情况", by=city.station_officer).execute()
        DecideApproval(approval=request.approval, approve=True, by=branch_leader).execute()
        running.refresh_from_db()
    with pytest.raises(ActionError) as exc:
        ExtendClock(clock=running, code=second, reason="再次延长", by=city.station_officer).execute()
    assert (exc.value.field, exc.value.code) == ("code", code)


def test_an_extension_needs_a_reason_and_one_at_a_time(city, branch_leader):
    case, detention = detained(city, branch_leader)
    running = clock(case, "detention_arrest_request", detention)
    with pytest.raises(ActionError) as exc:
        ExtendClock(clock=running, code="special_circumstances", reason=" ", by=city.station_officer).execute()
    assert exc.value.field == "reason"
    ExtendClock(clock=running, code="special_circumstances", reason="特殊情况", by=city.station_officer).execute()
    with pytest.raises(ActionError) as exc:
        ExtendClock(clock=running, code="roving_serial_gang", reason="流窜", by=city.station_officer).execute()
    assert exc.value.status == 409


def test_stopping_a_clock_withdraws_its_pending_extension(city, branch_leader):
    case, detention = detained(city, branch_leader)
    running = clock(case, "detention_arrest_request", detention)
    request = ExtendClock(clock=running, code="special_circumstances", reason="特殊", by=city.station_officer).execute()
    EndMeasure(measure=detention, by=city.station_officer).execute()
    request.approval.refresh_from_db()
    assert request.approval.status == ApprovalRequest.Status.WITHDRAWN


def test_an_outsider_cannot_ask_to_extend(city, branch_leader):
    case = open_case(city)
    with pytest.raises(Denied):
        ExtendClock(
            clock=clock(case, "criminal_filing_review"), code="leads_verification", reason="x", by=city.outsider
        ).execute()


# —— recording completion by hand ——


def test_the_officer_records_the_detainee_was_jailed(city, branch_leader):
    case, detention = detained(city, branch_leader)
    to_jail = clock(case, "detention_to_jail", detention)
    done_at = timezone.now()
    CompleteClock(clock=to_jail, at=done_at, note="已送市看守所", by=city.station_officer).execute()
    to_jail.refresh_from_db()
    assert (to_jail.state, to_jail.stopped_at, to_jail.late) == (ClockState.STOPPED, done_at, False)
    assert case.events.filter(action="complete_clock", label="送看守所羁押").exists()


def test_a_limit_met_by_a_case_action_cannot_be_completed_by_hand(city):
    case = open_case(city)
    with pytest.raises(ActionError) as exc:
        CompleteClock(clock=clock(case, "criminal_filing_review"), by=city.station_officer).execute()
    assert exc.value.code == "not_manual"


# —— the board, its drill-down and scoping ——


def supervisor_client(city, officer):
    return city.login(officer)


def test_the_board_counts_red_yellow_green_per_unit_and_each_number_opens_that_many_rows(
    city, legal_a, legal_city, branch_leader
):
    now = at(2026, 3, 18, 12, 0)  # a Wednesday
    red = open_case(city, when=at(2026, 3, 10, 9, 0))  # 3 日 ran out on Friday 13 March
    yellow = open_case(city, when=at(2026, 3, 15, 12, 0))  # runs out tonight
    open_case(city, when=now)  # green
    a2_officer = OfficerFactory(username="a2", organization=city.station_a2, role=Role.STATION)
    open_case(city, kind="administrative", when=at(2026, 2, 1, 9, 0), by=a2_officer)  # two reds in A2
    outsider_case = open_case(city, when=at(2026, 3, 10, 9, 0), by=city.outsider)
    scan(now)
    assert clock(red, "criminal_filing_review").state == ClockState.OVERDUE
    assert clock(yellow, "criminal_filing_review").state == ClockState.DUE_SOON

    rows = {row.organization.pk: row for row in summary(legal_a)}
    assert city.station_b1.pk not in rows and city.bureau.pk not in rows
    a1, a2, branch = rows[city.station_a1.pk], rows[city.station_a2.pk], rows[city.branch_a.pk]
    assert (a2.overdue, a2.due_soon, a2.normal) == (2, 0, 0)
    assert (a1.overdue, a1.due_soon, a1.normal) == (1, 1, 1)
    assert (branch.overdue, branch.due_soon, branch.normal) == (
        a1.overdue + a2.overdue,
        a1.due_soon + a2.due_soon,
        a1.normal + a2.normal,
    )
    client = supervisor_client(city, legal_a)
    for row in (a1, a2, branch):
        for state, n in row.cells:
            page = client.get("/supervision/clocks/", {"org": row.organization.pk, "state": state})
            assert page.status_code == 200
            assert page.content.decode().count('class="clock-row"') == n, (row.organization.name, state)

    city_rows = {row.organization.pk: row for row in summary(legal_city)}
    assert city_rows[city.station_b1.pk].overdue == 1
    assert city_rows[city.bureau.pk].total == sum(r.total for r in (a1, a2, city_rows[city.station_b1.pk]))
    assert clock(outsider_case, "criminal_filing_review").state == ClockState.OVERDUE

    html = client.get("/supervision/").content.decode()
    assert f'id="n-{city.station_a2.pk}-overdue"' in html
    assert "冀州" not in html


def test_the_board_is_for_supervisors_and_leaders_only(city, legal_a):
    assert city.login(city.station_officer).get("/supervision/").status_code == 403
    assert city.login(city.outsider).get("/supervision/").status_code == 403
    assert city.login(legal_a).get("/supervision/").status_code == 200
    assert city.login(city.leader).get("/supervision/").status_code == 200
    assert city.api(city.outsider).get("/api/v1/supervision/summary").status_code == 403


def test_another_branch_sees_neither_the_rows_nor_the_drill_down(city, legal_b):
    case = open_case(city, when=timezone.now() - timedelta(days=20))
    scan(timezone.now())
    client = city.login(legal_b)
    html = client.get("/supervision/").content.decode()
    assert "河西派出所" not in html
    page = client.get("/supervision/clocks/", {"org": city.station_a1.pk, "state": "overdue"})
    assert page.status_code == 404
    body = city.api(legal_b).get("/api/v1/supervision/summary").json()
    assert {row["organization_id"] for row in body} == {city.branch_b.pk, city.station_b1.pk}
    assert city.api(legal_b).get(f"/api/v1/cases/{case.pk}/clocks").status_code == 404


def test_the_case_page_shows_the_clock_in_its_colour_with_a_countdown(city):
    case = open_case(city, when=timezone.now() - timedelta(days=20))
    client = city.login(city.station_officer)
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'class="clk normal"' in html and "刑事案件立案审查" in html
    assert "公安部关于改革完善受案立案制度的意见" in html
    scan(timezone.now())
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'class="clk overdue"' in html
    assert "超期 " in html
    assert city.login(city.outsider).get(f"/cases/{case.pk}/").status_code == 404


def test_the_case_page_forms_ask_for_an_extension_and_record_completion(city, branch_leader):
    case, detention = detained(city, branch_leader)
    client = city.login(city.station_officer)
    running = clock(case, "detention_arrest_request", detention)
    response = client.post(
        f"/supervision/clocks/{running.pk}/extend/", {"code": "special_circumstances", "reason": "特殊"}
    )
    assert response.status_code == 302
    assert ApprovalRequest.objects.filter(transition__startswith="extend:", status="pending").count() == 1
    to_jail = clock(case, "detention_to_jail", detention)
    client.post(f"/supervision/clocks/{to_jail.pk}/complete/", {"at": "", "note": "已送看守所"})
    to_jail.refresh_from_db()
    assert to_jail.state == ClockState.STOPPED
    outsider = city.login(city.outsider)
    assert outsider.post(f"/supervision/clocks/{running.pk}/extend/", {"code": "x", "reason": "y"}).status_code == 404


# —— API ——


def test_the_api_lists_a_cases_clocks(city):
    case = open_case(city, when=at(2026, 9, 30, 10, 0))
    body = city.api(city.station_officer).get(f"/api/v1/cases/{case.pk}/clocks").json()
    assert [c["rule"] for c in body] == ["criminal_filing_review"]
    assert body[0]["due_at"].startswith("2026-10-08T15:59:59")  # 23:59:59 Beijing time, in UTC
    assert body[0]["state"] == "normal" and body[0]["citation"]
    assert city.api(city.outsider).get(f"/api/v1/cases/{case.pk}/clocks").status_code == 404


def test_the_api_asks_for_an_extension(city, branch_leader):
    case, detention = detained(city, branch_leader)
    running = clock(case, "detention_arrest_request", detention)
    api = city.api(city.station_officer)
    url = f"/api/v1/clocks/{running.pk}/extensions"
    response = api.post(url, json.dumps({"code": "bogus", "reason": "x"}), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "code"
    response = api.post(
        url, json.dumps({"code": "special_circumstances", "reason": "特殊"}), content_type="application/json"
    )
    assert response.status_code == 202
    assert response.json()["approval_id"]


def test_notices_are_the_recipients_own(city, legal_a):
    open_case(city, when=at(2026, 3, 10, 9, 0))
    scan(at(2026, 4, 1))
    mine = city.api(city.station_officer).get("/api/v1/notices").json()
    assert [(n["state"], n["rule_name"]) for n in mine] == [("overdue", "刑事案件立案审查")]
    assert city.api(city.outsider).get("/api/v1/notices").json() == []
    notice_id = mine[0]["id"]
    assert city.api(legal_a).post(f"/api/v1/notices/{notice_id}/read").status_code == 404
    assert city.api(city.outsider).post(f"/api/v1/notices/{notice_id}/read").status_code == 404
    response = city.api(city.station_officer).post(f"/api/v1/notices/{notice_id}/read")
    assert response.status_code == 200 and response.json()["read_at"]
    assert city.api(city.station_officer).get("/api/v1/notices?unread=true").json() == []
    assert len(city.api(legal_a).get("/api/v1/notices").json()) == 1


def test_the_notices_page_and_the_header_badge(city):
    open_case(city, when=at(2026, 3, 10, 9, 0))
    scan(at(2026, 4, 1))
    client = city.login(city.station_officer)
    assert 'id="notice-count"' in client.get("/notices/badge/").content.decode()
    html = client.get("/notices/").content.decode()
    assert 'class="unread"' in html and "刑事案件立案审查" in html
    client.post("/notices/", {})
    assert 'id="notice-count"' not in client.get("/notices/badge/").content.decode()
    assert ClockNotice.objects.filter(read_at__isnull=True).count() == 0
    assert 'class="unread"' not in city.login(city.outsider).get("/notices/").content.decode()


def test_an_officer_cannot_mark_anothers_notice(city):
    open_case(city, when=at(2026, 3, 10, 9, 0))
    scan(at(2026, 4, 1))
    notice = ClockNotice.objects.get()
    with pytest.raises(Denied):
        ReadNotices(notice=notice, by=city.outsider).execute()
    assert city.login(city.outsider).post("/notices/", {"notice": notice.pk}).status_code == 404


# —— the background task and the command ——


def test_start_enqueues_one_scan_and_the_scan_enqueues_the_next(city, settings, monkeypatch):
    from django_tasks_db.models import DBTaskResult

    from anmin.supervision.tasks import ensure_scheduled, scan_clocks

    assert ensure_scheduled() is True
    assert ensure_scheduled() is False
    waiting = DBTaskResult.objects.get()
    assert waiting.task_path == scan_clocks.module_path

    open_case(city, when=timezone.now() - timedelta(days=20))
    # The real worker, in this process: it closes "old" connections between tasks, which here
    # would be the test's own transaction.
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    waiting.refresh_from_db()
    assert waiting.status == "SUCCESSFUL"
    assert Clock.objects.get().state == ClockState.OVERDUE
    following = DBTaskResult.objects.exclude(pk=waiting.pk).get()
    assert following.status == "READY"
    assert following.run_after - timezone.now() > timedelta(seconds=settings.SCAN_INTERVAL - 10)


def test_the_supervise_command_scans_as_if_at_a_given_time(city, capsys):
    open_case(city, when=at(2026, 3, 10, 9, 0))
    call_command("supervise", "scan", "--now", "2026-04-01T09:00+08:00")
    out = json.loads(capsys.readouterr().out)
    assert (out["overdue"], out["notices"]) == (1, 1)
    with pytest.raises(Exception, match="zone"):
        call_command("supervise", "scan", "--now", "2026-04-01T09:00")


# —— query counts (STYLE: a list of 100 rows must not cost 100 queries) ——


def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_lists_cost_a_constant_number_of_queries(city, legal_a):
    def overdue_cases(n: int) -> None:
        for _ in range(n):
            case = open_case(city, when=at(2026, 3, 10, 9, 0))
            TakeMeasure(case=case, person=suspect(case), kind="bail", by=city.station_officer).execute()
        scan(at(2026, 4, 1))

    supervisor, officer = city.login(legal_a), city.login(city.station_officer)
    pages = [
        (supervisor, "/supervision/"),
        (supervisor, f"/supervision/clocks/?org={city.branch_a.pk}&state=overdue"),
        (officer, "/notices/"),
        (city.api(city.station_officer), "/api/v1/notices"),
        (city.api(legal_a), "/api/v1/supervision/summary"),
    ]
    overdue_cases(3)
    case_url = f"/api/v1/cases/{Case.objects.first().pk}/clocks"
    for client, url in pages:  # warm the token cache and its once-a-minute "last used" write
        client.get(url)
    few = [_queries(client, url) for client, url in pages]
    overdue_cases(30)
    many = [_queries(client, url) for client, url in pages]
    assert many == few, list(zip([url for _c, url in pages], few, many, strict=True))
    assert _queries(officer, case_url) <= 8


def test_the_deadlines_benchmark_runs_on_a_small_city():
    buf = StringIO()
    call_command("bench", "deadlines", "--json", "--cases", "200", stdout=buf)
    result = json.loads(buf.getvalue())
    assert result["results"]["data"]["clocks"] == 1000
    assert result["results"]["scan"]["changed"] == result["results"]["data"]["changing"] == 20
    assert result["results"]["scan"]["notices"] == 60  # the investigator and two supervisors each
    assert result["params"]["database"] == "temporary SQLite (WAL)"

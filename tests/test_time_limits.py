"""The legal time-limit engine: the holiday calendar, period arithmetic and the rules as data."""

import importlib
from datetime import UTC, date, datetime, timedelta

import pytest

from anmin.core.cache import clear_all
from anmin.core.errors import ActionError
from anmin.org.models import Role
from anmin.supervision.calendar import (
    LEGAL_TZ,
    add_calendar_days,
    add_hours,
    add_months,
    add_working_days,
    is_working_day,
)
from anmin.supervision.deadlines import ClockState, clock_state, deadline, remaining
from anmin.supervision.models import CalendarDay, DayKind, TimeLimitExtension, TimeLimitRule
from tests.conftest import ensure_code_tables
from tests.factories import OfficerFactory


def ensure_time_limit_tables() -> None:
    ensure_code_tables()
    clear_all()


@pytest.fixture
def legal(db):
    ensure_time_limit_tables()


def at(*args) -> datetime:
    """A moment in Beijing time."""
    return datetime(*args, tzinfo=LEGAL_TZ)


def end_of(year: int, month: int, day: int) -> datetime:
    return at(year, month, day, 23, 59, 59)


# —— the calendar ——


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 2, 13), True),  # Friday before the Spring Festival
        (date(2026, 2, 14), True),  # Saturday, 调休上班
        (date(2026, 2, 16), False),  # Monday inside 春节 2月15日至23日
        (date(2026, 2, 21), False),  # Saturday inside the holiday
        (date(2026, 2, 23), False),  # 正月初七, last day off
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),  # Saturday, 调休上班
        (date(2026, 3, 7), False),  # an ordinary Saturday
        (date(2026, 1, 4), True),  # Sunday worked for 元旦
        (date(2026, 9, 20), True),  # Sunday worked for 国庆节
        (date(2026, 10, 7), False),
        (date(2026, 10, 10), True),  # Saturday worked for 国庆节
        (date(2025, 10, 8), False),  # 2025: 国庆节、中秋节 ran to 8 October
        (date(2025, 10, 11), True),
    ],
)
def test_it_knows_holidays_and_makeup_working_days(legal, day, working):
    assert is_working_day(day) is working


def test_it_counts_working_days_across_the_spring_festival(legal):
    friday = at(2026, 2, 13, 10, 0)
    assert add_working_days(friday, 1) == end_of(2026, 2, 14)  # the 调休 Saturday counts
    assert add_working_days(friday, 2) == end_of(2026, 2, 24)  # nine days off skipped
    assert add_working_days(friday, 5) == end_of(2026, 2, 27)
    assert add_working_days(friday, 6) == end_of(2026, 2, 28)  # the second 调休 Saturday
    assert add_working_days(friday, 7) == end_of(2026, 3, 2)
    # Starting inside the holiday: the start day never counts, the next working day is the first.
    assert add_working_days(at(2026, 2, 18, 9, 0), 1) == end_of(2026, 2, 24)


def test_it_counts_working_days_across_national_day(legal):
    assert add_working_days(at(2026, 9, 18, 16, 0), 1) == end_of(2026, 9, 20)  # Sunday worked
    assert add_working_days(at(2026, 9, 24, 16, 0), 1) == end_of(2026, 9, 28)  # 中秋节 25–27
    assert add_working_days(at(2026, 9, 30, 16, 0), 1) == end_of(2026, 10, 8)
    assert add_working_days(at(2026, 9, 30, 16, 0), 3) == end_of(2026, 10, 10)  # Saturday worked
    assert add_working_days(at(2026, 9, 30, 16, 0), 4) == end_of(2026, 10, 12)


def test_it_does_not_count_the_start_day_and_ends_at_the_end_of_the_last_day(legal):
    assert add_calendar_days(at(2026, 3, 10, 14, 0), 3) == end_of(2026, 3, 13)
    assert add_calendar_days(at(2026, 3, 10, 0, 0), 3) == end_of(2026, 3, 13)
    assert add_hours(at(2026, 3, 10, 14, 25), 24) == at(2026, 3, 11, 14, 25)


def test_it_counts_in_beijing_time_whatever_the_input_zone(legal):
    # 20:00 UTC on 9 March is already 10 March in Beijing.
    assert add_calendar_days(datetime(2026, 3, 9, 20, 0, tzinfo=UTC), 1) == end_of(2026, 3, 11)


def test_it_refuses_naive_datetimes_and_negative_periods(legal):
    with pytest.raises(ValueError, match="timezone-aware"):
        add_calendar_days(datetime(2026, 3, 10, 14, 0), 1)
    with pytest.raises(ValueError, match="≥ 0"):
        add_hours(at(2026, 3, 10, 14, 0), -1)


def test_it_adds_calendar_months_clamped_to_the_month_end(legal):
    start = at(2026, 1, 31, 9, 0)
    assert add_months(start, 1) == end_of(2026, 2, 28)
    assert add_months(start, 2) == end_of(2026, 3, 31)  # from the start day, not from 28 February
    assert add_months(start, 3) == end_of(2026, 4, 30)
    assert add_months(at(2027, 12, 31, 9, 0), 2) == end_of(2028, 2, 29)  # leap year
    assert add_months(at(2026, 11, 15, 9, 0), 2) == end_of(2027, 1, 15)


def test_it_picks_up_a_calendar_correction_at_once(legal):
    assert is_working_day(date(2026, 3, 9))
    CalendarDay.objects.create(date=date(2026, 3, 9), kind=DayKind.HOLIDAY, name="测试")
    assert not is_working_day(date(2026, 3, 9))  # the per-process cache is cleared on save


# —— deadlines ——


def test_a_24_hour_rule_runs_through_holidays(legal):
    detained = at(2026, 2, 16, 22, 30)  # 春节
    assert deadline("detention_to_jail", detained) == at(2026, 2, 17, 22, 30)
    assert deadline("detention_interrogation", detained) == at(2026, 2, 17, 22, 30)
    assert deadline("detention_family_notice", detained) == at(2026, 2, 17, 22, 30)
    utc = deadline("detention_to_jail", datetime(2026, 2, 16, 14, 30, tzinfo=UTC))
    assert utc == at(2026, 2, 17, 22, 30)
    assert utc.tzinfo == LEGAL_TZ


def test_a_period_ending_on_a_holiday_moves_but_custody_does_not(legal):
    start = at(2026, 9, 29, 10, 0)  # 3 days later is 2 October, inside 国庆节
    assert deadline("criminal_filing_review", start) == end_of(2026, 10, 8)
    assert deadline("detention_arrest_request", start) == end_of(2026, 10, 2)


def test_an_ordinary_weekend_moves_a_period_but_a_makeup_saturday_does_not(legal):
    assert deadline("criminal_filing_review", at(2026, 3, 4, 10, 0)) == end_of(2026, 3, 9)  # Sat → Mon
    assert deadline("criminal_filing_review", at(2026, 2, 25, 10, 0)) == end_of(2026, 2, 28)  # 调休 Saturday


def test_custody_counted_in_months_is_clamped_and_never_moved(legal):
    assert deadline("arrest_custody", at(2026, 1, 31, 10, 0)) == end_of(2026, 3, 31)
    assert deadline("arrest_custody", at(2025, 12, 31, 10, 0)) == end_of(2026, 2, 28)
    assert deadline("arrest_custody", at(2026, 8, 1, 10, 0)) == end_of(2026, 10, 1)  # 国庆节, in custody


def test_each_extension_of_custody_after_arrest(legal):
    arrested = at(2026, 1, 31, 10, 0)
    assert deadline("arrest_custody", arrested, extensions=["complex_case"]) == end_of(2026, 4, 30)  # art. 156
    art_158 = ["complex_case", "major_case"]
    assert deadline("arrest_custody", arrested, extensions=art_158) == end_of(2026, 6, 30)
    art_159 = ["ten_years_or_more", "major_case", "complex_case"]  # any order
    assert deadline("arrest_custody", arrested, extensions=art_159) == end_of(2026, 8, 31)  # seven months


def test_it_refuses_an_extension_whose_prerequisite_is_missing(legal):
    with pytest.raises(ActionError) as error:
        deadline("arrest_custody", at(2026, 1, 31, 10, 0), extensions=["complex_case", "ten_years_or_more"])
    assert error.value.field == "extensions"
    assert error.value.code == "inapplicable_extension"


def test_the_extensions_of_detention_before_an_arrest_request(legal):
    detained = at(2026, 3, 2, 20, 0)
    assert deadline("detention_arrest_request", detained) == end_of(2026, 3, 5)
    assert deadline("detention_arrest_request", detained, extensions=["special_circumstances"]) == end_of(2026, 3, 9)
    assert deadline("detention_arrest_request", detained, extensions=["roving_serial_gang"]) == end_of(2026, 4, 1)
    with pytest.raises(ActionError) as error:
        deadline("detention_arrest_request", detained, extensions=["special_circumstances", "roving_serial_gang"])
    assert (error.value.field, error.value.code) == ("extensions", "inapplicable_extension")


def test_the_review_and_questioning_limits_and_their_extensions(legal):
    accepted = at(2026, 3, 2, 9, 0)
    assert deadline("criminal_filing_review", accepted, extensions=["leads_verification"]) == end_of(2026, 3, 9)
    assert deadline("criminal_filing_review", accepted, extensions=["major_complex"]) == end_of(2026, 4, 1)
    assert deadline("admin_acceptance_review", accepted) == at(2026, 3, 3, 9, 0)
    # 3 days from a Wednesday end on Saturday, which moves to Monday.
    assert deadline("admin_acceptance_review", at(2026, 3, 4, 9, 0), extensions=["complex"]) == end_of(2026, 3, 9)
    summoned = at(2026, 3, 2, 9, 0)
    assert deadline("criminal_summons", summoned) == at(2026, 3, 2, 21, 0)
    assert deadline("criminal_summons", summoned, extensions=["detention_needed"]) == at(2026, 3, 3, 9, 0)
    assert deadline("admin_inquiry", summoned) == at(2026, 3, 2, 17, 0)
    assert deadline("admin_inquiry", summoned, extensions=["detention_possible"]) == at(2026, 3, 3, 9, 0)


def test_an_extended_administrative_case_still_moves_past_national_day(legal):
    accepted = at(2026, 8, 3, 9, 0)
    assert deadline("admin_case_handling", accepted) == end_of(2026, 9, 2)
    assert deadline("admin_case_handling", accepted, extensions=["major_complex"]) == end_of(2026, 10, 8)


def test_the_property_and_id_card_limits(legal):
    assert deadline("property_handover", at(2026, 3, 2, 9, 0)) == at(2026, 3, 3, 9, 0)
    assert deadline("bail", at(2026, 3, 2, 9, 0)) == end_of(2027, 3, 2)
    assert deadline("residential_surveillance", at(2026, 3, 2, 9, 0)) == end_of(2026, 9, 2)
    applied = at(2026, 3, 2, 9, 0)
    assert deadline("id_card_issue", applied) == end_of(2026, 5, 1)
    assert deadline("id_card_issue", applied, extensions=["remote_area"]) == end_of(2026, 5, 31)


@pytest.mark.parametrize(
    ("rule", "extensions", "field", "code"),
    [
        ("no_such_rule", [], "rule", "unknown_rule"),
        (None, [], "rule", "unknown_rule"),
        ("arrest_custody", ["no_such_extension"], "extensions", "unknown_extension"),
        ("arrest_custody", ["special_circumstances"], "extensions", "unknown_extension"),  # another rule's
        ("arrest_custody", ["complex_case", "complex_case"], "extensions", "duplicate_extension"),
        ("criminal_filing_review", ["leads_verification", "major_complex"], "extensions", "inapplicable_extension"),
    ],
)
def test_it_names_the_field_of_a_bad_rule_or_extension(legal, rule, extensions, field, code):
    with pytest.raises(ActionError) as error:
        deadline(rule, at(2026, 3, 2, 9, 0), extensions=extensions)
    assert error.value.field == field
    assert error.value.code == code
    assert error.value.message


def test_it_refuses_a_naive_start_and_a_disabled_rule(legal):
    with pytest.raises(ActionError) as error:
        deadline("bail", datetime(2026, 3, 2, 9, 0))
    assert error.value.field == "start"
    TimeLimitRule.objects.filter(code="bail").update(active=False)
    clear_all()  # update() sends no signal
    with pytest.raises(ActionError) as error:
        deadline("bail", at(2026, 3, 2, 9, 0))
    assert (error.value.field, error.value.code) == ("rule", "inactive_rule")


def test_an_edited_rule_counts_at_once(legal):
    rule = TimeLimitRule.objects.get(code="detention_to_jail")
    assert deadline("detention_to_jail", at(2026, 3, 2, 9, 0)) == at(2026, 3, 3, 9, 0)
    rule.amount = 12
    rule.save()
    assert deadline("detention_to_jail", at(2026, 3, 2, 9, 0)) == at(2026, 3, 2, 21, 0)


# —— the clock on the supervisor's board ——


def test_the_clock_turns_yellow_then_red(legal):
    due = deadline("criminal_filing_review", at(2026, 3, 2, 9, 0))
    assert due == end_of(2026, 3, 5)
    warn = timedelta(hours=24)
    assert clock_state(due, at(2026, 3, 3, 12, 0), warn_before=warn) == "normal"
    assert clock_state(due, due - warn - timedelta(seconds=1), warn_before=warn) == ClockState.NORMAL
    assert clock_state(due, due - warn, warn_before=warn) == "due_soon"
    assert clock_state(due, at(2026, 3, 5, 18, 0), warn_before=warn) == "due_soon"
    assert clock_state(due, due, warn_before=warn) == "due_soon"  # 23:59:59 is still in time
    assert clock_state(due, due + timedelta(seconds=1), warn_before=warn) == "overdue"
    assert clock_state(due, at(2026, 3, 6, 0, 0), warn_before=warn) == ClockState.OVERDUE
    assert remaining(due, at(2026, 3, 5, 21, 59, 59)) == timedelta(hours=2)
    assert remaining(due, at(2026, 3, 6, 0, 59, 59)) == timedelta(hours=-1)
    with pytest.raises(ValueError, match="warn_before"):
        clock_state(due, due, warn_before=timedelta(hours=-1))


# —— the data the migrations load ——

EXPECTED_RULES = {
    "criminal_filing_review": (3, "calendar_days", True),
    "admin_acceptance_review": (24, "hours", True),
    "criminal_summons": (12, "hours", False),
    "admin_inquiry": (8, "hours", False),
    "detention_to_jail": (24, "hours", False),
    "detention_family_notice": (24, "hours", False),
    "detention_interrogation": (24, "hours", False),
    "detention_arrest_request": (3, "calendar_days", False),
    "arrest_custody": (2, "months", False),
    "bail": (12, "months", False),
    "residential_surveillance": (6, "months", False),
    "admin_case_handling": (30, "calendar_days", True),
    "property_handover": (24, "hours", False),
    "property_offsite_registration": (24, "hours", False),
    "property_inspection_filing": (24, "hours", False),
    "id_card_issue": (60, "calendar_days", False),
}


def test_the_migration_loads_every_rule_with_a_citation(legal):
    rules = {rule.code: rule for rule in TimeLimitRule.objects.all()}
    assert set(EXPECTED_RULES) <= set(rules)
    for code, (amount, unit, extends) in EXPECTED_RULES.items():
        rule = rules[code]
        assert (rule.amount, rule.unit, rule.extends_past_holiday) == (amount, unit, extends), code
        assert rule.citation.strip() and rule.name.strip() and rule.active
    assert TimeLimitExtension.objects.count() == 12
    assert not TimeLimitExtension.objects.filter(citation="").exists()
    law = "《中华人民共和国刑事诉讼法》"
    assert [(e.code, e.citation, e.approver) for e in rules["arrest_custody"].extensions.all()] == [
        ("complex_case", law + "第一百五十六条", "上一级人民检察院"),
        ("major_case", law + "第一百五十八条", "省、自治区、直辖市人民检察院"),
        ("ten_years_or_more", law + "第一百五十九条", "省、自治区、直辖市人民检察院"),
    ]
    assert rules["detention_arrest_request"].citation == "《中华人民共和国刑事诉讼法》第九十一条第一款"
    assert rules["criminal_summons"].citation == "《中华人民共和国刑事诉讼法》第一百一十九条第二款"
    # Unverified article numbers are not invented: the law is cited bare and the note says so.
    for code in ("admin_inquiry", "admin_case_handling", "property_handover"):
        assert "（条文序号待核）" in rules[code].note
    assert "第" not in rules["admin_inquiry"].citation


def test_the_migration_loads_the_2025_and_2026_holiday_arrangements(legal):
    def count(year: int, kind: str) -> int:
        return CalendarDay.objects.filter(date__year=year, kind=kind).count()

    assert (count(2025, DayKind.HOLIDAY), count(2025, DayKind.WORKDAY)) == (28, 5)
    assert (count(2026, DayKind.HOLIDAY), count(2026, DayKind.WORKDAY)) == (33, 6)
    spring = CalendarDay.objects.get(date=date(2026, 2, 15))
    assert (spring.kind, spring.name) == (DayKind.HOLIDAY, "春节")
    assert "国务院办公厅关于2026年部分节假日安排的通知" in spring.source
    assert not CalendarDay.objects.filter(source="").exists()


def test_the_data_survives_a_reload_and_comes_back_after_a_flush(legal):
    from django.apps import apps as django_apps

    def counts() -> tuple[int, int, int]:
        return CalendarDay.objects.count(), TimeLimitRule.objects.count(), TimeLimitExtension.objects.count()

    before = counts()
    importlib.import_module("anmin.supervision.migrations.0002_legal_calendar").load(django_apps, None)
    importlib.import_module("anmin.supervision.migrations.0003_time_limit_rules").load(django_apps, None)
    assert counts() == before
    TimeLimitRule.objects.all().delete()  # what a transactional test's flush leaves behind
    CalendarDay.objects.all().delete()
    assert counts() == (0, 0, 0)
    ensure_time_limit_tables()
    assert counts() == before
    assert deadline("criminal_filing_review", at(2026, 9, 29, 10, 0)) == end_of(2026, 10, 8)


# —— the admin ——


@pytest.fixture
def admin_client(legal, client):
    root = OfficerFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(root)
    return client


def test_administrators_see_the_rules_with_their_citations(admin_client):
    page = admin_client.get("/admin/supervision/timelimitrule/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "拘留后提请批准逮捕" in text
    assert "《中华人民共和国刑事诉讼法》第九十一条第一款" in text
    rule = TimeLimitRule.objects.get(code="arrest_custody")
    page = admin_client.get(f"/admin/supervision/timelimitrule/{rule.pk}/change/")
    assert page.status_code == 200
    assert "上一级人民检察院" in page.content.decode()
    assert admin_client.get("/admin/supervision/calendarday/").status_code == 200


def test_administrators_can_correct_a_rule(admin_client):
    rule = TimeLimitRule.objects.get(code="property_handover")
    data = {
        "code": rule.code,
        "name": rule.name,
        "case_kind": rule.case_kind,
        "active": "on",
        "start_event": rule.start_event,
        "end_event": rule.end_event,
        "amount": 12,
        "unit": rule.unit,
        "citation": rule.citation + "第十条",
        "note": "",
        "extensions-TOTAL_FORMS": "0",
        "extensions-INITIAL_FORMS": "0",
        "extensions-MIN_NUM_FORMS": "0",
        "extensions-MAX_NUM_FORMS": "1000",
    }
    response = admin_client.post(f"/admin/supervision/timelimitrule/{rule.pk}/change/", data)
    assert response.status_code == 302
    assert deadline("property_handover", at(2026, 3, 2, 9, 0)) == at(2026, 3, 2, 21, 0)


def test_it_refuses_the_rules_admin_to_non_staff(legal, client):
    client.force_login(OfficerFactory(role=Role.STATION))
    assert client.get("/admin/supervision/timelimitrule/").status_code == 302

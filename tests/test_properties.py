"""Properties of the pure functions, checked with hypothesis over many generated inputs rather than a
few chosen ones: the working-day calendar and the deadlines built on it, report periods and their
同比/环比, GB 11643 ID numbers, GA 36 plates, WGS-84 ⇄ GCJ-02 and the two ranking rules.

Examples are bounded (`max_examples`) and the deadline is off, so the suite stays fast and a slow
CI machine does not turn into a flaky test.
"""

import random
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from anmin.bookings import ranking as booking_ranking
from anmin.core.errors import ActionError
from anmin.core.idnumber import birth_date, clean_id_number, sex
from anmin.geo.coords import distance_m, gcj02_to_wgs84, out_of_china, wgs84_to_gcj02
from anmin.reports.plates import PROVINCES, clean_plate
from anmin.stats import periods
from anmin.stats.periods import Kind, Period
from anmin.stats.report import Row, ranked
from anmin.supervision import calendar
from anmin.supervision.deadlines import deadline

FAST = settings(max_examples=150, deadline=None)
#: The calendar reads the legal holidays from the database (once per year, then cached).
WITH_DB = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
TZ = calendar.LEGAL_TZ
#: Years whose State Council arrangement is loaded by the migrations.
LOADED = (date(2025, 1, 1), date(2026, 12, 31))


@pytest.fixture
def legal_calendar(db):
    from tests.conftest import ensure_code_tables

    ensure_code_tables()
    calendar.calendar_cache.clear()
    yield
    calendar.calendar_cache.clear()


# --- working days and deadlines --------------------------------------------------------------------

starts = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2026, 9, 30), timezones=st.just(TZ)
)  # late enough in 2026 that 60 working days still end inside the loaded years


def working_days_between(first: date, last: date) -> int:
    """Working days d with first < d <= last, counted one by one."""
    return sum(calendar.is_working_day(first + timedelta(days=i)) for i in range(1, (last - first).days + 1))


@WITH_DB
@given(start=starts, n=st.integers(min_value=0, max_value=60))
def test_adding_n_working_days_then_counting_back_gives_n(legal_calendar, start, n):
    due = calendar.add_working_days(start, n)
    assert due.timetz().replace(tzinfo=None) == calendar.END_OF_DAY
    assert working_days_between(start.date(), due.date()) == n
    if n:
        assert calendar.is_working_day(due.date())  # the n-th working day, not a day off after it


@WITH_DB
@given(start=starts, n=st.integers(min_value=0, max_value=40))
def test_working_days_are_monotonic(legal_calendar, start, n):
    assert calendar.add_working_days(start, n) <= calendar.add_working_days(start, n + 1)
    assert calendar.add_working_days(start, n + 1) - calendar.add_working_days(start, n) >= timedelta(days=1)


@WITH_DB
@given(due=starts)
def test_a_rolled_deadline_lands_on_the_first_working_day(legal_calendar, due):
    rolled = calendar.roll_to_working_day(due)
    assert calendar.is_working_day(rolled.date())
    assert rolled >= due
    skipped = [due.date() + timedelta(days=i) for i in range((rolled.date() - due.date()).days)]
    assert not any(calendar.is_working_day(day) for day in skipped)  # nothing skipped that counted


@WITH_DB
@given(start=starts, code=st.sampled_from(["criminal_filing_review", "admin_case_handling"]))
@example(start=datetime(2025, 9, 27, 10, 0, tzinfo=TZ), code="criminal_filing_review")  # ends in 国庆
def test_deadlines_that_extend_past_holidays_never_land_on_one(legal_calendar, start, code):
    due = deadline(code, start)
    assert calendar.is_working_day(due.date())
    assert due.time() == calendar.END_OF_DAY


@WITH_DB
@given(start=starts, n=st.integers(min_value=0, max_value=30))
def test_custody_days_never_move_for_a_holiday(legal_calendar, start, n):
    # 在押期间不得因节假日而延长: calendar days end exactly n days after the start day.
    assert calendar.add_calendar_days(start, n).date() == start.astimezone(TZ).date() + timedelta(days=n)


@FAST
@given(start=st.datetimes(timezones=st.just(TZ)), n=st.integers(min_value=0, max_value=240))
def test_months_end_on_the_same_day_or_the_months_last(start, n):
    assume(start.year + n // 12 + 1 < 9999)
    due = calendar.add_months(start, n)
    day = start.astimezone(TZ).date()
    months = day.year * 12 + day.month - 1 + n
    assert (due.year, due.month) == (months // 12, months % 12 + 1)
    assert due.day == day.day or (due.day < day.day and (due.date() + timedelta(days=1)).day == 1)


# --- report periods --------------------------------------------------------------------------------

years = st.integers(min_value=periods.MIN_YEAR, max_value=periods.MAX_YEAR)


@st.composite
def any_period(draw) -> Period:
    """A period of any kind whose code parses (weeks at the edge of the range may fall outside it)."""
    kind = draw(st.sampled_from([Kind.YEAR, Kind.QUARTER, Kind.MONTH, Kind.WEEK, Kind.DAY, Kind.CUSTOM]))
    y = draw(years)
    if kind == Kind.YEAR:
        return periods.year(y)
    if kind == Kind.QUARTER:
        return periods.quarter(y, draw(st.integers(1, 4)))
    if kind == Kind.MONTH:
        return periods.month(y, draw(st.integers(1, 12)))
    if kind == Kind.WEEK:
        last = date(y, 12, 28).isocalendar()[1]
        return periods.week(y, draw(st.integers(1, last)))
    start = draw(st.dates(min_value=date(periods.MIN_YEAR, 1, 1), max_value=date(periods.MAX_YEAR, 12, 31)))
    if kind == Kind.DAY:
        return Period(Kind.DAY, start, start)
    room = (date(periods.MAX_YEAR, 12, 31) - start).days
    return Period(Kind.CUSTOM, start, start + timedelta(days=draw(st.integers(0, min(periods.MAX_DAYS, room)))))


@FAST
@given(period=any_period())
@example(period=periods.year(periods.MIN_YEAR))
@example(period=periods.year(periods.MAX_YEAR))
@example(period=periods.week(periods.MIN_YEAR, 1))  # began on Monday 30 December 999
def test_a_period_code_parses_back_to_the_period(period):
    if not periods.in_range(period):
        with pytest.raises(ActionError) as caught:
            periods.parse(period.code)
        assert (caught.value.field, caught.value.code) == ("period", "out_of_range")
        return
    assert periods.parse(period.code) == period
    assert periods.parse(f"  {period.code.lower()} ") == period
    assert period.label and period.days >= 1


@FAST
@given(period=any_period(), compare=st.sampled_from(["yoy", "pop"]))
@example(period=periods.year(1000), compare="yoy")
@example(period=Period(Kind.DAY, date(1000, 1, 1), date(1000, 1, 1)), compare="pop")
@example(period=periods.month(1000, 1), compare="pop")
def test_a_baseline_stays_within_the_years_or_is_refused_naming_compare(period, compare):
    assume(periods.in_range(period))
    try:
        base = periods.baseline(period, compare)
    except ActionError as exc:
        assert (exc.field, exc.code) == ("compare", "out_of_range")
        assert period.start.year <= periods.MIN_YEAR + 1  # only the first years have no baseline
        return
    assert periods.in_range(base)
    assert base.kind == period.kind
    assert base.end < period.start or compare == "yoy" and base.start < period.start
    if compare == "pop":  # the period just before: no gap, no overlap
        assert base.end + timedelta(days=1) == period.start
        if period.kind in (Kind.WEEK, Kind.DAY, Kind.CUSTOM):
            assert base.days == period.days
    elif period.kind in (Kind.YEAR, Kind.QUARTER, Kind.MONTH):
        assert (base.start.year + 1, base.start.month, base.start.day) == (
            period.start.year,
            period.start.month,
            period.start.day,
        )
    assert periods.parse(base.code) == base


period_like = st.one_of(
    st.text(max_size=30),
    st.from_regex(r"\A[0-9]{4}(-Q[0-9]|-[0-9]{2}|-W[0-9]{2}|-[0-9]{2}-[0-9]{2}(\.\.[0-9]{4}-[0-9]{2}-[0-9]{2})?)?\Z"),
)


@FAST
@given(text=period_like)
@example(text="9999")
@example(text="9999-12")  # its end was computed from 1 January 10000: an OverflowError
@example(text="9999-Q4")
@example(text="9999-W52")
@example(text="9999-12-31")
@example(text="0001")
@example(text="0000-W01")
@example(text="٢٠٢١")
def test_any_text_is_a_period_in_range_or_refused_naming_the_field(text):
    try:
        period = periods.parse(text, "period")
    except ActionError as exc:
        assert exc.field == "period" and exc.message
        return
    assert periods.in_range(period)
    assert periods.parse(period.code) == period


# --- GB 11643 resident ID numbers ------------------------------------------------------------------

#: Division codes of several provinces (GB/T 2260), among them abolished and renamed ones.
DIVISIONS = ["131102", "131103", "110105", "440524", "310104", "510107", "650102", "130102", "810000"]
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def check_character(body: str) -> str:
    """ISO 7064 MOD 11-2 computed here, independently of the code under test."""
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11]


@st.composite
def id_numbers(draw) -> str:
    division = draw(st.sampled_from(DIVISIONS))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2024, 12, 31)))
    sequence = draw(st.integers(0, 999))
    body = f"{division}{born:%Y%m%d}{sequence:03d}"
    return body + check_character(body)


@FAST
@given(number=id_numbers())
def test_a_number_built_from_division_birth_and_sequence_verifies(number):
    assert clean_id_number(number, today=date(2025, 1, 1)) == number
    assert clean_id_number(number.lower(), today=date(2025, 1, 1)) == number
    assert birth_date(number) == date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    assert sex(number) == ("male" if int(number[16]) % 2 else "female")


@FAST
@given(number=id_numbers(), position=st.integers(0, 17), data=st.data())
def test_any_single_character_change_fails(number, position, data):
    alphabet = "0123456789X" if position == 17 else "0123456789"
    other = data.draw(st.sampled_from([c for c in alphabet if c != number[position]]))
    changed = number[:position] + other + number[position + 1 :]
    with pytest.raises(ActionError) as caught:
        clean_id_number(changed, today=date(2025, 1, 1))
    assert caught.value.field == "id_number"


@FAST
@given(number=id_numbers(), data=st.data())
def test_a_swap_of_two_adjacent_different_digits_fails(number, data):
    position = data.draw(st.integers(0, 15))
    assume(number[position] != number[position + 1])
    swapped = number[:position] + number[position + 1] + number[position] + number[position + 2 :]
    with pytest.raises(ActionError):
        clean_id_number(swapped, today=date(2025, 1, 1))


@FAST
@given(number=id_numbers())
def test_a_first_generation_number_upgrades_to_the_same_18_digits(number):
    assume(number[6:8] == "19")  # 15-digit numbers are all of the 1900s
    old = number[:6] + number[8:17]
    assert clean_id_number(old, today=date(2025, 1, 1)) == number


@FAST
@given(text=st.text(max_size=25))
def test_any_text_is_a_valid_number_or_refused_naming_the_field(text):
    try:
        number = clean_id_number(text, today=date(2025, 1, 1))
    except ActionError as exc:
        assert exc.field == "id_number"
        return
    assert len(number) == 18 and number[17] == check_character(number[:17])


# --- GA 36 plates ----------------------------------------------------------------------------------

LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, no O
OFFICES = "ABCDEFGHJKLMNOPQRSTUVWXYZ"  # 发牌机关代号: O is a real office (粤O)
DIGITS = "0123456789"
prefixes = st.tuples(st.sampled_from(PROVINCES), st.sampled_from(OFFICES)).map("".join)


@st.composite
def ordinary_plates(draw) -> str:
    letters = draw(st.integers(0, 2))
    serial = [draw(st.sampled_from(LETTERS)) for _ in range(letters)]
    serial += [draw(st.sampled_from(DIGITS)) for _ in range(5 - letters)]
    return draw(prefixes) + "".join(draw(st.permutations(serial)))


@st.composite
def new_energy_plates(draw) -> str:
    if draw(st.booleans()):  # small: D/F (or an expansion letter), a letter or digit, four digits
        serial = draw(st.sampled_from("ABCDEFGHJK")) + draw(st.sampled_from(LETTERS + DIGITS))
        serial += "".join(draw(st.sampled_from(DIGITS)) for _ in range(4))
    else:  # large: five digits, then D or F
        serial = "".join(draw(st.sampled_from(DIGITS)) for _ in range(5)) + draw(st.sampled_from("DF"))
    return draw(prefixes) + serial


def as_typed(plate: str, draw) -> str:
    """The plate as a clerk might type it: lower case, full-width, with a space or a dot after the office."""
    text = plate[:2] + draw(st.sampled_from(["", " ", "·", "-", "\u3000"])) + plate[2:]
    if draw(st.booleans()):
        text = text.lower()
    if draw(st.booleans()):
        text = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)  # full-width ASCII
    return text


@FAST
@given(plate=st.one_of(ordinary_plates(), new_energy_plates()), data=st.data())
def test_a_plate_built_after_ga36_is_accepted_as_typed(plate, data):
    assert clean_plate(plate) == plate
    assert clean_plate(as_typed(plate, data.draw)) == plate


@FAST
@given(prefix=prefixes, data=st.data())
def test_a_serial_with_three_letters_is_refused(prefix, data):
    serial = [data.draw(st.sampled_from(LETTERS)) for _ in range(3)] + [data.draw(st.sampled_from(DIGITS))] * 2
    plate = prefix + "".join(data.draw(st.permutations(serial)))
    with pytest.raises(ActionError) as caught:
        clean_plate(plate)
    assert caught.value.field == "plate"


@FAST
@given(plate=ordinary_plates(), position=st.integers(2, 6), letter=st.sampled_from("IO"))
def test_i_and_o_in_a_serial_are_refused(plate, position, letter):
    with pytest.raises(ActionError) as caught:
        clean_plate(plate[:position] + letter + plate[position + 1 :])
    assert caught.value.code == "letter_i_o"


@FAST
@given(text=st.text(max_size=14))
@example(text="冀T12345")
@example(text="使123456")
def test_cleaning_a_plate_is_idempotent_or_refused(text):
    try:
        plate = clean_plate(text)
    except ActionError as exc:
        assert exc.field == "plate"
        return
    assert clean_plate(plate) == plate
    assert plate == plate.upper() and " " not in plate


# --- WGS-84 ⇄ GCJ-02 -------------------------------------------------------------------------------

#: The rectangle the algorithm treats as China (its edges excluded, as `out_of_china` has them).
inside = st.tuples(
    st.floats(3.86, 53.55, exclude_min=True, exclude_max=True),
    st.floats(73.66, 135.05, exclude_min=True, exclude_max=True),
)


@FAST
@given(point=inside)
@example(point=(37.7389, 115.6700))  # 衡水
@example(point=(53.54, 122.35))  # 漠河, at the northern edge of the box
@example(point=(48.35, 135.04))  # 抚远, at the eastern edge
def test_gcj02_round_trip_is_within_a_metre_inside_china(point):
    lat, lon = point
    glat, glon = wgs84_to_gcj02(lat, lon)
    assert 1 < distance_m(lat, lon, glat, glon) < 1000  # GCJ-02 is offset, by at most some hundreds of metres
    back = gcj02_to_wgs84(glat, glon)
    assert distance_m(lat, lon, *back) < 1.0


far_outside = st.one_of(
    st.tuples(st.floats(-90, 90), st.floats(-180, 73.5)),
    st.tuples(st.floats(-90, 90), st.floats(135.2, 180)),
    st.tuples(st.floats(-90, 3.7), st.floats(-180, 180)),
    st.tuples(st.floats(53.7, 90), st.floats(-180, 180)),
)


@FAST
@given(point=far_outside)
@example(point=(51.5074, -0.1278))  # London
@example(point=(35.6762, 139.6503))  # Tokyo
def test_both_directions_are_the_identity_outside_china(point):
    assert out_of_china(*point)
    assert wgs84_to_gcj02(*point) == point
    assert gcj02_to_wgs84(*point) == point


# --- ranking rules ---------------------------------------------------------------------------------

values = st.lists(st.one_of(st.none(), st.integers(0, 5), st.floats(0, 100, allow_nan=False)), max_size=25)


@FAST
@given(values=values, seed=st.integers(0, 2**32))
def test_a_report_ranking_shares_places_and_skips_after_a_tie(values, seed):
    rows = [Row(key=str(i), label=str(i), value=v) for i, v in enumerate(values)]
    out = ranked(rows)
    ranks = {row.key: row.rank for row in out}
    present = [v for v in values if v is not None]
    for i, v in enumerate(values):
        # Competition ranking: one more than the number of rows placed strictly before.
        expected = 1 + (sum(other > v for other in present) if v is not None else len(present))
        assert ranks[str(i)] == expected
    assert [row.rank for row in out] == sorted(row.rank for row in out)  # listed in order of place
    assert not out or out[0].rank == 1
    shuffled = [Row(key=str(i), label=str(i), value=v) for i, v in enumerate(values)]
    random.Random(seed).shuffle(shuffled)
    assert {row.key: row.rank for row in ranked(shuffled)} == ranks  # the input order does not matter


@st.composite
def exam_bookings(draw):
    n = draw(st.integers(0, 20))
    day = st.dates(min_value=date(2024, 1, 1), max_value=date(2024, 3, 31))
    bookings, repeaters = [], set()
    for pk in range(1, n + 1):
        applicant = SimpleNamespace(
            accepted_on=draw(day),
            last_exam_on=draw(st.none() | day),
            last_cancelled_on=draw(st.none() | day),
            last_no_show_on=draw(st.none() | day),
        )
        requested = datetime.combine(draw(day), time(draw(st.integers(0, 23))))
        bookings.append(SimpleNamespace(pk=pk, applicant_id=pk, applicant=applicant, requested_at=requested))
        if draw(st.booleans()):
            repeaters.add(pk)
    return bookings, repeaters


@FAST
@given(case=exam_bookings(), seed=st.integers(0, 2**32))
def test_exam_seats_go_in_one_total_order_whatever_the_input_order(case, seed):
    bookings, repeaters = case
    ordered = booking_ranking.rank(list(bookings), repeaters)
    assert [b.rank for b in ordered] == list(range(1, len(bookings) + 1))  # 1-based, no shared places
    keys = [(b.rank_date, b.requested_at, b.pk) for b in ordered]
    assert keys == sorted(keys)
    for b in ordered:
        a = b.applicant
        assert b.first_time == (b.pk not in repeaters)
        if b.first_time:
            assert b.rank_date == a.accepted_on
        else:
            events = [d for d in (a.last_exam_on, a.last_cancelled_on, a.last_no_show_on) if d]
            assert b.rank_date == (max(events) if events else a.accepted_on)
    shuffled = list(bookings)
    random.Random(seed).shuffle(shuffled)
    assert [b.pk for b in booking_ranking.rank(shuffled, repeaters)] == [b.pk for b in ordered]

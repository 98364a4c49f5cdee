"""A year without the State Council's holiday arrangement is counted as Monday–Friday only
provisionally, and the legal unit loads it (`anmin calendar load FILE` or the admin)."""

import io
import json
from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import transaction

from anmin.cases.actions import OpenCase
from anmin.core.errors import ActionError
from anmin.supervision import holidays
from anmin.supervision.calendar import LEGAL_TZ, year_is_loaded
from anmin.supervision.deadlines import deadline, is_provisional
from anmin.supervision.models import CalendarDay, Clock

pytestmark = pytest.mark.django_db

#: Part of a 2027 arrangement, enough for the tests: 元旦 and the 国庆 week.
CSV_2027 = "date,kind,name\n2027-01-01,holiday,元旦\n" + "".join(f"2027-10-0{d},holiday,国庆节\n" for d in range(1, 8))


def at(*args) -> datetime:
    return datetime(*args, tzinfo=LEGAL_TZ)


def end_of(year: int, month: int, day: int) -> datetime:
    return at(year, month, day, 23, 59, 59)


def write(tmp_path, content: str, name: str = "2027.csv"):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return str(path)


def filing_clock(city, when) -> Clock:
    case = OpenCase(by=city.station_officer, kind="criminal", title="盗窃案", at=when).execute()
    return Clock.objects.get(case=case, rule__code="criminal_filing_review")


def test_2026_is_loaded_and_2027_is_not():
    assert year_is_loaded(2026) and not year_is_loaded(2027)


def test_a_deadline_in_an_unloaded_year_is_provisional():
    start = at(2027, 9, 28, 10, 0)
    due = deadline("criminal_filing_review", start)
    assert due == end_of(2027, 10, 1)  # a Friday, counted as a working day for want of the notice
    assert is_provisional("criminal_filing_review", start, due)
    loaded = at(2026, 9, 28, 10, 0)
    assert not is_provisional("criminal_filing_review", loaded, deadline("criminal_filing_review", loaded))


def test_a_deadline_that_reaches_into_an_unloaded_year_is_provisional():
    start = at(2026, 12, 30, 10, 0)
    assert is_provisional("criminal_filing_review", start, deadline("criminal_filing_review", start))


def test_hour_periods_never_consult_the_calendar():
    start = at(2027, 9, 30, 10, 0)
    assert not is_provisional("detention_to_jail", start, deadline("detention_to_jail", start))


def test_loading_2027_makes_its_clocks_final_and_counts_them_again(city, tmp_path):
    clock = filing_clock(city, at(2027, 9, 28, 10, 0))
    assert clock.provisional and clock.due_at == end_of(2027, 10, 1)
    lead = clock.due_at - clock.warn_at

    out = io.StringIO()
    call_command("calendar", "load", write(tmp_path, CSV_2027), stdout=out)
    assert json.loads(out.getvalue()) == {"years": [2027], "days": 8, "clocks": 1}

    assert year_is_loaded(2027)
    clock.refresh_from_db()
    assert not clock.provisional
    assert clock.due_at == end_of(2027, 10, 8)  # the 国庆 week moves it past the holiday
    assert clock.due_at - clock.warn_at == lead
    assert not filing_clock(city, at(2027, 3, 10, 9, 0)).provisional


def test_it_loads_nothing_when_one_row_is_bad(city, tmp_path):
    clock = filing_clock(city, at(2027, 9, 28, 10, 0))
    bad = CSV_2027 + "2027-02-30,holiday,春节\n2027-02-08,workday,春节\n2027-02-09,vacation,春节\n"
    with pytest.raises(CommandError) as caught:
        call_command("calendar", "load", write(tmp_path, bad))
    message = str(caught.value)
    assert "第 10 行" in message and "第 11 行" in message and "第 12 行" in message and "未导入" in message
    assert not CalendarDay.objects.filter(date__year=2027).exists()
    clock.refresh_from_db()
    assert clock.provisional


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("day,kind\n2027-01-01,holiday\n", "date,kind,name"),
        ("date,kind,name\n", "没有任何日期"),
        ("date,kind,name\n2027-01-01,holiday,元旦\n2027-01-01,holiday,元旦\n", "日期重复"),
        ("date,kind,name\n2027-01-04,workday,春节\n", "工作日"),  # a Monday needs no 调休
        ("date,kind,name\n1927-01-01,holiday,元旦\n", "YYYY-MM-DD"),
        ("date,kind,name\n2027-01-01,holiday,元旦\x00\n", "非法字符"),
        ("[1, 2]", "对象"),
        ("{not json", "JSON"),
    ],
)
def test_it_rejects_bad_files_naming_the_problem(content, fragment):
    name = "x.json" if content.startswith(("[", "{")) else "x.csv"
    with pytest.raises(ActionError) as caught:
        holidays.parse(content.encode(), name)
    assert fragment in caught.value.message and caught.value.field == "file"


def test_it_loads_json_and_replaces_the_year_as_a_whole():
    rows = [{"date": "2027-01-01", "kind": "holiday", "name": "元旦"}, {"date": "2027-02-06", "kind": "workday"}]
    with transaction.atomic():
        holidays.load(holidays.parse(json.dumps(rows).encode(), "2027.json"))
    assert CalendarDay.objects.filter(date__year=2027).count() == 2
    with transaction.atomic():
        holidays.load(holidays.parse(CSV_2027.encode(), "2027.csv"), source="通知")
    days = CalendarDay.objects.filter(date__year=2027)
    assert days.count() == 8 and not days.filter(kind="workday").exists()
    assert set(days.values_list("source", flat=True)) == {"通知"}
    assert CalendarDay.objects.filter(date__year=2026).exists()  # other years untouched


def test_the_admin_loads_a_file(admin_client):
    upload = SimpleUploadedFile("2027.csv", CSV_2027.encode())
    response = admin_client.post("/admin/supervision/calendarday/load/", {"file": upload, "source": "通知"})
    assert response.status_code == 302
    assert CalendarDay.objects.filter(date__year=2027).count() == 8


def test_the_admin_shows_a_bad_file_again_with_the_rows_named(admin_client):
    upload = SimpleUploadedFile("2027.csv", b"date,kind,name\n2027-13-01,holiday,x\n")
    response = admin_client.post("/admin/supervision/calendarday/load/", {"file": upload})
    assert response.status_code == 400
    assert "第 2 行" in response.content.decode()
    assert not CalendarDay.objects.filter(date__year=2027).exists()


def test_the_admin_changelist_links_to_the_load_page(admin_client):
    response = admin_client.get("/admin/supervision/calendarday/")
    assert response.status_code == 200 and "/admin/supervision/calendarday/load/" in response.content.decode()


def test_the_supervision_board_tells_the_legal_unit_which_years_to_load(city, tmp_path, monkeypatch):
    from datetime import date

    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: date(2026, 12, 7))
    filing_clock(city, at(2027, 9, 28, 10, 0))
    page = city.login(city.leader).get("/supervision/").content.decode()
    assert 'id="calendar-missing"' in page
    assert "2027 年的法定节假日安排尚未导入：1 个正在计算的期限暂按周一至周五计算" in page
    assert "anmin calendar load" in page

    call_command("calendar", "load", write(tmp_path, CSV_2027), stdout=io.StringIO())
    assert 'id="calendar-missing"' not in city.login(city.leader).get("/supervision/").content.decode()

"""Nothing is chosen for the user: every `<select>` of a form that records something opens on an empty
请选择, and a form sent without a choice is refused naming the field — a wooden stick was once
registered as 现金 because 现金 came first in the list."""

from html.parser import HTMLParser

import pytest

from anmin.bookings.models import ExamSession, Office
from anmin.cases.actions import OpenCase
from anmin.cases.models import Case, CaseDocument, CasePerson, Measure
from anmin.property.models import SeizedItem
from anmin.supervision.models import Clock
from tests.conftest import portal_client

pytestmark = pytest.mark.django_db


class _Selects(HTMLParser):
    """The selects inside POST forms: name → (options as (value, text, selected), required)."""

    def __init__(self):
        super().__init__()
        self.in_post_form = False
        self.selects: dict[str, dict] = {}
        self.current: dict | None = None
        self.option: list | None = None

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "form":
            self.in_post_form = (values.get("method") or "").lower() == "post"
        elif tag == "select" and self.in_post_form:
            self.current = {"options": [], "required": "required" in values}
            self.selects[values.get("id") or values["name"]] = self.current
        elif tag == "option" and self.current is not None:
            self.option = [values.get("value"), "", "selected" in values]
            self.current["options"].append(self.option)

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_post_form = False
        elif tag == "select":
            self.current = None
        elif tag == "option":
            self.option = None

    def handle_data(self, data):
        if self.option is not None:
            self.option[1] += data.strip()


def selects(html: str) -> dict[str, dict]:
    parser = _Selects()
    parser.feed(html)
    return parser.selects


def assert_nothing_chosen(html: str, expected: set[str]) -> None:
    """Every select of the page's POST forms opens on an empty option (an optional one may call it
    otherwise, e.g. （未分类）); the `expected` ones are required and open on 请选择."""
    found = selects(html)
    assert expected <= set(found), set(found)
    for name, select in found.items():
        first = select["options"][0]
        assert first[0] == "", (name, first)
        assert not any(selected for _v, _t, selected in select["options"]), name
        assert len(select["options"]) > 1, name
        if name in expected:
            assert first[1] == "请选择" and select["required"], (name, first)
        else:
            assert not select["required"], name


@pytest.fixture
def case(city):
    case = OpenCase(by=city.station_officer, kind="criminal", title="盗窃案").execute()
    CasePerson.objects.create(case=case, role="suspect", name="李四", added_by=city.station_officer)
    return case


def refused(response, field: str, label: str) -> None:
    assert response.status_code == 400, response.status_code
    html = response.content.decode()
    assert f'data-field="{field}"' in html
    assert f"{label}：请选择" in html


# —— the pages open on 请选择 ——


def test_the_case_pages_choose_nothing(city, case):
    client = city.login(city.station_officer)
    assert Clock.objects.filter(case=case).exists()  # its 立案审查 clock offers 延长情形
    assert_nothing_chosen(
        client.get(f"/cases/{case.pk}/").content.decode(), {"p-role", "d-kind", "m-person", "m-kind", "code"}
    )
    assert_nothing_chosen(client.get("/cases/new/").content.decode(), {"kind"})
    assert_nothing_chosen(client.get(f"/cases/{case.pk}/property/").content.decode(), {"kind"})


def test_the_booking_staff_pages_choose_nothing(city):
    Office.objects.create(organization=city.traffic, name="衡水车管所科目一考场")
    client = city.login(city.leader)
    assert_nothing_chosen(client.get("/bookings/exams/").content.decode(), {"venue", "subject", "a-org", "a-class"})
    assert_nothing_chosen(client.get("/bookings/").content.decode(), {"organization"})


def test_the_portal_forms_choose_nothing(city, citizen):
    client = portal_client(citizen)
    assert_nothing_chosen(client.get("/portal/reports/tips/new/").content.decode(), {"kind"})
    assert_nothing_chosen(client.get("/portal/reports/online/new/").content.decode(), {"category"})
    assert_nothing_chosen(client.get("/portal/reports/missing/new/").content.decode(), {"sex"})


# —— a form without a choice is refused, naming the field ——


def test_property_without_a_kind_is_not_registered_as_cash(city, case):
    client = city.login(city.station_officer)
    data = {"description": "木棍一根", "quantity": "1", "unit": "根", "estimated_value": "0"}
    refused(client.post(f"/cases/{case.pk}/property/register/", data), "kind", "类别")
    assert not SeizedItem.objects.exists()
    assert client.post(f"/cases/{case.pk}/property/register/", data | {"kind": "other"}).status_code == 302
    assert SeizedItem.objects.get().kind == "other"


def test_the_case_forms_refuse_a_missing_choice(city, case):
    client = city.login(city.station_officer)
    person = CasePerson.objects.get(case=case)
    refused(client.post("/cases/new/", {"title": "盗窃案"}), "kind", "案件类型")
    assert Case.objects.count() == 1
    refused(client.post(f"/cases/{case.pk}/persons/", {"name": "王五"}), "role", "身份")
    refused(client.post(f"/cases/{case.pk}/measures/", {"person": person.pk, "reason": "x"}), "kind", "措施")
    refused(client.post(f"/cases/{case.pk}/measures/", {"kind": "summons", "reason": "x"}), "person", "对象")
    assert not Measure.objects.exists()
    assert CasePerson.objects.count() == 1


def test_a_document_without_a_kind_is_refused_not_filed_as_other(city, case, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path / "private"
    client = city.login(city.station_officer)
    upload = SimpleUploadedFile("笔录.pdf", b"%PDF-1.4\n%%EOF\n")
    refused(client.post(f"/cases/{case.pk}/documents/", {"title": "笔录", "file": upload}), "kind", "类别")
    assert not CaseDocument.objects.exists()


def test_an_extension_without_a_ground_is_refused(city, case):
    clock = Clock.objects.get(case=case)
    response = city.login(city.station_officer).post(f"/supervision/clocks/{clock.pk}/extend/", {"reason": "线索待查"})
    refused(response, "code", "延长情形")
    clock.refresh_from_db()
    assert not clock.extensions


def test_a_session_without_a_venue_is_refused(city):
    response = city.login(city.leader).post(
        "/bookings/exams/", {"subject": "1", "date": "2027-01-20", "start": "09:00", "seats": "30"}
    )
    assert response.status_code == 400
    assert 'data-field="venue"' in response.content.decode() and "请选择考场" in response.content.decode()
    assert not ExamSession.objects.exists()

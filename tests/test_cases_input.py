"""The input layer of the case pages (案件、涉案财物、执法监督、典型案例、评查): every value a page
receives is read through a form, so a tampered hidden id, a number past 64 bits or a null character
is a 400 with the page shown again and the message beside the form — never a 500, never a write."""

from datetime import timedelta

import pytest
from django.utils import timezone

from anmin.cases.actions import OpenCase, TakeMeasure
from anmin.cases.models import ApprovalRequest, Case, CasePerson, Measure
from anmin.core.models import AuditEntry
from anmin.org.models import Role
from anmin.property.actions import RecordCustody, RegisterItem
from anmin.property.models import PropertyApproval, SeizedItem
from anmin.reviews.models import CaseReview, Deliberation
from anmin.supervision.models import Clock, ClockNotice, InspectionDismissal
from anmin.supervision.scan import scan
from tests.factories import OfficerFactory

VALID_ID_NUMBER = "11010519491231002X"
#: What a fuzzer or a hand-edited form sends for an id: text, a fraction, a negative number, zero,
#: one past the largest bigint, and a number past 64 bits.
BAD_IDS = ["abc", "1.5", "-1", "0", str(2**63), str(2**70), "１２", "1\x00"]


@pytest.fixture
def case(city) -> Case:
    return OpenCase(by=city.station_officer, kind="criminal", title="输入校验测试案").execute()


@pytest.fixture
def person(case, city) -> CasePerson:
    client = city.login(city.station_officer)
    data = {"role": "suspect", "name": "李某", "id_number": VALID_ID_NUMBER}
    assert client.post(f"/cases/{case.pk}/persons/", data).status_code == 302
    return CasePerson.objects.get(case=case)


@pytest.fixture
def leader(city):
    return OfficerFactory(username="taocheng_leader", organization=city.branch_a, role=Role.LEADER)


@pytest.fixture
def legal(city):
    return OfficerFactory(username="fazhi", organization=city.bureau, role=Role.LEGAL)


def refused(response, field: str, text: str = "") -> str:
    """The page came back with status 400 and the message naming `field`."""
    assert response.status_code == 400, response.status_code
    html = response.content.decode()
    assert f'data-field="{field}"' in html, html[:2000]
    assert text in html
    return html


# —— the case page: one URL per form ——


@pytest.mark.parametrize("bad", BAD_IDS)
def test_it_rejects_a_tampered_person_id_on_reveal_and_logs_nothing(city, case, person, bad):
    response = city.login(city.station_officer).post(f"/cases/{case.pk}/persons/reveal/", {"person": bad})
    html = refused(response, "person")
    assert VALID_ID_NUMBER not in html
    assert not AuditEntry.objects.filter(action="pii.reveal").exists()


def test_it_reveals_only_a_person_of_this_case(city, case, person):
    other = OpenCase(by=city.station_officer, kind="criminal", title="另一案").execute()
    client = city.login(city.station_officer)
    refused(client.post(f"/cases/{other.pk}/persons/reveal/", {"person": person.pk}), "person", "该人员不属于本案")
    refused(client.post(f"/cases/{case.pk}/persons/reveal/", {}), "person")
    response = client.post(f"/cases/{case.pk}/persons/reveal/", {"person": person.pk})
    assert response.status_code == 200 and VALID_ID_NUMBER in response.content.decode()


def test_the_old_case_page_post_with_op_is_gone(city, case, person):
    client = city.login(city.station_officer)
    response = client.post(f"/cases/{case.pk}/", {"op": "reveal", "person": "abc"})
    assert response.status_code == 405
    assert not AuditEntry.objects.filter(action="pii.reveal").exists()


@pytest.mark.parametrize("bad", ["abc", str(2**70)])
def test_it_rejects_a_tampered_measure_person_or_measure_id(city, case, person, bad):
    client = city.login(city.station_officer)
    refused(client.post(f"/cases/{case.pk}/measures/", {"person": bad, "kind": "summons"}), "person")
    assert not Measure.objects.exists()
    measure, _ = TakeMeasure(case=case, person=person, kind="summons", by=city.station_officer).execute()
    refused(client.post(f"/cases/{case.pk}/measures/end/", {"measure": bad}), "measure")
    measure.refresh_from_db()
    assert measure.status == Measure.Status.ACTIVE


def test_it_ends_only_a_measure_of_this_case(city, case, person):
    measure, _ = TakeMeasure(case=case, person=person, kind="summons", by=city.station_officer).execute()
    other = OpenCase(by=city.station_officer, kind="criminal", title="另一案").execute()
    client = city.login(city.station_officer)
    refused(client.post(f"/cases/{other.pk}/measures/end/", {"measure": measure.pk}), "measure", "该措施不属于本案")
    assert (
        client.post(f"/cases/{case.pk}/measures/end/", {"measure": measure.pk, "note": "询问完毕"}).status_code == 302
    )
    measure.refresh_from_db()
    assert measure.status == Measure.Status.ENDED


def test_a_refused_form_comes_back_open_with_the_message_inside_and_what_was_typed(city, case):
    client = city.login(city.station_officer)
    data = {"role": "suspect", "name": "王某", "id_number": "123", "address": "桃城区人民路"}
    html = refused(client.post(f"/cases/{case.pk}/persons/", data), "id_number", "身份证")
    form = html[html.index('id="person-form"') : html.index("</form>", html.index('id="person-form"'))]
    assert 'data-field="id_number"' in form
    assert 'value="王某"' in form and 'value="桃城区人民路"' in form
    assert '<details style="margin-top:8px" open>' in html
    assert not CasePerson.objects.exists()


def test_a_null_character_in_text_is_refused_not_stored(city, case):
    client = city.login(city.station_officer)
    refused(client.post(f"/cases/{case.pk}/persons/", {"role": "suspect", "name": "王\x00某"}), "name")
    refused(client.post(f"/cases/{case.pk}/transition/", {"action": "file", "reason": "立案\x00"}), "reason")
    assert not CasePerson.objects.exists()
    assert not ApprovalRequest.objects.exists()


def test_too_many_helper_badges_are_refused(city, case):
    client = city.login(city.station_officer)
    badges = ",".join(str(n) for n in range(100, 160))
    refused(client.post(f"/cases/{case.pk}/helpers/", {"badges": badges}), "badges", "最多 50 项")
    assert not case.helpers.exists()


def test_a_form_the_page_does_not_offer_puts_the_message_on_top(city, case):
    # A patrol officer sees the case (same station) but may not work it: no transition form is shown.
    client = city.login(city.patrol_officer)
    response = client.post(f"/cases/{case.pk}/transition/", {"action": "file", "reason": "立案"})
    assert response.status_code == 403
    assert 'role="alert"' in response.content.decode()
    assert not ApprovalRequest.objects.exists()


CASE_FORMS = [
    ("transition/", {"action": "file", "reason": "x"}),
    ("persons/", {"role": "suspect", "name": "某"}),
    ("persons/reveal/", {"person": "1"}),
    ("measures/", {"person": "1", "kind": "summons"}),
    ("measures/end/", {"measure": "1"}),
    ("documents/", {"kind": "document"}),
    ("helpers/", {"badges": ""}),
    ("review/", {"summary": "x"}),
    ("deliberation/", {"badges": ""}),
    ("property/register/", {"kind": "phone", "description": "x"}),
    ("property/photos/", {"item": "1"}),
    ("property/custody/", {"item": "1", "action": "hand_over"}),
]


@pytest.mark.parametrize(("suffix", "data"), CASE_FORMS)
def test_every_case_form_denies_another_station_and_sends_strangers_to_login(city, case, client, suffix, data):
    url = f"/cases/{case.pk}/{suffix}"
    assert city.login(city.outsider).post(url, data).status_code == 404
    response = client.post(url, data)
    assert response.status_code == 302 and "/login" in response["Location"]
    assert city.login(city.station_officer).get(url).status_code == 405


# —— opening a case ——


@pytest.mark.parametrize(("bad", "message"), [("abc", "应为正整数编号"), (str(2**70), "编号超出范围")])
def test_it_rejects_a_bad_incident_in_the_query_string(city, bad, message):
    response = city.login(city.station_officer).get("/cases/new/", {"incident": bad})
    refused(response, "incident", message)


@pytest.mark.parametrize("bad", ["abc", str(2**70)])
def test_it_rejects_a_bad_incident_in_the_form_and_opens_nothing(city, bad):
    data = {"incident": bad, "kind": "criminal", "title": "盗窃案"}
    refused(city.login(city.station_officer).post("/cases/new/", data), "incident")
    assert not Case.objects.exists()


def test_a_missing_incident_is_a_404(city):
    assert city.login(city.station_officer).get("/cases/new/", {"incident": 2**62}).status_code == 404


# —— the case list ——


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "bogus"}, "status"),
        ({"kind": "civil"}, "kind"),
        ({"page": "abc"}, "page"),
        ({"page": 2**70}, "page"),
    ],
)
def test_the_case_list_rejects_a_bad_filter(city, case, query, field):
    html = refused(city.login(city.station_officer).get("/cases/", query), field)
    assert case.number not in html


def test_the_case_list_still_filters_and_pages(city, case):
    client = city.login(city.station_officer)
    assert (
        case.number in client.get("/cases/", {"status": case.status, "kind": "criminal", "q": "输入"}).content.decode()
    )
    assert case.number not in client.get("/cases/", {"kind": "administrative"}).content.decode()
    assert client.get("/cases/", {"page": 99}).status_code == 200  # past the end: the last page, as before


# —— approvals ——


def test_a_decision_that_is_neither_approve_nor_reject_is_refused(city, case, leader):
    client = city.login(city.station_officer)
    client.post(f"/cases/{case.pk}/transition/", {"action": "file", "reason": "立案"})
    approval = ApprovalRequest.objects.get()
    response = city.login(leader).post(f"/approvals/{approval.pk}/decide/", {"decision": "maybe"})
    refused(response, "decision", "请选择批准或不批准")
    approval.refresh_from_db()
    assert approval.status == "pending"
    response = city.login(leader).post(f"/approvals/{approval.pk}/decide/", {"decision": "reject"})
    refused(response, "note")  # a rejection needs a note: the inbox again, beside that request
    assert city.login(leader).post(f"/approvals/{approval.pk}/decide/", {"decision": "approve"}).status_code == 302


def test_a_decision_by_someone_who_may_not_decide_says_so_on_top(city, case):
    city.login(city.station_officer).post(f"/cases/{case.pk}/transition/", {"action": "file", "reason": "立案"})
    approval = ApprovalRequest.objects.get()
    response = city.login(city.patrol_officer).post(f"/approvals/{approval.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 403
    assert 'role="alert"' in response.content.decode()
    approval.refresh_from_db()
    assert approval.status == "pending"


# —— property ——


@pytest.fixture
def item(city, case) -> SeizedItem:
    return RegisterItem(
        by=city.station_officer, case=case, kind="electronics", description="手机", quantity="1"
    ).execute()


@pytest.mark.parametrize("bad", ["abc", str(2**70), "-3"])
def test_the_property_forms_reject_a_tampered_item_id(city, case, item, bad):
    client = city.login(city.station_officer)
    refused(client.post(f"/cases/{case.pk}/property/custody/", {"item": bad, "action": "hand_over"}), "item")
    refused(client.post(f"/cases/{case.pk}/property/photos/", {"item": bad}), "item")
    item.refresh_from_db()
    assert item.status == "seized" and not item.photos.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quantity", "1e999999999"),
        ("quantity", "NaN"),
        ("quantity", "9" * 100),
        ("quantity", "1e-999999999"),
        ("estimated_value", "Infinity"),
        ("estimated_value", "-1"),
        ("kind", "\x00"),
    ],
)
def test_a_registration_with_an_impossible_number_is_refused(city, case, field, value):
    data = {"kind": "electronics", "description": "手机", "quantity": "1", "unit": "部", "estimated_value": "0"}
    data[field] = value
    refused(city.login(city.station_officer).post(f"/cases/{case.pk}/property/register/", data), field)
    assert not SeizedItem.objects.exists()


def test_an_item_of_another_case_is_a_404(city, case, item):
    other = OpenCase(by=city.station_officer, kind="criminal", title="另一案").execute()
    client = city.login(city.station_officer)
    data = {"item": item.pk, "action": "hand_over", "counterpart": "保管员"}
    assert client.post(f"/cases/{other.pk}/property/custody/", data).status_code == 404


def test_a_refused_custody_step_shows_the_message_at_its_item(city, case, item):
    client = city.login(city.station_officer)
    html = refused(client.post(f"/cases/{case.pk}/property/custody/", {"item": item.pk, "action": "fly"}), "action")
    row = html[html.index(f'id="item-{item.pk}"') :]
    assert 'data-field="action"' in row[: row.index("</tr>")]


def test_a_property_decision_is_read_through_the_form(city, case, item, leader):
    RecordCustody(item=item, action="hand_over", counterpart="保管员", by=city.station_officer).execute()
    RecordCustody(item=item, action="store", location="A-01", by=city.station_officer).execute()
    RecordCustody(item=item, action="lend", counterpart="鉴定中心", note="送检", by=city.station_officer).execute()
    approval = PropertyApproval.objects.get()
    client = city.login(leader)
    refused(client.post(f"/property/approvals/{approval.pk}/decide/", {"decision": "yes"}), "decision")
    approval.refresh_from_db()
    assert approval.status == "pending"


# —— reviews and deliberations ——


@pytest.mark.parametrize("bad", [str(2**70), "²", "-1", "1e3"])
def test_a_review_refuses_a_deduction_that_is_not_a_small_integer(city, case, legal, bad):
    response = city.login(legal).post(f"/cases/{case.pk}/review/", {"deduct-evidence": bad, "note-evidence": "x"})
    refused(response, "deduct-evidence")
    assert not CaseReview.objects.exists()


@pytest.mark.parametrize("held_at", ["abc", "0001-01-01T00:00", "9999-12-31T23:59", ""])
def test_a_deliberation_refuses_a_time_it_cannot_store(city, case, held_at):
    third = OfficerFactory(organization=city.station_a1)
    badges = ",".join(o.badge_number for o in (city.station_officer, city.patrol_officer, third))
    data = {"held_at": held_at, "badges": badges, "question": "议题", "decision": "决定"}
    html = refused(city.login(city.station_officer).post(f"/cases/{case.pk}/deliberation/", data), "held_at")
    assert 'id="deliberation-form"' in html
    assert not Deliberation.objects.exists()


# —— supervision ——


@pytest.fixture
def legal_a(city):
    return OfficerFactory(username="legal_a", organization=city.branch_a, role=Role.LEGAL)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"org": "abc", "state": "overdue"}, "org"),
        ({"org": str(2**70), "state": "overdue"}, "org"),
        ({"state": "overdue"}, "org"),
        ({"org": "1", "state": "purple"}, "state"),
        ({"org": "1", "state": "overdue", "page": "x"}, "page"),
    ],
)
def test_the_drill_down_rejects_a_bad_query(city, legal_a, query, field):
    refused(city.login(legal_a).get("/supervision/clocks/", query), field)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "incident", "item": "abc"}, "item"),
        ({"kind": "case", "item": str(2**70)}, "item"),
        ({"kind": "x", "item": "1"}, "kind"),
    ],
)
def test_the_inspection_page_rejects_a_tampered_row(city, legal_a, data, field):
    refused(city.login(legal_a).post("/supervision/inspection/", data | {"reason": "已核查"}), field)
    assert not InspectionDismissal.objects.exists()


@pytest.mark.parametrize("at", ["abc", "0001-01-01T00:00", "9999-12-31T23:59"])
def test_the_clock_forms_reject_a_bad_time_and_show_the_case_page(city, case, at):
    clock = Clock.objects.filter(case=case).first()
    response = city.login(city.station_officer).post(f"/supervision/clocks/{clock.pk}/complete/", {"at": at})
    html = refused(response, "at", "完成时间格式无效")
    assert case.number in html
    clock.refresh_from_db()
    assert clock.stopped_at is None


@pytest.fixture
def notice(city) -> ClockNotice:
    OpenCase(by=city.station_officer, kind="criminal", title="久拖", at=timezone.now() - timedelta(days=30)).execute()
    scan(timezone.now())
    return ClockNotice.objects.filter(recipient=city.station_officer).first()


@pytest.mark.parametrize("bad", ["abc", str(2**70), "-1"])
def test_marking_a_notice_read_rejects_a_tampered_id_and_marks_nothing(city, notice, bad):
    response = city.login(city.station_officer).post("/notices/", {"notice": bad})
    refused(response, "notice")
    assert not ClockNotice.objects.filter(read_at__isnull=False).exists()


def test_the_notices_page_rejects_a_bad_page_number(city, notice):
    refused(city.login(city.station_officer).get("/notices/", {"page": str(2**70)}), "page")
    assert city.login(city.station_officer).post("/notices/", {"notice": notice.pk}).status_code == 302
    notice.refresh_from_db()
    assert notice.read_at is not None


# —— the library ——


def test_the_library_refuses_a_null_character_and_cuts_a_long_query(city):
    client = city.login(city.patrol_officer)
    refused(client.get("/library/", {"q": "盗窃\x00"}), "q")
    assert client.get("/library/", {"q": "盗" * 500, "tag": "标" * 100}).status_code == 200

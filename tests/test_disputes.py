"""枫桥 矛盾纠纷: the register, the mediation workflow, masking, the agreement PDF, repeat-call
escalation, the monthly report and scoping."""

import io
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from anmin.core.errors import ActionError
from anmin.core.models import AuditEntry
from anmin.core.pii import NotVisible, RevealPersonalData
from anmin.disputes.actions import (
    AcceptDispute,
    CloseDispute,
    CreateDispute,
    EscalateDisputes,
    PrintAgreementForSigning,
    RecordAgreement,
    RecordFollowUp,
    RecordMediation,
    TransferDispute,
)
from anmin.disputes.documents import agreement_pdf
from anmin.disputes.models import TRANSITIONS, Dispute, Status, Step, steps_from
from anmin.disputes.report import monthly
from anmin.incidents.actions import ReceiveCall
from tests.conftest import A1_POINT

PARTIES = [
    {"role": "applicant", "name": "张三丰", "phone": "13812345678", "id_number": "131102198001011233"},
    {"role": "respondent", "name": "李四", "phone": "13900001111", "id_number": ""},
]


def make_dispute(city, *, by=None, at=None, address="桃城区人民路 100 号", point=A1_POINT, **extra) -> Dispute:
    data = {
        "kind": "neighbour",
        "source": "walk_in",
        "address": address,
        "lat": point[0],
        "lon": point[1],
        "description": "楼上漏水，邻里争执",
        **extra,
    }
    return CreateDispute(by=by or city.station_officer, data=data, parties=PARTIES, at=at).execute()


def agree(city, dispute, terms="被申请人赔偿申请人维修费 800 元，于 12 月 15 日前付清。"):
    officer = city.station_officer
    AcceptDispute(dispute=dispute, by=officer).execute()
    RecordMediation(dispute=dispute, by=officer, mediator="王调解员", result="双方同意赔偿").execute()
    return RecordAgreement(dispute=dispute, by=officer, agreement=terms).execute()


def test_it_numbers_a_dispute_jf_date_sequence(city):
    at = timezone.make_aware(datetime(2026, 12, 7, 10, 0))
    first = make_dispute(city, at=at)
    second = make_dispute(city, at=at)
    assert first.number == "JF202612070001"
    assert second.number == "JF202612070002"
    assert first.station == city.station_a1
    assert AuditEntry.objects.filter(action="dispute.create").count() == 2


def test_every_step_of_the_workflow_moves_it_and_is_audited(city):
    dispute = make_dispute(city)
    assert dispute.status == Status.FOUND
    dispute = agree(city, dispute)
    assert dispute.status == Status.AGREED and dispute.agreed_at is not None
    assert dispute.sessions.get().mediator == "王调解员"
    dispute = RecordFollowUp(dispute=dispute, by=city.station_officer, holds=True, result="已付清").execute()
    assert dispute.status == Status.FOLLOWED_UP and dispute.follow_up_holds is True
    dispute = CloseDispute(dispute=dispute, by=city.station_officer).execute()
    assert dispute.status == Status.CLOSED and dispute.closed_at is not None
    codes = list(AuditEntry.objects.filter(action__startswith="dispute.").values_list("action", flat=True))
    for code in ("dispute.create", "dispute.accept", "dispute.mediate", "dispute.agree", "dispute.follow_up"):
        assert code in codes
    assert "dispute.close" in codes


def test_a_transfer_names_the_receiving_body(city):
    dispute = make_dispute(city)
    AcceptDispute(dispute=dispute, by=city.station_officer).execute()
    dispute = TransferDispute(
        dispute=dispute, by=city.station_officer, transfer_body="justice", transfer_to="河西街道司法所"
    ).execute()
    assert dispute.status == Status.TRANSFERRED
    assert dispute.get_transfer_body_display() == "司法所" and dispute.transfer_to == "河西街道司法所"


def test_a_wrong_transition_says_what_is_allowed(city):
    dispute = make_dispute(city)
    with pytest.raises(ActionError) as error:
        RecordAgreement(dispute=dispute, by=city.station_officer, agreement="x").execute()
    assert "已排查" in error.value.message and "受理" in error.value.message
    assert error.value.code == "wrong_state"
    assert Dispute.objects.get(pk=dispute.pk).status == Status.FOUND
    with pytest.raises(ActionError):
        CloseDispute(dispute=dispute, by=city.station_officer).execute()


@given(status=st.sampled_from(Status.values), step=st.sampled_from(Step.values))
@settings(max_examples=40, deadline=None)
def test_the_transition_table_is_the_only_rule(status, step):
    sources, _target = TRANSITIONS[step]
    assert (step in steps_from(status)) == (status in sources)


def test_a_step_needs_its_fields(city):
    dispute = make_dispute(city)
    AcceptDispute(dispute=dispute, by=city.station_officer).execute()
    with pytest.raises(ActionError) as error:
        RecordMediation(dispute=dispute, by=city.station_officer, mediator="", result="x").execute()
    assert error.value.field == "mediator"
    with pytest.raises(ActionError) as error:
        TransferDispute(dispute=dispute, by=city.station_officer, transfer_body="nowhere", transfer_to="x").execute()
    assert error.value.field == "transfer_body"
    assert Dispute.objects.get(pk=dispute.pk).status == Status.ACCEPTED


def test_a_bad_id_number_of_a_party_is_refused_naming_the_party(city):
    with pytest.raises(ActionError) as error:
        CreateDispute(
            by=city.station_officer,
            data={"kind": "debt", "source": "walk_in", "address": "x", "description": "欠款"},
            parties=[{"name": "王五", "id_number": "131102198001011234"}],
        ).execute()
    assert error.value.field == "parties.0.id_number"
    assert not Dispute.objects.exists()


def test_a_referral_needs_its_number(city):
    with pytest.raises(ActionError) as error:
        make_dispute(city, source="referral")
    assert error.value.field == "referral_number"


def test_parties_are_stored_encrypted_and_shown_masked(city):
    from django.db import connection

    dispute = make_dispute(city)
    party = dispute.parties.first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, phone, id_number FROM disputes_disputeparty WHERE id = %s", [party.pk])
        raw = cursor.fetchone()
    assert "张三丰" not in raw[0] and "13812345678" not in raw[1] and "131102198001011233" not in raw[2]
    page = city.login(city.station_officer).get(reverse("disputes:detail", args=[dispute.pk])).content.decode()
    assert "张**" in page and "张三丰" not in page
    assert "13812345678" not in page and "131102198001011233" not in page
    body = city.api(city.station_officer).get(f"/api/v1/disputes/{dispute.pk}").json()
    assert body["parties"][0]["name"] == "张**"
    assert "13812345678" not in str(body) and "131102198001011233" not in str(body)


def test_the_reveal_is_audited_and_scoped(city):
    dispute = make_dispute(city)
    party = dispute.parties.first()
    value = RevealPersonalData(key="dispute_party.id_number", pk=party.pk, by=city.station_officer).execute()
    assert value == "131102198001011233"
    entry = AuditEntry.objects.filter(action="pii.reveal").latest("pk")
    assert entry.data["field"] == "dispute_party.id_number"
    with pytest.raises(NotVisible):
        RevealPersonalData(key="dispute_party.name", pk=party.pk, by=city.outsider).execute()


def pdf_text(content: bytes) -> str:
    # pypdf returns the CID font's two-byte codes with a NUL before each character.
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).replace("\x00", "")


def test_the_agreement_pdf_is_chinese_and_masked(city):
    dispute = agree(city, make_dispute(city))
    content = agreement_pdf(dispute)
    text = pdf_text(content)
    assert "人民调解协议书" in text and dispute.number in text
    assert "被申请人赔偿申请人维修费" in text  # the terms as written by the officer
    assert "申请人：张**" in text and "被申请人：李*" in text and "王调解员" in text
    assert "131102198001011233" not in text and "13812345678" not in text
    assert PdfReader(io.BytesIO(content)).trailer["/Root"].get("/Lang") == "zh-CN"


def test_the_download_is_masked_and_the_signing_copy_is_audited(city):
    dispute = agree(city, make_dispute(city))
    client = city.login(city.station_officer)
    response = client.get(reverse("disputes:agreement", args=[dispute.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "131102198001011233" not in pdf_text(response.content)
    assert client.get(reverse("disputes:agreement-full", args=[dispute.pk])).status_code == 405
    response = client.post(reverse("disputes:agreement-full", args=[dispute.pk]))
    assert response.status_code == 200
    assert "131102198001011233" in pdf_text(response.content)
    assert AuditEntry.objects.filter(action="dispute.print_full").count() == 1


def test_no_signing_copy_before_an_agreement(city):
    dispute = make_dispute(city)
    with pytest.raises(ActionError):
        PrintAgreementForSigning(dispute=dispute, by=city.station_officer).execute()


# --- 风险升级 --------------------------------------------------------------------------------------


def call(city, call_data, at, **extra):
    data = {**call_data, **extra}
    return ReceiveCall(by=city.dispatcher, data=data, force_new=True, at=at).execute()[0]


def test_a_place_that_keeps_calling_raises_the_risk(city, call_data, django_capture_on_commit_callbacks):
    now = timezone.now()
    dispute = make_dispute(city, address=call_data["address"], at=now - timedelta(days=20))
    assert dispute.risk == "low" and not dispute.flagged
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            call(city, call_data, now - timedelta(days=10 - n))
        dispute.refresh_from_db()
        if n < 2:
            assert not dispute.flagged
    assert dispute.flagged and dispute.risk == "medium"
    assert dispute.flag_reason == "30天内该地址报警3次"
    entry = AuditEntry.objects.filter(action="dispute.escalate").get()
    assert entry.data["incidents"] == 3 and entry.data["to"] == "medium"
    # A fourth call does not raise it again; the reason follows the count.
    with django_capture_on_commit_callbacks(execute=True):
        call(city, call_data, now)
    dispute.refresh_from_db()
    assert dispute.risk == "medium" and dispute.flag_reason == "30天内该地址报警4次"


def test_calls_far_away_or_long_ago_do_not_count(city, call_data):
    now = timezone.now()
    dispute = make_dispute(city, address=call_data["address"])
    for days in (40, 45, 50):
        call(city, call_data, now - timedelta(days=days))
    assert EscalateDisputes(now=now).execute() == []
    assert not Dispute.objects.get(pk=dispute.pk).flagged


def test_the_check_re_evaluates_every_open_dispute(city, call_data):
    from django.core.management import call_command

    now = timezone.now()
    for days in (1, 2, 3, 4):
        call(city, call_data, now - timedelta(days=days))
    dispute = make_dispute(city, address="别处", point=(A1_POINT[0] + 0.0003, A1_POINT[1]))  # ~33 m away
    assert dispute.flagged  # registered at a place already calling: flagged at once
    assert dispute.flag_reason == "30天内该地址报警4次"
    Dispute.objects.filter(pk=dispute.pk).update(flagged=False, risk="low")
    out = io.StringIO()
    call_command("escalate_disputes", stdout=out)
    assert dispute.number in out.getvalue()
    assert Dispute.objects.get(pk=dispute.pk).flagged


# --- 月报 ------------------------------------------------------------------------------------------


def test_the_monthly_figures_are_exact(city):
    dec = timezone.make_aware(datetime(2026, 12, 3, 9))
    a = agree(city, make_dispute(city, at=dec, found_at=dec, address="甲地"))
    RecordFollowUp(dispute=a, by=city.station_officer, holds=True, result="稳定").execute()
    b = make_dispute(city, at=dec, found_at=dec, address="甲地")  # repeat address
    AcceptDispute(dispute=b, by=city.station_officer).execute()
    TransferDispute(dispute=b, by=city.station_officer, transfer_body="court", transfer_to="桃城区人民法院").execute()
    make_dispute(city, at=dec, found_at=dec, address="乙地")
    make_dispute(city, at=dec, found_at=dec - timedelta(days=40), address="乙地")  # November: not found in Dec
    make_dispute(city, by=city.outsider, at=dec, found_at=dec, address="丙地", point=(37.551, 115.579))
    lines, total = monthly(Dispute.objects.visible_to(city.station_officer), 2026, 12)
    assert [(line.name, line.found, line.resolved, line.transferred) for line in lines] == [("河西派出所", 3, 1, 1)]
    assert total.found == 3 and total.resolved == 1 and total.rate == 33.3 and total.transferred == 1
    assert dict(total.repeat_list) == {"甲地": 2, "乙地": 2}
    _lines, bureau = monthly(Dispute.objects.visible_to(city.leader), 2026, 12)
    assert bureau.found == 4
    page = city.login(city.station_officer).get(reverse("disputes:report") + "?month=2026-12")
    assert page.status_code == 200 and "33.3%" in page.content.decode()
    drill = city.login(city.station_officer).get(reverse("disputes:list") + "?month=2026-12&figure=resolved")
    assert drill.context["total"] == 1 and drill.context["disputes"][0] == a


def test_a_bad_month_is_a_clear_message(city):
    response = city.login(city.station_officer).get(reverse("disputes:report") + "?month=2026-13")
    assert response.status_code == 400 and "月份" in response.content.decode()


# --- pages, API, scoping ---------------------------------------------------------------------------


def test_a_station_sees_its_own_and_the_outsider_gets_404(city):
    dispute = make_dispute(city)
    other = make_dispute(city, by=city.outsider, address="冀州镇", point=(37.551, 115.579))
    assert list(Dispute.objects.visible_to(city.station_officer)) == [dispute]
    outsider = city.login(city.outsider)
    assert outsider.get(reverse("disputes:detail", args=[dispute.pk])).status_code == 404
    assert outsider.post(reverse("disputes:step", args=[dispute.pk, "accept"])).status_code == 404
    assert outsider.get(reverse("disputes:agreement", args=[dispute.pk])).status_code == 404
    api = city.api(city.outsider)
    assert api.get(f"/api/v1/disputes/{dispute.pk}").status_code == 404
    assert [d["id"] for d in api.get("/api/v1/disputes").json()] == [other.pk]
    listing = outsider.get(reverse("disputes:list")).content.decode()
    assert dispute.number not in listing and other.number in listing


def test_the_workflow_through_the_pages(city):
    dispute = make_dispute(city)
    client = city.login(city.station_officer)
    url = lambda step: reverse("disputes:step", args=[dispute.pk, step])  # noqa: E731
    assert client.post(url("accept")).status_code == 302
    response = client.post(url("agree"), {"agreement": "x"})
    assert response.status_code == 400 and "不能达成协议" in response.content.decode()
    assert client.post(url("mediate"), {"mediator": "王调解员", "result": "初步同意"}).status_code == 302
    assert client.post(url("agree"), {"agreement": "赔偿 800 元"}).status_code == 302
    assert client.post(url("follow_up"), {"holds": "yes", "result": "已履行"}).status_code == 302
    assert client.post(url("close")).status_code == 302
    assert Dispute.objects.get(pk=dispute.pk).status == Status.CLOSED
    assert client.post(reverse("disputes:step", args=[dispute.pk, "nonsense"])).status_code == 404


def test_a_dispute_from_an_incident_is_prefilled_and_takes_the_caller(city, call_data):
    incident = call(city, {**call_data, "caller_name": "赵六"}, timezone.now())
    client = city.login(city.station_officer)
    page = client.get(reverse("disputes:create") + f"?incident={incident.pk}")
    text = page.content.decode()
    assert page.status_code == 200 and incident.number in text and "赵*" in text
    assert "赵六" not in text and call_data["caller_phone"] not in text
    response = client.post(
        reverse("disputes:create"),
        {
            "kind": "family",
            "risk": "low",
            "source": "incident",
            "incident": incident.pk,
            "address": incident.address,
            "description": "夫妻吵架",
            "source_person": "on",
        },
    )
    assert response.status_code == 302
    dispute = Dispute.objects.get()
    assert dispute.incident == incident and dispute.station == city.station_a1
    assert dispute.parties.get().name == "赵六"
    assert city.login(city.outsider).get(reverse("disputes:create") + f"?incident={incident.pk}").status_code == 404


def test_the_create_form_names_the_bad_field(city):
    response = city.login(city.station_officer).post(
        reverse("disputes:create"),
        {"kind": "debt", "risk": "low", "source": "walk_in", "description": "", "address": "x"},
    )
    assert response.status_code == 400 and "纠纷简况" in response.content.decode()
    assert not Dispute.objects.exists()


def test_the_api_creates_lists_and_moves_a_dispute(city):
    api = city.api(city.station_officer)
    response = api.post(
        "/api/v1/disputes",
        {
            "kind": "labour",
            "source": "referral",
            "referral_number": "12345-2026-0001",
            "address": "人民路工地",
            "description": "拖欠工资",
            "parties": [{"name": "钱七", "phone": "13700002222"}],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("JF") and body["parties"][0]["name"] == "钱*"
    assert body["next_steps"] == ["accept", "mediate", "transfer"][:1]
    moved = api.post(f"/api/v1/disputes/{body['id']}/steps/accept", {}, content_type="application/json")
    assert moved.status_code == 200 and moved.json()["status"] == "accepted"
    wrong = api.post(f"/api/v1/disputes/{body['id']}/steps/close", {}, content_type="application/json")
    assert wrong.status_code == 400 and "不能办结" in str(wrong.json())
    bad = api.post("/api/v1/disputes", {"kind": "x", "source": "walk_in"}, content_type="application/json")
    assert bad.status_code in (400, 422)
    assert [d["number"] for d in api.get("/api/v1/disputes").json()] == [body["number"]]


def test_the_api_is_in_the_openapi_schema(city):
    schema = city.login(city.leader).get("/api/openapi.json").json()
    assert "/api/v1/disputes" in schema["paths"] and "/api/v1/disputes/{dispute_id}" in schema["paths"]
    assert schema["paths"]["/api/v1/disputes"]["post"]["summary"]
    # Its schemas are its own: a shared name ("StepIn", "Status") would replace another app's in
    # the components, and that app's documented body would then be wrong.
    import json
    import re

    ours = {k: v for k, v in schema["paths"].items() if k.startswith("/api/v1/disputes")}
    names = set(re.findall(r"#/components/schemas/(\w+)", json.dumps(ours)))
    nested = set(
        re.findall(
            r"#/components/schemas/(\w+)",
            json.dumps([schema["components"]["schemas"][n] for n in names - {"ErrorOut"}]),
        )
    )
    assert all(n.startswith(("Dispute", "Mediation")) or n == "ErrorOut" for n in names | nested), names | nested


def test_the_register_and_its_api_cost_the_same_for_3_or_30_disputes(city, django_assert_max_num_queries):
    for n in range(30):
        make_dispute(city, address=f"人民路 {n} 号")
    client, api = city.login(city.station_officer), city.api(city.station_officer)
    client.get(reverse("disputes:list"))  # warm the session and the menu
    with django_assert_max_num_queries(15):
        assert client.get(reverse("disputes:list")).status_code == 200
    with django_assert_max_num_queries(8):
        assert len(api.get("/api/v1/disputes").json()) == 30
    with django_assert_max_num_queries(20):
        assert client.get(reverse("disputes:report")).status_code == 200


def test_the_monthly_report_exports_to_excel(city):
    from openpyxl import load_workbook

    dec = timezone.make_aware(datetime(2026, 12, 3, 9))
    agree(city, make_dispute(city, at=dec, found_at=dec, address="甲地"))
    make_dispute(city, at=dec, found_at=dec, address="甲地")
    response = city.login(city.station_officer).get(reverse("disputes:report") + "?month=2026-12&format=xlsx")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [tuple(c for c in row if c is not None) for row in sheet.iter_rows(values_only=True)]
    assert ("河西派出所", 2, 1, 50.0, 0, 1) in rows and ("合计", 2, 1, 50.0, 0, 1) in rows
    assert ("甲地", 2) in rows
    assert "张三丰" not in str(rows)
    bad = city.login(city.station_officer).get(reverse("disputes:report") + "?month=2026-12&format=pdf")
    assert bad.status_code == 400


def test_calls_of_other_classes_at_the_place_do_not_raise_the_risk(city, call_data, django_capture_on_commit_callbacks):
    """Traffic accidents and requests for help at the same place are the street's, not the dispute's."""
    now = timezone.now()
    dispute = make_dispute(city, address=call_data["address"], at=now - timedelta(days=20))
    for n, category in enumerate(["0302", "0301", "0302", "0601"]):
        with django_capture_on_commit_callbacks(execute=True):
            call(city, call_data, now - timedelta(days=10 - n), category=category)
    dispute.refresh_from_db()
    assert not dispute.flagged and dispute.risk == "low"  # one dispute call of four
    with django_capture_on_commit_callbacks(execute=True):
        call(city, call_data, now - timedelta(days=5), category="0601")
        call(city, call_data, now - timedelta(days=4), category="0601")
    dispute.refresh_from_db()
    assert dispute.flagged and dispute.flag_reason == "30天内该地址报警3次"


def test_a_failing_escalation_never_fails_the_call(city, call_data, django_capture_on_commit_callbacks, monkeypatch):
    from anmin.incidents.models import Incident

    def broken(self):
        raise RuntimeError("escalation down")

    monkeypatch.setattr(EscalateDisputes, "run", broken)
    with django_capture_on_commit_callbacks(execute=True):
        incident = call(city, call_data, timezone.now())
    assert Incident.objects.filter(pk=incident.pk).exists()


def test_a_dispute_is_placed_in_a_community_of_its_station(city):
    from anmin.communities.models import Community

    mine = Community.objects.create(
        name="河西小区", kind="compound", station=city.station_a1, lat=A1_POINT[0], lon=A1_POINT[1]
    )
    theirs = Community.objects.create(
        name="冀州小区", kind="compound", station=city.station_b1, lat=37.551, lon=115.579
    )
    client = city.login(city.station_officer)
    form = {
        "kind": "property",
        "risk": "low",
        "source": "walk_in",
        "address": "河西小区 2 号楼",
        "description": "物业费",
    }
    assert "河西小区" in client.get(reverse("disputes:create")).content.decode()
    response = client.post(reverse("disputes:create"), {**form, "community": theirs.pk})
    assert response.status_code == 400 and not Dispute.objects.exists()
    assert client.post(reverse("disputes:create"), {**form, "community": mine.pk}).status_code == 302
    assert Dispute.objects.get().community == mine
    assert city.api(city.station_officer).get("/api/v1/disputes").json()[0]["community"] == "河西小区"
    with pytest.raises(ActionError) as error:
        make_dispute(city, community=theirs)
    assert error.value.field == "community"

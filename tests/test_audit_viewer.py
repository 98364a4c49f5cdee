"""The audit viewer: the auditor reads the trail newest first, with names instead of codes and ids,
filters it, and exports what he filtered — the export being an audit entry of its own."""

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from anmin.audit.labels import ACTION_LABELS
from anmin.core.audit import security_event
from anmin.core.models import AuditEntry, verify_chain
from anmin.dispatch.actions import DispatchUnits
from anmin.org.models import Role
from tests.factories import OfficerFactory
from tests.test_dispatch import receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor(city):
    officer = OfficerFactory(username="auditor", full_name="审计员", organization=None, role=Role.AUDITOR)
    client = Client()
    client.force_login(officer)
    client.officer = officer
    return client


@pytest.fixture
def history(city, call_data):
    incident = receive(city, call_data)
    DispatchUnits(incident=incident, unit_ids=[city.patrol_car.pk], by=city.dispatcher).execute()
    security_event("auth.login_failed", actor_label="nobody", result="failed")
    security_event("account.role_changed", actor=city.leader, obj=city.patrol_officer, data={"to": "leader"})
    return incident


def page_text(client, query="") -> str:
    """The status panel and the table (not the filter form, whose lists name every action)."""
    response = client.get("/audit/" + query)
    assert response.status_code == 200
    text = response.content.decode()
    return text[: text.index('id="audit-filters"')] + text[text.index('id="audit-entries"') :]


def test_it_lists_newest_first_with_names_labels_and_readable_objects(auditor, city, history):
    text = page_text(auditor)
    assert text.index("变更角色") < text.index("登录失败") < text.index("派警") < text.index("接警")
    assert str(city.dispatcher) in text  # name and badge, not an id
    assert f"警情 {history.number}" in text
    assert f"民警 {city.patrol_officer.full_name}（{city.patrol_officer.badge_number}）" in text
    assert "incident.dispatch" not in text.replace('title="incident.dispatch"', "")
    assert "nobody" in text and "失败" in text
    for entry in AuditEntry.objects.filter(object_type="incidents.incident"):
        assert f">{entry.object_id}<" not in text
    assert 'id="chain-entries">4<' in text


def test_an_unknown_action_code_is_shown_as_the_code(auditor):
    security_event("something.new", actor_label="x")
    assert "something.new" in page_text(auditor)
    assert "something.new" not in ACTION_LABELS


def test_it_filters_by_person_action_object_and_time(auditor, city, history):
    by_person = page_text(auditor, f"?person={city.dispatcher.badge_number}")
    assert "派警" in by_person and "变更角色" not in by_person
    by_action = page_text(auditor, "?action=auth.login_failed")
    assert "登录失败" in by_action and "接警</td>" not in by_action
    by_object = page_text(auditor, "?object_type=org.officer")
    assert "变更角色" in by_object and "派警</td>" not in by_object
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert "接警</td>" not in page_text(auditor, f"?since={tomorrow}")
    today = timezone.localdate().isoformat()
    assert "接警</td>" in page_text(auditor, f"?since={today}&until={today}")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?since=2026-13-01", "起始日期"),
        ("?action=DROP%20TABLE", "操作"),
        ("?page=0", ""),
        ("?until=2020-01-01&since=2021-01-01", "截止日期"),
    ],
)
def test_a_bad_filter_is_a_400_naming_the_field(auditor, query, field):
    response = auditor.get("/audit/" + query)
    assert response.status_code == 400
    assert 'id="filter-error"' in response.content.decode()
    assert field in response.content.decode()


def test_it_pages_fifty_at_a_time(auditor):
    for n in range(55):
        security_event("auth.login", actor_label=f"u{n}")
    first = page_text(auditor)
    assert first.count('class="entry"') == 50 and 'id="next-page"' in first
    assert page_text(auditor, "?page=2").count('class="entry"') == 5


def test_the_export_holds_the_filtered_entries_and_is_audited(auditor, city, history):
    response = auditor.get("/audit/export.csv?object_type=incidents.incident")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["时间", "操作人", "操作", "对象", "结果", "来源地址"]
    assert [row[2] for row in rows[1:]] == ["派警", "接警"]
    assert all(row[3] == f"警情 {history.number}" for row in rows[1:])
    export = AuditEntry.objects.order_by("-id").first()
    assert export.action == "export" and export.actor_id == auditor.officer.pk
    assert export.data == {
        "report": "audit-trail",
        "format": "csv",
        "filters": {"object_type": "incidents.incident"},
        "rows": 2,
    }
    book = load_workbook(io.BytesIO(auditor.get("/audit/export.xlsx").content))
    sheet = book.active
    assert sheet.max_row == AuditEntry.objects.count()  # the header + every entry but this export's own
    assert verify_chain()[1] is None


def test_an_unknown_export_format_is_a_404(auditor):
    assert auditor.get("/audit/export.pdf").status_code == 404

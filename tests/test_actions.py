"""The Action base class owns the audit ceremony: every action says what its entry is called, or
why it writes none, and `execute()` writes what `run()` recorded — nothing when it is refused."""

import importlib
import pkgutil

import pytest

import anmin
from anmin.core.actions import Action
from anmin.core.errors import ActionError
from anmin.core.models import AuditEntry
from anmin.org.models import Organization

pytestmark = pytest.mark.django_db


def all_actions() -> list[type[Action]]:
    # Every app's actions module, found on disk rather than listed, so a new app cannot be missed.
    for info in pkgutil.iter_modules(anmin.__path__):
        if not info.ispkg:  # apps are packages; importing anmin.asgi here would start a server's checks
            continue
        try:
            importlib.import_module(f"anmin.{info.name}.actions")
        except ModuleNotFoundError as exc:
            if exc.name != f"anmin.{info.name}.actions":
                raise
    found, todo = [], [Action]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__.startswith("anmin.") and sub not in found:
                found.append(sub)
                todo.append(sub)
    # A shared base (file storage, the approval workflow) is never executed itself: its subclasses
    # say what their entries are called. So every leaf is checked, and a base only if it declares.
    return [
        cls
        for cls in found
        if cls.run is not Action.run
        and (not cls.__subclasses__() or "audit_action" in vars(cls) or "not_audited" in vars(cls))
    ]


def test_it_finds_the_actions_of_every_app():
    names = {f"{cls.__module__}.{cls.__name__}" for cls in all_actions()}
    assert "anmin.dispatch.actions.DispatchUnits" in names
    assert "anmin.bookings.actions.PublishResults" in names
    assert len(names) > 50


@pytest.mark.parametrize("cls", all_actions(), ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_every_action_declares_its_audit_entry_or_why_it_has_none(cls):
    declared = cls.audit_action
    reason = cls.not_audited
    assert bool(declared) != bool(reason), (
        f"{cls.__name__} must declare either audit_action (the code of its audit entry) "
        "or not_audited (a sentence saying why it writes none), not both"
    )
    if reason:
        assert isinstance(reason, str) and len(reason.split()) >= 3, "say why in a sentence"
    elif isinstance(declared, str):
        prefix, _, rest = declared.partition(".")
        assert prefix and rest, f"{cls.__name__}.audit_action should read app.verb, not {declared!r}"
    else:
        assert callable(declared)


class _Probe(Action):
    """A test action: records one entry per object, then fails if asked to."""

    audit_action = "test.probe"

    def __init__(self, *, by, objs, fail=False):
        self.by, self.objs, self.fail = by, objs, fail

    def run(self):
        for obj in self.objs:
            self.audit(obj, {"n": obj.pk})
        if self.fail:
            raise ActionError("refused late", field="x")
        return len(self.objs)


def test_it_writes_one_entry_per_recorded_object_after_run(city):
    objs = [city.station_a1, city.station_a2]
    assert _Probe(by=city.dispatcher, objs=objs).execute() == 2
    entries = list(AuditEntry.objects.filter(action="test.probe").order_by("id"))
    assert [e.object_id for e in entries] == [str(o.pk) for o in objs]
    assert [e.data for e in entries] == [{"n": o.pk} for o in objs]
    assert {e.actor_id for e in entries} == {city.dispatcher.pk}
    assert {e.object_type for e in entries} == {Organization._meta.label_lower}


def test_it_writes_nothing_when_run_fails_after_recording(city):
    objs = [city.station_a1]
    before = AuditEntry.objects.count()
    with pytest.raises(ActionError):
        _Probe(by=city.dispatcher, objs=objs, fail=True).execute()
    assert AuditEntry.objects.count() == before


def test_it_does_not_carry_entries_of_a_refused_attempt_into_a_retry(city):
    objs = [city.station_a1]
    probe = _Probe(by=city.dispatcher, objs=objs, fail=True)
    with pytest.raises(ActionError):
        probe.execute()
    probe.fail = False
    probe.execute()
    assert AuditEntry.objects.filter(action="test.probe").count() == 1


def test_it_refuses_to_record_for_an_action_without_a_code(city):
    class Silent(Action):
        not_audited = "a test action that should have declared a code"

        def __init__(self, by):
            self.by = by

        def run(self):
            self.audit(city.bureau)

    with pytest.raises(TypeError, match="declares no audit_action"):
        Silent(city.dispatcher).execute()


def test_an_online_report_writes_the_entry_of_the_intake_it_runs_inside_itself(city, citizen):
    """SubmitOnlineReport runs ReceiveCall's check and run inside its own transaction (a citizen is
    no call-taker); the call's incident.receive entry must still be written, before the report's."""
    from anmin.reports.actions import SubmitOnlineReport
    from tests.conftest import A1_POINT

    data = {
        "category": "0206",
        "description": "楼下烧烤店每晚十二点后仍很吵",
        "address": "桃城区人民路 100 号",
        "lat": A1_POINT[0],
        "lon": A1_POINT[1],
    }
    report = SubmitOnlineReport(citizen=citizen, data=data).execute()
    entries = list(AuditEntry.objects.order_by("id"))[-2:]
    assert [e.action for e in entries] == ["incident.receive", "reports.online.submit"]
    assert entries[0].object_id == str(report.incident.pk)
    assert entries[1].actor_label == citizen.audit_label

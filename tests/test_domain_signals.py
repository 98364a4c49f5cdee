"""Cross-app reactions go through domain signals: the action that closed a matter announces it inside
its transaction (dispatch: 已反馈; services: 办结, 不予受理), and feedback opens its 回访 on that. No
app reacts to saves of another app's models, so a save that is no such step opens no survey."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.apps import apps
from django.db.models import signals as model_signals
from django.utils import timezone

from anmin.citizens import sms
from anmin.core.errors import ActionError
from anmin.dispatch import signals as dispatch_signals
from anmin.dispatch.actions import AdvanceAssignment, DispatchUnits, SubmitFeedback
from anmin.dispatch.models import Assignment
from anmin.feedback.models import Survey
from anmin.geo.models import GridCell
from anmin.incidents.actions import ReceiveCall
from anmin.incidents.models import Category, Incident
from anmin.services import signals as services_signals
from anmin.services.actions import ProcessApplication
from anmin.services.models import Application, ApplicationStatus, ServiceItem
from tests.test_services import load_catalogue, submit

pytestmark = pytest.mark.django_db

#: Receivers that keep a derived copy of rows equal to the rows (a cache, the statistics rollups):
#: they must see every write to the model, whoever makes it, so they rightly listen to model saves.
MIRRORS = {"anmin.core.cache", "anmin.stats.rollups"}


@contextmanager
def listening(signal) -> Iterator[list[dict]]:
    heard: list[dict] = []

    def receiver(sender, **kwargs):
        heard.append({"sender": sender, **kwargs})

    signal.connect(receiver, weak=False, dispatch_uid="test-listening")
    try:
        yield heard
    finally:
        signal.disconnect(dispatch_uid="test-listening")


@contextmanager
def failing(signal) -> Iterator[None]:
    """A receiver connected after feedback's that refuses: the action must keep nothing, the survey
    feedback's receiver already opened included."""

    def refuse(sender, **kwargs):
        raise ActionError("拒绝", field="test")

    signal.connect(refuse, weak=False, dispatch_uid="test-failing")
    try:
        yield
    finally:
        signal.disconnect(dispatch_uid="test-failing")


def open_call(city, call_data) -> Incident:
    incident, _ = ReceiveCall(by=city.dispatcher, data=call_data, force_new=True).execute()
    return incident


@pytest.fixture
def item(city) -> ServiceItem:
    load_catalogue()
    item = ServiceItem.objects.get(code="ZA-WFZ-ZM")
    ServiceItem.objects.filter(pk=item.pk).update(department=city.station_a1)
    item.refresh_from_db()
    return item


def step(city, app: Application, *steps: str, **kwargs) -> Application:
    for name in steps:
        app = ProcessApplication(by=city.station_officer, application=app, step=name, **kwargs).execute()
    return app


# --- dispatch: 已反馈 ------------------------------------------------------------------------------


def test_only_the_last_units_feedback_announces_the_incident_reported(city, call_data):
    incident = open_call(city, call_data)
    with listening(dispatch_signals.incident_reported) as heard:
        DispatchUnits(
            incident=incident, unit_ids=[city.patrol_car.pk, city.station_car.pk], by=city.dispatcher
        ).execute()
        AdvanceAssignment(unit=city.patrol_car, step="arrive", by=city.patrol_officer).execute()
        SubmitFeedback(unit=city.patrol_car, result="handled", text="调解完毕", by=city.patrol_officer).execute()
        assert heard == []  # 河东01 is still on it
        last = SubmitFeedback(unit=city.station_car, result="other", text="无需到场", by=city.dispatcher).execute()
    assert len(heard) == 1
    (said,) = heard
    assert said["sender"] is Incident and said["incident"].pk == incident.pk
    assert said["incident"].status == Incident.Status.REPORTED  # sent after the status was saved
    assert said["assignment"].pk == last.pk and said["by"] == city.dispatcher
    assert Survey.objects.filter(object_id=incident.pk).count() == 1


def test_a_refused_feedback_announces_nothing_and_opens_no_survey(city, call_data):
    incident = open_call(city, call_data)
    DispatchUnits(incident=incident, unit_ids=[city.patrol_car.pk], by=city.dispatcher).execute()
    with listening(dispatch_signals.incident_reported) as heard, pytest.raises(ActionError):
        # Not on scene yet: 已处置 is refused.
        SubmitFeedback(unit=city.patrol_car, result="handled", text="调解完毕", by=city.patrol_officer).execute()
    assert heard == [] and not Survey.objects.exists()


def test_a_feedback_rolled_back_by_a_receiver_opens_no_survey_and_sends_no_sms(
    city, call_data, django_capture_on_commit_callbacks
):
    incident = open_call(city, call_data)
    DispatchUnits(incident=incident, unit_ids=[city.patrol_car.pk], by=city.dispatcher).execute()
    AdvanceAssignment(unit=city.patrol_car, step="arrive", by=city.patrol_officer).execute()
    sms.LogBackend.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), failing(dispatch_signals.incident_reported):
        with pytest.raises(ActionError):
            SubmitFeedback(unit=city.patrol_car, result="handled", text="调解完毕", by=city.patrol_officer).execute()
    incident.refresh_from_db()
    assert incident.status == Incident.Status.ARRIVED
    assert Assignment.objects.active().filter(incident=incident).count() == 1
    assert not Survey.objects.exists()
    assert sms.last_message(call_data["caller_phone"]) is None


# --- services: 办结, 不予受理 ----------------------------------------------------------------------


def test_completing_or_refusing_an_application_announces_it_once(city, citizen, item):
    first, second = submit(citizen, item), submit(citizen, item)
    with listening(services_signals.application_finished) as heard:
        step(city, first, "accept", "review")
        assert heard == []
        step(city, first, "complete")
        step(city, second, "reject", reason="不属于本单位受理范围")
    assert [(h["sender"], h["application"].pk, h["step"], h["by"]) for h in heard] == [
        (Application, first.pk, "complete", city.station_officer),
        (Application, second.pk, "reject", city.station_officer),
    ]
    assert [h["application"].status for h in heard] == [ApplicationStatus.COMPLETED, ApplicationStatus.REJECTED]
    assert set(Survey.objects.values_list("object_id", flat=True)) == {first.pk, second.pk}


def test_a_return_for_supplements_announces_nothing(city, citizen, item):
    app = submit(citizen, item)
    with listening(services_signals.application_finished) as heard:
        step(city, app, "return", missing=["户口簿"])
    assert heard == [] and not Survey.objects.exists()


def test_a_completion_rolled_back_by_a_receiver_opens_no_survey(city, citizen, item):
    app = step(city, submit(citizen, item), "accept", "review")
    with failing(services_signals.application_finished), pytest.raises(ActionError):
        step(city, app, "complete")
    app.refresh_from_db()
    assert app.status == ApplicationStatus.REVIEWING and app.completed_at is None
    assert not Survey.objects.exists()


# --- saves that are no 反馈 or 办结 ----------------------------------------------------------------


def history(city, **fields) -> Incident:
    """A reported incident with a mobile caller, written as the demo city writes its history."""
    cell = GridCell.objects.filter(jurisdiction=city.station_a1).order_by("h3").first()
    when = timezone.now() - timedelta(days=3)
    (incident,) = Incident.objects.bulk_create(
        [
            Incident(
                number=f"H{when:%Y%m%d}{Incident.objects.count():06d}",
                received_at=when,
                category=Category.objects.get(code="0110"),
                address="测试地址",
                lat=cell.lat,
                lon=cell.lon,
                grid_cell=cell,
                station=city.station_a1,
                area_type=cell.area_type,
                target_minutes=5,
                arrival_due_at=when + timedelta(minutes=5),
                caller_phone="13812345678",
                status=Incident.Status.REPORTED,
                closed_at=when + timedelta(hours=1),
                **fields,
            )
        ]
    )
    return incident


def test_history_written_in_bulk_opens_no_survey_even_when_saved_later(city):
    incident = history(city)
    # A data fix or a shell session saving the row used to open a survey and text the caller.
    incident.description = "补录"
    incident.save()
    incident.save(update_fields=["status"])
    assert not Survey.objects.exists()


def test_an_application_saved_outside_an_action_opens_no_survey(city, citizen, item):
    app = submit(citizen, item)
    app.status = ApplicationStatus.COMPLETED
    app.completed_at = timezone.now()
    app.save()
    assert not Survey.objects.exists()


def test_an_imported_incident_announced_by_mistake_still_opens_no_survey(city):
    incident = history(city, imported=True)
    dispatch_signals.incident_reported.send(sender=Incident, incident=incident, assignment=None, by=None)
    assert not Survey.objects.exists()


def test_no_app_reacts_to_saves_of_another_apps_models():
    """Apps listen to each other's domain signals, not to each other's tables; only receivers that
    mirror rows (MIRRORS) watch every write."""
    crossing = []
    for signal in (
        model_signals.pre_save,
        model_signals.post_save,
        model_signals.pre_delete,
        model_signals.post_delete,
        model_signals.m2m_changed,
    ):
        for model in apps.get_models(include_auto_created=True):
            sync, asynchronous = signal._live_receivers(model)
            for receiver in [*sync, *asynchronous]:
                module = getattr(receiver, "__module__", "") or ""
                if not module.startswith("anmin.") or module in MIRRORS:
                    continue
                if module.split(".")[1] != model._meta.app_label:
                    crossing.append(f"{module}.{receiver.__qualname__} ← {model._meta.label}")
    assert crossing == []


def test_feedback_listens_to_the_closing_signals():
    assert dispatch_signals.incident_reported.has_listeners(Incident)
    assert services_signals.application_finished.has_listeners(Application)

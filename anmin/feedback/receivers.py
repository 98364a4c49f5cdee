"""Where surveys start: a 110 incident that becomes 已反馈, an application that is 办结 or 不予受理.

Incidents become 已反馈 in dispatch.actions.refresh_incident_status (the last unit's feedback);
a post_save receiver keeps dispatch unaware of feedback (apps depend downward only). It runs in
the dispatching action's transaction, so a refused feedback opens no survey. Bulk writes (the demo,
the importer) send no signal and open none: their incidents were handled long ago.
"""

from django.db.models.signals import post_save


def incident_saved(sender, instance, created=False, update_fields=None, raw=False, **kwargs):
    from anmin.feedback.actions import open_survey_for_incident
    from anmin.incidents.models import Incident

    if raw or instance.status != Incident.Status.REPORTED:
        return
    if update_fields is not None and "status" not in update_fields:
        return
    open_survey_for_incident(instance)


def application_saved(sender, instance, created=False, update_fields=None, raw=False, **kwargs):
    """services.actions.ProcessApplication saves the final status inside its action (with
    update_fields); the survey opens in the same transaction, the SMS after the commit."""
    from anmin.feedback.actions import open_survey_for_application
    from anmin.services.models import FINAL_STATUSES

    if raw or instance.status not in FINAL_STATUSES:
        return
    if update_fields is not None and "status" not in update_fields:
        return
    open_survey_for_application(instance)


def connect() -> None:
    from django.apps import apps

    from anmin.incidents.models import Incident

    post_save.connect(incident_saved, sender=Incident, dispatch_uid="feedback-incident-reported")
    if apps.is_installed("anmin.services"):
        from anmin.services.models import Application

        post_save.connect(application_saved, sender=Application, dispatch_uid="feedback-application-finished")

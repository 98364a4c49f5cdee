"""The incident's side of the loop: a 110 incident that becomes 已反馈 opens its survey.

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


def connect() -> None:
    from anmin.incidents.models import Incident

    post_save.connect(incident_saved, sender=Incident, dispatch_uid="feedback-incident-reported")

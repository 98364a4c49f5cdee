"""The register listens to new 110 incidents: a place that keeps calling raises its disputes' risk.

Connected to `incidents.signals.incident_received`, which incidents send after the call is
committed; the escalation is its own transaction and its own audit entries."""

from django.dispatch import receiver

from anmin.incidents.signals import incident_received


@receiver(incident_received, dispatch_uid="disputes.escalate_on_incident")
def escalate_on_incident(sender, incident, by=None, **kwargs) -> None:
    from anmin.disputes.actions import EscalateDisputes
    from anmin.disputes.models import EscalationRule

    # On the intake's path: a call of a class the rule does not count (a traffic accident, a fire)
    # cannot escalate anything, so it takes no write transaction.
    if incident.category.klass not in EscalationRule.current().classes:
        return
    EscalateDisputes(near=(incident.lat, incident.lon), address=incident.address, now=incident.received_at).execute()

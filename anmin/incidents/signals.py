"""Domain signals of incidents, sent after the recording transaction commits.

Apps above `incidents` (the 枫桥 dispute register's repeat-call escalation) react to a new 110
incident here instead of watching the Incident table with post_save, which would answer to bulk
imports and data fixes as if a call had come in. Sent robustly after commit: a listener that fails
can neither undo nor fail the recorded call; the failure is logged."""

import logging

from django.dispatch import Signal

log = logging.getLogger(__name__)

#: sender=Incident; kwargs: incident, by. A new incident was recorded by 接警 (not a merged repeat
#: call, not an import).
incident_received = Signal()


def announce_received(incident, by) -> None:
    """Send `incident_received`, logging (not raising) what any receiver raised."""
    for receiver, result in incident_received.send_robust(sender=type(incident), incident=incident, by=by):
        if isinstance(result, Exception):
            log.error("incident_received: %s failed for incident %s", receiver, incident.pk, exc_info=result)

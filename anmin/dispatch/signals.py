"""Domain signals of dispatch, sent inside the action's transaction.

Dispatch closes incidents (the last unit's 反馈 makes one 已反馈), so dispatch announces it, and apps
above (feedback's 回访) listen. They used to watch the Incident table with post_save instead, which
answered to any save of an incident standing at 已反馈 — a data fix or a shell session would have
texted a caller a survey link — and left the rule of what closes an incident to be guessed from
columns. A receiver that raises fails the action: nothing of it is kept.

Writing history in bulk (`anmin import`, the demo city) is no 反馈 and announces nothing."""

from django.dispatch import Signal

#: sender=Incident; kwargs: incident, assignment (the 反馈 that closed it), by. The incident became
#: 已反馈: no unit is left on it. Sent again when a reopened incident is reported back again.
incident_reported = Signal()

#: sender=Unit; kwargs: unit, lat, lon, at. A unit's phone reported a position (sent after the
#: report commits). The unit row keeps only the last one; apps that need the history keep it.
position_reported = Signal()

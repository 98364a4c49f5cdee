"""Domain signals of the case system, sent inside the action's transaction.

Apps above `cases` (supervision's clocks, statistics) listen to these instead of being imported
by the actions: apps depend downward only, so `cases` never imports the apps that react to it."""

from django.dispatch import Signal

#: sender=Case; kwargs: case, by. A case was registered (受案).
case_opened = Signal()
#: sender=Case; kwargs: case, code (the transition, e.g. "file"), previous (status), by.
case_transitioned = Signal()
#: sender=Measure; kwargs: measure, change ("requested", "started", "ended", "rejected"), by.
measure_changed = Signal()
#: sender=ApprovalRequest; kwargs: approval, approved (bool), by. A request that another app owns
#: (transition "extend:<id>", 延长办案期限) was decided; a receiver that raises ActionError refuses it.
approval_decided = Signal()

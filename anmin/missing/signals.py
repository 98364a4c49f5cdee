"""What happens to a missing-person case, announced after commit so the broadcast can follow.

The case workflow (actions.py) sends these; the broadcast (broadcast.py) listens. Neither imports
the other's internals: the case knows nothing of groups, the broadcast nothing of forms.
"""

from django.dispatch import Signal

#: A case was opened (any source). kwargs: case. The first ring must go out within a minute.
case_opened = Signal()
#: A case was marked found. kwargs: case. The broadcast stops and thanks every group it alerted.
case_found = Signal()

"""Domain signals of 政务服务, sent inside the action's transaction.

Apps above services (feedback's 回访) listen to these instead of being imported by the actions or
watching the Application table with post_save: dependencies point down, and only a real 办理 step
announces anything. A receiver that raises fails the step: nothing it did is kept."""

from django.dispatch import Signal

#: sender=Application; kwargs: application, step ("complete" 办结 or "reject" 不予受理), by. The
#: application reached a final status; it is sent once per application, as no step leaves one.
application_finished = Signal()

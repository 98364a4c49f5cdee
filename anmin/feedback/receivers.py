"""Where surveys start: a 110 incident reported back (已反馈), an application 办结 or 不予受理.

Dispatch and services announce those through their domain signals (dispatch.signals,
services.signals) and know nothing of feedback (apps depend downward only). The receivers run
inside the announcing action's transaction, so a refused or rolled-back 反馈 or 办结 opens no
survey, and the survey's SMS leaves only after the commit.

History written in bulk — `anmin import`, the demo city's incidents and archive — sends no signal and
opens no survey, on purpose: those matters were handled long ago, and texting their callers a link
to rate them now would be wrong. open_survey_for_incident refuses an `imported` incident as well,
should one ever reach it.
"""

from anmin.dispatch import signals as dispatch_signals
from anmin.feedback.actions import open_survey_for_application, open_survey_for_incident
from anmin.services import signals as services_signals


def on_incident_reported(sender, *, incident, **kwargs) -> None:
    open_survey_for_incident(incident)


def on_application_finished(sender, *, application, **kwargs) -> None:
    open_survey_for_application(application)


def connect() -> None:
    # Connected even without services installed: a signal nobody sends costs nothing.
    dispatch_signals.incident_reported.connect(on_incident_reported, dispatch_uid="feedback-incident-reported")
    services_signals.application_finished.connect(on_application_finished, dispatch_uid="feedback-application-finished")

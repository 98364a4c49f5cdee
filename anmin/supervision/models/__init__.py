"""Models of the supervision app: the rules as data (`rules`), running clocks (`clocks`), the
受案立案审查 inspection (`inspection`)."""

from anmin.supervision.models.clocks import (
    RUNNING_STATES,
    SEVERITY,
    Clock,
    ClockExtension,
    ClockNotice,
    ClockState,
    StopReason,
)
from anmin.supervision.models.inspection import InspectionDismissal, InspectionKind
from anmin.supervision.models.rules import (
    CalendarDay,
    DayKind,
    Event,
    ExtensionMode,
    RuleCaseKind,
    TimeLimitExtension,
    TimeLimitRule,
    TimeUnit,
)

__all__ = [
    "RUNNING_STATES",
    "SEVERITY",
    "CalendarDay",
    "Clock",
    "ClockExtension",
    "ClockNotice",
    "ClockState",
    "DayKind",
    "Event",
    "ExtensionMode",
    "InspectionDismissal",
    "InspectionKind",
    "RuleCaseKind",
    "StopReason",
    "TimeLimitExtension",
    "TimeLimitRule",
    "TimeUnit",
]

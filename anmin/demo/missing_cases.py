"""The demo city's missing-person cases (filled in as the feature lands)."""

from datetime import datetime


def build(now: datetime) -> str:
    """Builds this part of the demo into the new demo city; returns one line for the log ("" for none)."""
    return ""

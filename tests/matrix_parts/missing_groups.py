"""The permission matrix's entries for the missing-person broadcast (groups, the clue link)."""

from tests.matrix import API, API_OBJECT, OBJECT, STAFF, r  # noqa: F401 - the kinds entries use

HTML: dict = {}
API_ROUTES: dict = {}


def world(city, citizen, w: dict) -> dict:
    """Objects of station A1 (made through the actions) that this part's entries name."""
    return {}

"""走失/被拐: missing-person cases, group broadcast, PFIF — the JSON API."""

from ninja import Router

router = Router(tags=["missing"])

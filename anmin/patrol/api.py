"""警情研判: hotspots, patrol plans and their coverage — the JSON API."""

from ninja import Router

router = Router(tags=["patrol"])

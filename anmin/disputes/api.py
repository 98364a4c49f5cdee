"""枫桥: 矛盾纠纷 and 访民 — the JSON API."""

from ninja import Router

router = Router(tags=["disputes"])

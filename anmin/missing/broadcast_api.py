"""The broadcast's JSON API: work groups (/groups)."""

from ninja import Router

router = Router(tags=["missing"])

"""警务站 and 检查站: rosters, checks, 达标 — the JSON API."""

from ninja import Router

router = Router(tags=["posts"])

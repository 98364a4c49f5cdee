"""智慧平安社区: communities, their figures and the leads from community systems — the JSON API."""

from ninja import Router

router = Router(tags=["communities"])

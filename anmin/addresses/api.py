"""API for the standard address library: what a spoken address may mean (地址匹配)."""

from ninja import Field, Query, Router, Schema
from pydantic import field_validator

from anmin.addresses.match import DEFAULT_LIMIT, MAX_QUERY, match
from anmin.addresses.models import Level

router = Router(tags=["addresses"])


class AddressMatchQuery(Schema):
    q: str = Field(..., min_length=1, max_length=MAX_QUERY, description="报警人所说的地址，如 衡水学院东门、人民路88号")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=DEFAULT_LIMIT, description="最多返回的候选数")

    @field_validator("q")
    @classmethod
    def not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("不能为空")
        return value


class AddressCandidateOut(Schema):
    code: str = Field(..., description="地址编码（区划为统计用区划代码）")
    name: str
    full_name: str = Field(..., description="完整地址，含查询中的门牌号、方位（detail）")
    level: Level
    level_label: str
    category: str = Field(..., description="兴趣点类别，其他层级为空")
    score: int = Field(..., ge=0, le=100, description="匹配度 0–100")
    lat: float | None = Field(None, description="纬度 (WGS-84)")
    lon: float | None = Field(None, description="经度 (WGS-84)")
    approximate: bool = Field(..., description="位置为在所属区划内推算的近似点，不是实测点位")
    detail: str = Field(..., description="查询中地址库之外的部分：门牌号、东门、附近…")


class AddressMatchOut(Schema):
    candidates: list[AddressCandidateOut]


@router.get(
    "/addresses/match",
    response=AddressMatchOut,
    summary="标准地址：匹配报警人所说的地址（缺级、简称、错字、同音字、语序、地标、门牌号）",
)
def match_address(request, query: Query[AddressMatchQuery]):
    """Up to `limit` candidates, best first; an empty list when nothing matches well enough."""
    return {
        "candidates": [
            {
                "code": c.code,
                "name": c.name,
                "full_name": c.full_name,
                "level": c.level,
                "level_label": str(Level(c.level).label),
                "category": c.category,
                "score": c.score,
                "lat": c.lat,
                "lon": c.lon,
                "approximate": c.approximate,
                "detail": c.detail,
            }
            for c in match(query.q, query.limit)
        ]
    }

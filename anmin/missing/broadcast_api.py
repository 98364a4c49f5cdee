"""The broadcast's JSON API: the bureau's work groups (/groups) that missing-person alerts reach.

A group's webhook URL (the 企业微信 key is in it), signing secret and phones are credentials and
personal data: they go in, but come back only masked (`webhook` shows the host, `has_secret` whether
one is set, `phones` each number masked).
"""

import urllib.parse
from typing import Annotated, Literal

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from anmin.core.masking import mask_phone
from anmin.core.schema import Id
from anmin.missing.broadcast_actions import SaveGroup
from anmin.missing.broadcast_models import Group

router = Router(tags=["missing"])


class GroupIn(Schema):
    name: str = Field(..., max_length=200, description="群名称，如 河西派出所东明村工作群")
    kind: Literal["wecom", "dingtalk", "feishu", "sms"] = Field(
        ..., description="wecom 企业微信群机器人 / dingtalk 钉钉群机器人 / feishu 飞书群机器人 / sms 短信列表"
    )
    webhook_url: str | None = Field(None, max_length=1000, description="群机器人的 Webhook 地址（http/https）")
    secret: str | None = Field(None, max_length=500, description="加签密钥（钉钉、飞书必填）")
    # Bounded like every input (a list without maxItems, an int without maximum): an SMS list is a
    # village's cadres, not a phone book.
    phones: (
        Annotated[list[Annotated[str, Field(max_length=20)]], Field(max_length=200)]
        | Annotated[str, Field(max_length=4000)]
        | None
    ) = Field(None, description="短信列表的手机号码（数组，或以逗号/换行分隔的一个字符串）")
    org: Annotated[str, Field(max_length=40)] | Id | None = Field(
        None, description="所属单位（机构代码或编号）；默认本人所在单位"
    )
    lat: float | None = Field(None, description="群覆盖范围的中心点纬度（WGS-84）；给出点位即以点位和半径定范围")
    lon: float | None = Field(None, description="经度（WGS-84）")
    radius_km: float | None = Field(None, description="以点位为中心的覆盖半径（公里）")
    community: Id | None = Field(None, description="覆盖的社区/村（编号）")
    township: str | None = Field(None, max_length=40, description="覆盖的乡镇/街道（统计用区划代码）")
    active: bool | None = Field(None, description="是否启用；默认启用")


class GroupPatch(GroupIn):
    name: str | None = Field(None, max_length=200)
    kind: Literal["wecom", "dingtalk", "feishu", "sms"] | None = None


class GroupOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    webhook: str = Field(..., description="Webhook 地址（脱敏：只显示主机）")
    has_secret: bool
    phones: list[str] = Field(..., description="短信列表的手机号码（脱敏）")
    org: str = Field(..., description="所属单位名称")
    org_code: str
    area: str
    area_label: str
    community: str | None
    township: str | None
    lat: float | None
    lon: float | None
    radius_km: float | None
    active: bool


def masked_url(url: str) -> str:
    """https://oapi.dingtalk.com/robot/send?access_token=… → https://oapi.dingtalk.com/…"""
    if not url:
        return ""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…"


def group_out(group: Group) -> dict:
    return {
        "id": group.pk,
        "name": group.name,
        "kind": group.kind,
        "kind_label": str(group.get_kind_display()),
        "webhook": masked_url(group.webhook_url),
        "has_secret": bool(group.secret),
        "phones": [mask_phone(p) for p in group.phones.split() if p],
        "org": group.org.name,
        "org_code": group.org.code,
        "area": group.area,
        "area_label": str(group.get_area_display()),
        "community": group.community.name if group.community_id else None,
        "township": group.township.name if group.township_id else None,
        "lat": group.lat,
        "lon": group.lon,
        "radius_km": group.radius_km,
        "active": group.active,
    }


def _groups(request):
    return Group.objects.visible_to(request.user).select_related("org", "community", "township")


@router.get("/groups", response=list[GroupOut], summary="工作群：本单位范围内的寻人协查工作群")
def list_groups(request):
    return [group_out(g) for g in _groups(request)]


@router.post("/groups", response={201: GroupOut}, summary="工作群：登记（企业微信/钉钉/飞书群机器人或短信列表）")
def create_group(request, payload: GroupIn):
    group = SaveGroup(by=request.user, data=payload.dict()).execute()
    return Status(201, group_out(_groups(request).get(pk=group.pk)))


@router.get("/groups/{group_id}", response=GroupOut, summary="工作群：详情（密钥与号码脱敏）")
def get_group(request, group_id: Id):
    return group_out(get_object_or_404(_groups(request), pk=group_id))


@router.patch("/groups/{group_id}", response=GroupOut, summary="工作群：修改（只改给出的字段；密钥留空则不变）")
def update_group(request, group_id: Id, payload: GroupPatch):
    group = get_object_or_404(_groups(request), pk=group_id)
    SaveGroup(by=request.user, data=payload.dict(exclude_unset=True), group=group).execute()
    return group_out(_groups(request).get(pk=group.pk))

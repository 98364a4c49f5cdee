"""警情研判: hotspots, patrol plans and their coverage — the JSON API."""

import datetime as dt

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from anmin.core.errors import ActionError
from anmin.core.schema import Id
from anmin.org.models import Organization
from anmin.patrol import hotspots, queries
from anmin.patrol.models import PatrolPlan, Shift

router = Router(tags=["patrol"])


class BandOut(Schema):
    key: str
    label: str


class HotspotCellOut(Schema):
    h3: str = Field(..., description="网格的 H3 编号（标识符，不作为显示文字）")
    name: str = Field(..., description="网格名称，如 河西所第17网格")
    station: str
    score: float = Field(..., description="近期加权的可防性警情数（刑事、治安），含相邻网格的少量平滑")
    level: int = Field(..., description="热度等级 0–4（相对本次最热网格）")
    lat: float
    lon: float
    boundary: list[list[float]] = Field(..., description="网格边界 [[纬度, 经度], …]")


class HotspotsOut(Schema):
    band: str
    band_label: str
    bands: list[BandOut]
    cells: list[HotspotCellOut]


class HotspotQuery(Schema):
    band: str = Field("", description="时段，如 weekday-20-00（工作日 20–24 时）；留空为当前时段，all 为全天")
    station: Id | None = Field(None, description="只看该单位（派出所、分局）辖区")


def visible_org(request, org_id: int) -> Organization:
    return get_object_or_404(Organization.objects.visible_to(request.user), pk=org_id)


def parse_band(key: str) -> hotspots.Band | None:
    if not key:
        return hotspots.band_of(timezone.now())
    if key == "all":
        return None
    if key not in hotspots.BAND_KEYS:
        raise ActionError(_("时段无效"), field="band")
    return hotspots.BAND_KEYS[key]


@router.get("/hotspots", response=HotspotsOut, summary="警情热点（按网格和时段）")
def list_hotspots(request, query: Query[HotspotQuery]):
    """Cells of the user's area with their hotspot score for a time band, hottest first."""
    band = parse_band(query.band)
    station = visible_org(request, query.station) if query.station else None
    return {
        "band": band.key if band else "all",
        "band_label": str(band.label) if band else str(_("全天")),
        "bands": [{"key": b.key, "label": str(b.label)} for b in hotspots.BANDS],
        "cells": queries.hotspot_cells(request.user, band, station),
    }


class PlanPointOut(Schema):
    name: str
    lat: float
    lon: float
    score: float
    present_s: int = Field(..., description="班次内在该点 150 米内的时间（秒）")
    visited: bool


class CoverageOut(Schema):
    points: int
    visited: int
    share: float | None = Field(None, description="已到点位占比")
    distance_m: int = Field(..., description="巡逻里程（米），剔除异常跳点")
    gaps: int = Field(..., description="定位间隔过长未计入的段数")


class PlanOut(Schema):
    id: int
    unit: str
    station: str
    shift: str
    shift_label: str
    shift_start: str
    shift_end: str
    points: list[PlanPointOut]
    line: list[list[float]]
    params: dict
    coverage: CoverageOut


def plan_out(row: queries.PlanCoverage) -> dict:
    plan, result = row.plan, row.result
    return {
        "id": plan.pk,
        "unit": plan.unit.callsign,
        "station": plan.station.name,
        "shift": plan.shift,
        "shift_label": str(plan.get_shift_display()),
        "shift_start": plan.shift_start.isoformat(),
        "shift_end": plan.shift_end.isoformat(),
        "points": row.points,
        "line": plan.line,
        "params": plan.params,
        "coverage": {
            "points": len(result.present_s),
            "visited": result.visited,
            "share": result.share,
            "distance_m": round(result.distance_m),
            "gaps": result.gaps,
        },
    }


class PlanQuery(Schema):
    station: Id = Field(..., description="派出所")
    date: dt.date | None = Field(None, description="日期（班次开始的那天），默认今天")
    shift: Shift = Shift.DAY


class StationCoverageOut(Schema):
    plans: int
    points: int
    visited: int
    share: float | None
    distance_m: int
    present_s: int


class ShiftPlansOut(Schema):
    station: str
    shift_label: str
    totals: StationCoverageOut
    plans: list[PlanOut]


@router.get("/patrol/plans", response=ShiftPlansOut, summary="巡逻方案及覆盖情况（按派出所和班次）")
def list_plans(request, query: Query[PlanQuery]):
    """A station's plans for a shift, each with its coverage from the units' position fixes."""
    station = visible_org(request, query.station)
    rows = queries.plans_coverage(
        queries.station_plans(station, query.date or timezone.localdate(), query.shift).select_related("station")
    )
    return {
        "station": station.name,
        "shift_label": str(Shift(query.shift).label),
        "totals": queries.totals(rows),
        "plans": [plan_out(r) for r in rows],
    }


@router.get("/patrol/plans/{plan_id}", response=PlanOut, summary="一个巡逻方案及其覆盖情况")
def get_plan(request, plan_id: Id):
    plan = get_object_or_404(PatrolPlan.objects.visible_to(request.user).select_related("unit", "station"), pk=plan_id)
    return plan_out(queries.plans_coverage([plan])[0])

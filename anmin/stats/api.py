"""The statistics API: `GET /api/v1/stats/report` (a report's rows) and `GET /api/v1/stats/records`
(the records behind one of its figures). Same conventions as the other endpoints: scoped to the
caller, errors name the field.

The parameters are declared (so the OpenAPI document lists them and a client can be generated) and
then read through `forms.ReportForm`, the form behind the statistics pages: a value the builder
refuses is refused here the same way, with the same message."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from anmin.core.schema import Offset
from anmin.stats import report
from anmin.stats.forms import RecordsForm, ReportForm, read

router = Router(tags=["stats"])

QUERY_DOC = (
    "metric=incidents|serious_violence|arrived|on_time_rate|arrival_minutes|cases_accepted|cases_filed|"
    "cases_solved|clearance_rate|zero_incident_rate|satisfaction_rate|surveys_answered|surveys_dissatisfied; "
    "period=2021|2021-Q1|2021-03|2021-W09|2021-03-01|"
    "2021-03-01..2021-03-15; compare=yoy|pop; group_by=class|category|org|branch|station|grid|officer|service_item; "
    "filters: class, category (code), group (serious_violence|property|telecom_fraud|two_robberies_one_theft), "
    "org (code or id), grid (the cell's name, e.g. 河西所第17网格, or its H3 index); "
    "rank=true orders the rows and numbers them"
)


class ReportParams(Schema):
    metric: str = Field("incidents", description="指标代码")
    period: str = Field(..., description="统计期间（1000–9998 年），写法见上")
    compare: str = Field("", description="yoy（同比）或 pop（环比）；空为不对比")
    group_by: str = Field("", description="分组")
    klass: str = Field("", alias="class", description="警情类别")
    category: str = Field("", description="警情细类代码")
    group: str = Field("", description="类别组")
    org: str = Field("", description="单位（代码或编号）")
    grid: str = Field("", description="网格：名称（如 河西所第17网格），或 H3 编号（兼容旧客户端）")
    rank: bool = Field(False, description="按数值排序并编排名次")

    def form_data(self) -> dict:
        data = self.model_dump(by_alias=True)
        data["rank"] = "1" if self.rank else ""
        return data


class RecordsParams(ReportParams):
    key: str = Field("total", description="报表行的 key，或 total")
    baseline: bool = Field(False, description="true 为基期数字的记录")
    part: str = Field("value", description="比率指标：numerator 或 denominator")
    offset: Offset = 0
    limit: int = Field(100, ge=1, le=500)

    def form_data(self) -> dict:
        data = super().form_data()
        data["baseline"] = "1" if self.baseline else ""
        return data


class RowOut(Schema):
    key: str = Field(
        ...,
        description="行的标识，穿透查询的 key 参数；按网格分组时为网格的 H3 编号（供程序使用，不向用户显示）",
    )
    label: str = Field(..., description="行的名称（按网格分组时为网格名称，如 河西所第17网格）")
    value: float | int | None
    baseline: float | int | None
    change: float | int | None
    change_pct: float | None = Field(None, description="增减幅度（%，两位小数）；基期为 0 时为 null（报表印“—”）")
    change_text: str = Field("", description="如“同比下降 9.88%”")
    rank: int | None = None


class PeriodOut(Schema):
    code: str
    label: str
    start: str
    end: str


class ReportOut(Schema):
    metric: str
    metric_label: str
    unit: str
    period: PeriodOut
    baseline_period: PeriodOut | None
    compare: str | None
    group_by: str
    rows: list[RowOut]
    total: RowOut


def _period(p) -> PeriodOut | None:
    if p is None:
        return None
    return PeriodOut(code=p.code, label=p.label, start=p.start.isoformat(), end=p.end.isoformat())


def _row(row, query) -> RowOut:
    return RowOut(**row.as_dict(), change_text=report.change_text(row, query.compare, query.metric))


@router.get("/stats/report", response=ReportOut, summary="统计报表（同比/环比、分组、排名）", description=QUERY_DOC)
def stats_report(request: HttpRequest, params: Query[ReportParams]):
    form = read(ReportForm, params.form_data(), request.user)
    query = form.query()
    result = report.run(query, request.user, rank=form.cleaned_data["rank"])
    return ReportOut(
        metric=query.metric.code,
        metric_label=str(query.metric.label),
        unit=str(query.metric.unit),
        period=_period(query.period),
        baseline_period=_period(query.baseline_period),
        compare=query.compare,
        group_by=query.group_by,
        rows=[_row(r, query) for r in result.rows],
        total=_row(result.total, query),
    )


class RecordOut(Schema):
    type: str = Field(..., description="incident / case / grid_cell / survey")
    id: str = Field(..., description="记录的标识；网格为 H3 编号（可作 grid 参数，不向用户显示）")
    number: str = Field(..., description="向用户显示的编号：接警单号、案件编号；网格为网格名称")
    name: str | None = Field(None, description="网格名称（如 河西所第17网格）；其他记录为 null")
    at: datetime | None
    category: str | None
    organization: str | None


class RecordsOut(Schema):
    count: int = Field(..., description="记录总数，等于报表中的该项数字")
    offset: int
    limit: int
    records: list[RecordOut]


@router.get(
    "/stats/records",
    response=RecordsOut,
    summary="报表数字对应的原始记录（穿透查询）",
    description=QUERY_DOC + "; key=<a row's key>|total, baseline=true for the baseline figure, "
    "part=numerator|denominator for a ratio; offset, limit (≤ 500)",
)
def stats_records(request: HttpRequest, params: Query[RecordsParams]):
    form = read(RecordsForm, params.form_data(), request.user)
    key, baseline, part = (form.cleaned_data[name] for name in ("key", "baseline", "part"))
    qs = report.records(form.query(), request.user, key=key, baseline=baseline, part=part)
    offset, limit = params.offset, params.limit
    return RecordsOut(
        count=qs.count(),
        offset=offset,
        limit=limit,
        records=[describe(obj) for obj in qs[offset : offset + limit]],
    )


def describe(obj) -> RecordOut:
    from anmin.cases.models import Case
    from anmin.feedback.models import Survey
    from anmin.geo.models import GridCell

    if isinstance(obj, Survey):
        return RecordOut(
            type="survey",
            id=str(obj.pk),
            number=obj.matter_label,
            at=obj.answered_at,
            category=obj.get_rating_display(),
            organization=obj.organization.label,
        )

    if isinstance(obj, GridCell):
        return RecordOut(
            type="grid_cell",
            id=obj.h3,
            number=obj.name,
            name=obj.name,
            at=None,
            category=None,
            organization=obj.jurisdiction.label if obj.jurisdiction_id else None,
        )
    if isinstance(obj, Case):
        return RecordOut(
            type="case",
            id=str(obj.pk),
            number=obj.number,
            at=obj.accepted_at,
            category=obj.category.name if obj.category_id else None,
            organization=obj.organization.label,
        )
    return RecordOut(
        type="incident",
        id=str(obj.pk),
        number=obj.number,
        at=obj.received_at,
        category=obj.category.name,
        organization=obj.station.label,
    )

"""API for the typical-case library (same conventions as the cases and incidents APIs).

Readers (every logged-in officer) get published cases through `/library` and `/library/{id}`, whose
schemas have no source-case, author or status fields at all: the source case cannot leak through
them whatever the data. Editors (法制, leaders) work through `/library/manage…` and the mutations,
which return the editorial view with the source case.
"""

from datetime import datetime
from typing import Literal

from django.db.models import Count, Exists, OuterRef, Q
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from anmin.cases.models import Case
from anmin.core.errors import ActionError, Denied
from anmin.core.schema import Id, Offset
from anmin.incidents.models import Category
from anmin.library.actions import PublishCase, SaveDraft, WithdrawCase
from anmin.library.models import Tag, TypicalCase, can_edit_library
from anmin.library.search import match, snippet
from anmin.library.text import parse_query

# Choices as inline enums (Literal), not as schemas named after their classes: every app has a
# "Status", and the OpenAPI components keep one schema per name, so another app's would replace it.
TypicalCaseStatusCode = Literal[tuple(TypicalCase.Status.values)]

router = Router(tags=["library"])


class CategoryRef(Schema):
    code: str
    name: str


class LibraryItemOut(Schema):
    id: int
    title: str
    tags: list[str]
    category: CategoryRef | None
    published_at: datetime | None
    snippet: str = Field(..., description="案情摘要；检索时为命中词附近的片段")
    highlights: list[str] = Field(..., description="片段中命中的检索词，供前端标亮")


class LibraryCaseOut(Schema):
    id: int
    title: str
    summary: str
    key_points: str
    legal_basis: str
    tags: list[str]
    category: CategoryRef | None
    published_at: datetime | None
    updated_at: datetime


class SourceCaseOut(Schema):
    id: int
    number: str
    title: str


class EditorialItemOut(LibraryItemOut):
    status: str
    status_label: str
    author: str
    updated_at: datetime


class EditorialCaseOut(LibraryCaseOut):
    status: str
    status_label: str
    author: str
    published_by: str | None
    source_case: SourceCaseOut | None = Field(None, description="来源案件；仅法制部门可见，且须本人有权查看该案件")
    created_at: datetime


class TagOut(Schema):
    name: str
    count: int


class DraftIn(Schema):
    title: str = Field(..., max_length=2000)
    summary: str = Field("", max_length=50000, description="案情")
    key_points: str = Field("", max_length=50000, description="办案要点")
    legal_basis: str = Field("", max_length=20000, description="法律依据")
    tags: list[str] = Field(default_factory=list, max_length=50)
    category: str | None = Field(None, max_length=20, description="警情类别代码，见 GET /categories")
    source_case_id: Id | None = Field(None, description="来源案件（仅法制部门可见）")
    anonymise: bool = Field(False, description="保存前将身份证号、手机号、车牌号替换为占位符")


class WithdrawIn(Schema):
    reason: str = Field("", max_length=2000)


class LibraryFilter(Schema):
    q: str = Field("", max_length=500, description="检索词（中文分词）")
    tag: str = Field("", max_length=100)
    category: str = Field("", max_length=20, description="警情类别代码")
    limit: int = Field(50, ge=1, le=200)
    offset: Offset = 0


class ManageFilter(LibraryFilter):
    status: TypicalCaseStatusCode | None = None


def _category(case: TypicalCase) -> dict | None:
    return {"code": case.category.code, "name": case.category.name} if case.category_id else None


def _tags(case: TypicalCase) -> list[str]:
    return [t.name for t in case.tags.all()]  # prefetched


def item_out(case: TypicalCase, terms) -> dict:
    text, found = snippet(case.summary or case.key_points, terms)
    return {
        "id": case.pk,
        "title": case.title,
        "tags": _tags(case),
        "category": _category(case),
        "published_at": case.published_at,
        "snippet": text,
        "highlights": found,
    }


def case_out(case: TypicalCase) -> dict:
    return {
        "id": case.pk,
        "title": case.title,
        "summary": case.summary,
        "key_points": case.key_points,
        "legal_basis": case.legal_basis,
        "tags": _tags(case),
        "category": _category(case),
        "published_at": case.published_at,
        "updated_at": case.updated_at,
    }


def editorial_out(case: TypicalCase, user) -> dict:
    data = case_out(case)
    source = None
    if case.source_case_id:
        # Shown only to an editor who may see the case itself: a branch's legal officer reading a
        # draft of the bureau's must not learn about a case outside their subtree through it.
        visible = Case.objects.visible_to(user).filter(pk=case.source_case_id).values("id", "number", "title")
        source = visible.first()
    data.update(
        status=case.status,
        status_label=case.get_status_display(),
        author=case.author.audit_label,
        published_by=case.published_by.audit_label if case.published_by_id else None,
        source_case=source,
        created_at=case.created_at,
    )
    return data


def _readable(request):
    qs = TypicalCase.objects.visible_to(request.user).published()
    return qs.select_related("category").prefetch_related("tags")


def _editable(request):
    if not can_edit_library(request.user):
        raise Denied("只有法制部门或领导可以管理典型案例")
    qs = TypicalCase.objects.visible_to(request.user)
    return qs.select_related("category", "author", "published_by").prefetch_related("tags")


def _filtered(qs, filters: LibraryFilter):
    if filters.tag.strip():
        tagged = TypicalCase.tags.through.objects.filter(typicalcase=OuterRef("pk"), tag__name=filters.tag.strip())
        qs = qs.filter(Exists(tagged))
    if filters.category.strip():
        # A class code (01 刑事) also finds cases filed under its sub-categories (0111 入室盗窃).
        code = filters.category.strip()
        qs = qs.filter(Q(category__code=code) | Q(category__parent__code=code))
    terms = parse_query(filters.q) if filters.q.strip() else []
    if filters.q.strip():
        qs = match(qs, terms)
    else:
        qs = qs.order_by("-published_at", "-id")
    return qs[filters.offset : filters.offset + filters.limit], terms


def _category_for(code: str | None) -> Category | None:
    if not code:
        return None
    category = Category.objects.filter(code=code).first()
    if category is None:
        raise ActionError("警情类别代码不存在", field="category", code="not_found")
    return category


def _source_case_for(request, case_id: int | None) -> Case | None:
    if case_id is None:
        return None
    case = Case.objects.visible_to(request.user).filter(pk=case_id).first()
    if case is None:
        raise ActionError("来源案件不存在或无权查看", field="source_case_id", code="not_found")
    return case


def _editorial(request, case_id: int) -> dict:
    return editorial_out(get_object_or_404(_editable(request), pk=case_id), request.user)


@router.get("/library", response=list[LibraryItemOut], summary="典型案例：检索已发布案例")
def list_library(request, filters: Query[LibraryFilter]):
    page, terms = _filtered(_readable(request), filters)
    return [item_out(c, terms) for c in page]


@router.get("/library/tags", response=list[TagOut], summary="典型案例：标签及已发布案例数")
def list_tags(request):
    published = Q(cases__in=TypicalCase.objects.visible_to(request.user).published())
    tags = Tag.objects.annotate(count=Count("cases", filter=published)).filter(count__gt=0)
    return [{"name": t.name, "count": t.count} for t in tags.order_by("-count", "name")]


@router.get("/library/manage", response=list[EditorialItemOut], summary="典型案例管理：草稿、已发布、已撤回")
def manage_library(request, filters: Query[ManageFilter]):
    qs = _editable(request)
    if filters.status:
        qs = qs.filter(status=filters.status)
    page, terms = _filtered(qs, filters)
    out = []
    for case in page:
        item = item_out(case, terms)
        item.update(
            status=case.status,
            status_label=case.get_status_display(),
            author=case.author.audit_label,
            updated_at=case.updated_at,
        )
        out.append(item)
    return out


@router.get("/library/manage/{case_id}", response=EditorialCaseOut, summary="典型案例管理：详情（含来源案件）")
def manage_case(request, case_id: Id):
    return _editorial(request, case_id)


@router.post("/library", response={201: EditorialCaseOut}, summary="典型案例：新建草稿")
def create_draft(request, payload: DraftIn):
    case = SaveDraft(
        by=request.user,
        title=payload.title,
        summary=payload.summary,
        key_points=payload.key_points,
        legal_basis=payload.legal_basis,
        tags=payload.tags,
        category=_category_for(payload.category),
        source_case=_source_case_for(request, payload.source_case_id),
        anonymise=payload.anonymise,
    ).execute()
    return Status(201, _editorial(request, case.pk))


@router.get("/library/{case_id}", response=LibraryCaseOut, summary="典型案例：详情")
def get_case(request, case_id: Id):
    return case_out(get_object_or_404(_readable(request), pk=case_id))


@router.put("/library/{case_id}", response=EditorialCaseOut, summary="典型案例：修改草稿（已撤回的案例改回草稿）")
def update_draft(request, case_id: Id, payload: DraftIn):
    case = get_object_or_404(_editable(request), pk=case_id)
    SaveDraft(
        by=request.user,
        case=case,
        title=payload.title,
        summary=payload.summary,
        key_points=payload.key_points,
        legal_basis=payload.legal_basis,
        tags=payload.tags,
        category=_category_for(payload.category),
        source_case=_source_case_for(request, payload.source_case_id),
        anonymise=payload.anonymise,
    ).execute()
    return _editorial(request, case_id)


@router.post("/library/{case_id}/publish", response=EditorialCaseOut, summary="典型案例：发布（须已隐去个人信息）")
def publish(request, case_id: Id):
    case = get_object_or_404(_editable(request), pk=case_id)
    PublishCase(case=case, by=request.user).execute()
    return _editorial(request, case_id)


@router.post("/library/{case_id}/withdraw", response=EditorialCaseOut, summary="典型案例：撤回")
def withdraw(request, case_id: Id, payload: WithdrawIn):
    case = get_object_or_404(_editable(request), pk=case_id)
    WithdrawCase(case=case, by=request.user, reason=payload.reason).execute()
    return _editorial(request, case_id)

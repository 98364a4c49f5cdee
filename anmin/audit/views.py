"""The audit viewer (审计查看): for the audit administrator only (三权分立 — the system and security
administrators, like every other officer, are answered 403). Newest first, with names instead of
codes and ids, filters, and an export of the filtered entries that is itself an audit entry."""

import csv
import io
import json
from datetime import datetime, time, timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from anmin.audit.forms import TrailFilterForm
from anmin.audit.labels import action_label, object_labels, object_type_label
from anmin.core.anchors import anchor_path
from anmin.core.audit import security_event
from anmin.core.duties import is_auditor
from anmin.core.forms import first_error
from anmin.core.models import AuditEntry, AuditHead, Result

PER_PAGE = 50
#: The most entries one export holds; narrow the filters for more.
EXPORT_LIMIT = 100_000
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _require_auditor(user) -> None:
    if not is_auditor(user):
        raise PermissionDenied(_("只有审计管理员可以查看审计记录"))


def _filtered(form: TrailFilterForm):
    qs = AuditEntry.objects.select_related("actor").order_by("-id")
    data = form.cleaned_data
    if person := data.get("person", "").strip():
        qs = qs.filter(
            Q(actor_label__icontains=person)
            | Q(actor__full_name__icontains=person)
            | Q(actor__username__iexact=person)
            | Q(actor__badge_number=person)
        )
    if data.get("action"):
        qs = qs.filter(action=data["action"])
    if data.get("object_type"):
        qs = qs.filter(object_type=data["object_type"])
    if data.get("result"):
        qs = qs.filter(result=data["result"])
    tz = timezone.get_current_timezone()
    if data.get("since"):
        qs = qs.filter(at__gte=datetime.combine(data["since"], time.min, tzinfo=tz))
    if data.get("until"):
        qs = qs.filter(at__lt=datetime.combine(data["until"] + timedelta(days=1), time.min, tzinfo=tz))
    return qs


def actor_display(entry: AuditEntry) -> str:
    """The officer's name and badge; for others their label, without a citizen's record number."""
    if entry.actor_id and entry.actor is not None:
        return str(entry.actor)
    label = entry.actor_label
    if label.startswith("citizen#"):
        _number, _sep, rest = label.partition(" ")
        return f"{_('群众')} {rest}".strip()
    if label == "system":
        return _("系统")
    if label.startswith("command@"):
        return _("命令行（%(host)s）") % {"host": label.removeprefix("command@")}
    return label or "—"


def rows(entries) -> list[dict]:
    entries = list(entries)
    objects = object_labels(entries)
    results = dict(Result.choices)
    return [
        {
            "at": timezone.localtime(entry.at),
            "actor": actor_display(entry),
            "actor_is_officer": bool(entry.actor_id),
            "action": action_label(entry.action),
            "action_code": entry.action,
            "object": objects.get((entry.object_type, entry.object_id)) or object_type_label(entry.object_type),
            "result": str(results.get(entry.result, entry.result)),
            "result_code": entry.result,
            "address": entry.address or "",
        }
        for entry in entries
    ]


def chain_status() -> dict:
    head = AuditHead.objects.filter(pk=1).first()
    path = anchor_path()
    anchors, last_anchor = 0, None
    try:
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    anchors += 1
                    last_anchor = line
    except OSError:
        pass
    last_anchor_at = None
    if last_anchor:
        try:
            last_anchor_at = datetime.fromisoformat(json.loads(last_anchor)["time"])
        except (ValueError, KeyError, TypeError):
            last_anchor_at = None
    return {
        "head": head,
        "entries": (head.count - head.start_count) if head else 0,
        "purged": head.start_count if head else 0,
        "anchors": anchors,
        "last_anchor_at": last_anchor_at,
    }


@login_required
@require_GET
def trail(request):
    _require_auditor(request.user)
    form = TrailFilterForm(request.GET)
    context = {"nav": "audit", "form": form, "status": chain_status(), "error": None}
    if not form.is_valid():
        context["error"] = first_error(form)
        return render(request, "audit/trail.html", context, status=400)
    paginator = Paginator(_filtered(form), PER_PAGE)
    page = paginator.get_page(form.cleaned_data.get("page") or 1)
    query = request.GET.copy()
    query.pop("page", None)
    context.update(page=page, rows=rows(page.object_list), page_query=query.urlencode())
    return render(request, "audit/trail.html", context)


@login_required
@require_GET
def export(request, fmt: str):
    _require_auditor(request.user)
    if fmt not in FORMATS:
        return HttpResponse(_("不支持的导出格式"), status=404, content_type="text/plain; charset=utf-8")
    form = TrailFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponse(str(first_error(form)), status=400, content_type="text/plain; charset=utf-8")
    table = rows(_filtered(form)[:EXPORT_LIMIT])
    headers = [_("时间"), _("操作人"), _("操作"), _("对象"), _("结果"), _("来源地址")]
    lines = [
        [
            row["at"].strftime("%Y-%m-%d %H:%M:%S"),
            row["actor"],
            row["action"],
            row["object"],
            row["result"],
            row["address"],
        ]
        for row in table
    ]
    body = _csv(headers, lines) if fmt == "csv" else _xlsx(headers, lines)
    # Reading the trail out of the system is itself audited: what, with which filters, how many rows.
    security_event(
        "export",
        request=request,
        object_type="core.auditentry",
        data={"report": "audit-trail", "format": fmt, "filters": form.filters(), "rows": len(lines)},
    )
    response = HttpResponse(body, content_type=FORMATS[fmt])
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response


def _csv(headers, lines) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for line in lines:
        # A cell starting with = + - @ would be a formula to a spreadsheet (CSV injection).
        writer.writerow([("'" + cell) if cell[:1] in ("=", "+", "-", "@") else cell for cell in line])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM: Excel opens UTF-8 CSV as UTF-8


def _xlsx(headers, lines) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("审计记录"))
    sheet.append(headers)
    for line in lines:
        sheet.append(line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

"""API of personal data in full: one operation, the same audited "显示" as the pages have."""

from django.http import HttpResponse
from ninja import Field, Router, Schema

from anmin.core.pii import FIELDS, RevealPersonalData
from anmin.core.schema import Id

router = Router(tags=["pii"])

OBJECTS = sorted({f.object_name for f in FIELDS.values()})


class RevealIn(Schema):
    object: str = Field(..., max_length=40, description="对象：" + "、".join(OBJECTS))
    id: Id
    field: str = Field(..., max_length=40, description="字段，如 caller_phone、licence、id_number")


class RevealOut(Schema):
    value: str


@router.post("/pii/reveal", response=RevealOut, summary="显示一项完整个人信息（记入审计）")
def reveal(request, payload: RevealIn, response: HttpResponse = None):
    """Every API answer shows a person's phone, ID number and name masked; this returns one field in
    full to an officer whose scope covers the record, and writes an audit entry ("pii.reveal").
    404 when the record does not exist or is outside the caller's scope; 400 for an unknown field."""
    value = RevealPersonalData(key=f"{payload.object}.{payload.field}", pk=payload.id, by=request.user).execute()
    response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
    return {"value": value}

"""The JSON API root (/api/v1): token auth, and errors that always name the field, never a 500."""

import functools
import logging

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, JsonResponse
from django.utils.translation import gettext
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, django_auth
from pydantic import BaseModel

from anmin.core.errors import ActionError
from anmin.core.schema import ErrorOut
from anmin.org.models import ApiToken

log = logging.getLogger(__name__)


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        officer = ApiToken.authenticate(token)
        if officer is not None:
            request.user = officer
        return officer


#: What any route may answer besides its own responses: invalid input (400), an action's refusal
#: (403), an object outside the caller's scope (404) and a state that changed underneath (409).
COMMON_ERRORS = (400, 403, 404, 409)
ERROR_DESCRIPTIONS = {
    400: "输入无效（detail 中的 field 指出字段）",
    401: "缺少或无效的令牌",
    403: "无权执行此操作",
    404: "对象不存在或无权查看",
    409: "状态已变化，操作冲突",
}


class AnminAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """The document with the errors every route can answer declared on each operation, so a client
        (and the schema-driven fuzz test) knows a 400 or a 404 is an answer, not a surprise."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        error_schema = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(error_schema.pop("$defs", {}))
        components["ErrorOut"] = error_schema
        ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}
        for operations in schema["paths"].values():
            for operation in operations.values():
                statuses = COMMON_ERRORS + ((401,) if operation.get("security") else ())
                responses = operation.setdefault("responses", {})
                for status in statuses:
                    responses.setdefault(str(status), {"description": ERROR_DESCRIPTIONS[status], **ref})
        return schema


def docs_guard(view):
    """The OpenAPI document and its viewer map every route and field of the API for whoever reads
    them, so in production only an officer does: a signed-in session or a valid token. A browser
    without either is sent to the sign-in page, a client with a bad token gets 401. With DEBUG they
    are open, for development."""

    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        user = getattr(request, "user", None)
        if settings.DEBUG or (user is not None and user.is_authenticated):
            return view(request, *args, **kwargs)
        header = request.headers.get("Authorization", "")
        if not header:
            return redirect_to_login(request.get_full_path())
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and ApiToken.authenticate(token.strip()) is not None:
            return view(request, *args, **kwargs)
        return JsonResponse(error_body([UNAUTHORIZED]), status=401, json_dumps_params={"ensure_ascii": False})

    return guarded


api = AnminAPI(
    title="Anmin API",
    version="1",
    description="安民 智慧公安一体化平台 API。认证：Authorization: Bearer <token>（anmin token create USERNAME）。",
    auth=[BearerToken(), django_auth],
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    docs_decorator=docs_guard,
)


def _nul_in(value, path: str) -> str | None:
    """The path of the first text in `value` (a validated argument) that holds a NUL byte."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, BaseModel):
        items = [(name, getattr(value, name)) for name in type(value).model_fields]
    elif isinstance(value, dict):
        # Keys too: `results` maps booking ids sent as text to outcomes.
        items = [(key, key) for key in value] + list(value.items())
    elif isinstance(value, list | tuple):
        items = list(enumerate(value))
    else:
        return None
    for key, item in items:
        found = _nul_in(item, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


def refuse_nul(view):
    """No text anywhere in the API's input may hold NUL: PostgreSQL can neither store nor compare it,
    so a search for "a\x00b" was a 500 there (and a different answer on SQLite)."""

    @functools.wraps(view)
    def checked(request, *args, **kwargs):
        for name, value in kwargs.items():
            # A schema's fields are named as the client sent them, without the argument's name.
            field = _nul_in(value, "" if isinstance(value, BaseModel) else name)
            if field is not None:
                raise ActionError(gettext("不能包含空字符（NUL）"), field=field, code="nul")
        return view(request, *args, **kwargs)

    return checked


api.add_decorator(refuse_nul)


def error_body(items: list[dict]) -> dict:
    return {"detail": items}


UNAUTHORIZED = {
    "field": "Authorization",
    "message": "需要有效的令牌：Authorization: Bearer <token>",
    "code": "unauthorized",
}


def _field_of(loc) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "data", "form")]
    return ".".join(parts) or None


_MESSAGES = {
    "missing": "必填",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "string_type": "应为文本",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "list_type": "应为数组",
    "json_invalid": "不是有效的 JSON",
    "model_attributes_type": "应为 JSON 对象",
    "datetime_from_date_parsing": "应为 ISO 8601 时间",
    "datetime_parsing": "应为 ISO 8601 时间",
    "datetime_type": "应为 ISO 8601 时间",
    "finite_number": "应为有限数字",
    "greater_than": "超出允许范围",
    "greater_than_equal": "超出允许范围",
    "less_than": "超出允许范围",
    "less_than_equal": "超出允许范围",
    "too_long": "项数过多",
    "too_short": "项数过少",
    "string_too_long": "文本过长",
    "string_too_short": "文本过短",
    "string_pattern_mismatch": "格式不正确",
    "enum": "不是可选的值",
    "literal_error": "不是可选的值",
    "date_parsing": "应为 ISO 8601 日期",
    "date_from_datetime_parsing": "应为 ISO 8601 日期",
    "date_type": "应为 ISO 8601 日期",
    "time_parsing": "应为 ISO 8601 时刻",
    "dict_type": "应为 JSON 对象",
}


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    items = []
    for err in exc.errors:
        field = _field_of(err.get("loc", ()))
        message = _MESSAGES.get(err.get("type", ""), err.get("msg", "无效"))
        items.append({"field": field, "message": f"{field}: {message}" if field else message, "code": err.get("type")})
    # 400, not ninja's 422: a bad value is a bad request like any other the actions refuse.
    return api.create_response(request, error_body(items), status=400)


@api.exception_handler(ActionError)
def on_action_error(request, exc: ActionError):
    return api.create_response(request, error_body([exc.as_dict()]), status=exc.status)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return api.create_response(
        request,
        error_body([{"field": None, "message": "对象不存在或无权查看", "code": "not_found"}]),
        status=404,
    )


@api.exception_handler(AuthenticationError)
def on_unauthorized(request, exc):
    return api.create_response(request, error_body([UNAUTHORIZED]), status=401)


@api.exception_handler(SuspiciousOperation)
def on_suspicious(request, exc: SuspiciousOperation):
    """Django refuses some requests before ninja sees a parameter (more than
    DATA_UPLOAD_MAX_NUMBER_FIELDS query or form fields, a body over its size): answered in the
    API's own JSON, not Django's HTML 400 page."""
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        item = {"field": "query", "message": "请求参数过多", "code": "too_many_fields"}
    elif isinstance(exc, RequestDataTooBig):
        item = {"field": "body", "message": "请求内容过大", "code": "too_large"}
    else:
        item = {"field": None, "message": "请求无效", "code": "bad_request"}
    return api.create_response(request, error_body([item]), status=400)


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    if exc.status_code == 400 and "parse" in str(exc).lower():  # ninja: "Cannot parse request body"
        item = {"field": "body", "message": "请求体不是有效的 JSON", "code": "json_invalid"}
    else:
        item = {"field": None, "message": str(exc), "code": "http_error"}
    return api.create_response(request, error_body([item]), status=exc.status_code)


from anmin.addresses.api import router as addresses_router  # noqa: E402
from anmin.bookings.api import router as bookings_router  # noqa: E402
from anmin.cases.api import router as cases_router  # noqa: E402
from anmin.communities.api import router as communities_router  # noqa: E402
from anmin.core.api import router as core_router  # noqa: E402
from anmin.dispatch.api import router as dispatch_router  # noqa: E402
from anmin.disputes.api import router as disputes_router  # noqa: E402
from anmin.feedback.api import router as feedback_router  # noqa: E402
from anmin.incidents.api import router as incidents_router  # noqa: E402
from anmin.library.api import router as library_router  # noqa: E402
from anmin.missing.api import router as missing_router  # noqa: E402
from anmin.missing.broadcast_api import router as missing_groups_router  # noqa: E402
from anmin.patrol.api import router as patrol_router  # noqa: E402
from anmin.posts.api import router as posts_router  # noqa: E402
from anmin.property.api import router as property_router  # noqa: E402
from anmin.reports.api import router as reports_router  # noqa: E402
from anmin.reviews.api import router as reviews_router  # noqa: E402
from anmin.services.api import router as services_router  # noqa: E402
from anmin.stats.api import router as stats_router  # noqa: E402
from anmin.supervision.api import router as supervision_router  # noqa: E402

api.add_router("/", incidents_router)
api.add_router("/", dispatch_router)
api.add_router("/", cases_router)
api.add_router("/", library_router)
api.add_router("/", property_router)
api.add_router("/", reviews_router)
api.add_router("/", supervision_router)
api.add_router("/", stats_router)
api.add_router("/", reports_router)
api.add_router("/", feedback_router)
api.add_router("/", bookings_router)
api.add_router("/", services_router)
api.add_router("/", core_router)
api.add_router("/", addresses_router)
api.add_router("/", communities_router)
api.add_router("/", disputes_router)
api.add_router("/", posts_router)
api.add_router("/", patrol_router)
api.add_router("/", missing_router)
api.add_router("/", missing_groups_router)


@docs_guard
def openapi_json(request):
    """The OpenAPI document at /api/openapi.json (also served by ninja at /api/v1/openapi.json)."""
    return JsonResponse(api.get_openapi_schema(path_prefix="/api/v1/"), json_dumps_params={"ensure_ascii": False})

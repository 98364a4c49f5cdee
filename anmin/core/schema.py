"""Bounded types for the JSON API's schemas and query parameters (the API side of the input layer).

A bare `int` lets 18864382035448750080 through to the database driver, which cannot bind it and
raised a 500; these types refuse it with a 400 naming the field.
"""

from typing import Annotated

from ninja import Schema
from pydantic import Field

from anmin.core.forms import MAX_ID, MAX_OFFSET

#: A database id (1 … 2^63−1).
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
#: A list offset (0 … 2^63−1).
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET)]


class ErrorItemOut(Schema):
    """One reason a request was refused: the field it is about (None for the request as a whole)."""

    field: str | None
    message: str
    code: str | None


class ErrorOut(Schema):
    """The body of every 4xx/5xx answer of the API."""

    detail: list[ErrorItemOut]


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """`response={...}` entries for the error statuses a route answers besides those every route
    may answer (400, 401, 403, 404, 409 are declared for all routes by the API root)."""
    return dict.fromkeys(statuses, ErrorOut)

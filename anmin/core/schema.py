"""Bounded types for the JSON API's schemas and query parameters (the API side of the input layer).

A bare `int` lets 18864382035448750080 through to the database driver, which cannot bind it and
raised a 500; these types refuse it with a 400 naming the field.
"""

from typing import Annotated

from pydantic import Field

from anmin.core.forms import MAX_ID, MAX_OFFSET

#: A database id (1 … 2^63−1).
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
#: A list offset (0 … 2^63−1).
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET)]

"""The bodies of the error responses that apidocs documents, as pydantic models.

They are documented through the same pydantic call as the app's own models, so their
component names never clash with the app's (pydantic keeps names unique). ``ApiError``
is public: ``@api(response={404: ApiError})`` documents a view's own errors.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["ApiError", "FieldError", "InvalidRequest", "RateLimitUnavailable", "RateLimited"]


class ApiError(BaseModel):
    """An error: what went wrong and how to fix it."""

    error: str = Field(description="What went wrong, and how to fix it.")


class FieldError(BaseModel):
    """One bad part of a request."""

    # "in" is a keyword: the field is named in_ and written "in".
    in_: Literal["body", "query", "header"] = Field(
        alias="in", description="Where the bad value is."
    )
    field: str = Field(
        description="Its name: dotted for nested fields ('items.0.name'); '' for the whole body."
    )
    message: str = Field(description="Why it is not valid.")
    type: str = Field(description="pydantic's error type ('missing', 'int_parsing', ...).")


class InvalidRequest(BaseModel):
    """A request whose body, query string or headers are not valid: every bad field."""

    error: Literal["invalid request"]
    errors: list[FieldError]


class RateLimited(BaseModel):
    """A request refused by a rate limit."""

    error: Literal["rate limit exceeded"]
    limit: str = Field(description="The limit used up ('5 per 1 minute').")
    scope: str = Field(
        description="What the limit counts: the endpoint, bp:<name> or shared:<name>."
    )
    retry_after: int = Field(description="Seconds until a request may succeed again.")


class RateLimitUnavailable(BaseModel):
    """A request refused because a fail-closed rate limit cannot reach its storage."""

    error: Literal["rate limit storage unavailable"]
    limit: str
    scope: str

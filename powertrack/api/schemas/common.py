"""Error bodies shared by the API's resources, as documented in the OpenAPI schema."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class PowerTrackErrorDetail(BaseModel):
    """The message and time of a PowerTrack 2.0 error."""

    message: str = Field(description="What went wrong and what to do about it.")
    sent: str = Field(description="When the answer was sent, ISO 8601 UTC.")


class PowerTrackError(BaseModel):
    """A PowerTrack 2.0 error: ``{"error": {"message", "sent"}}``."""

    error: PowerTrackErrorDetail


class V2Problem(BaseModel):
    """An X API v2 problem (RFC 7807 style), for errors that concern the whole request."""

    title: str
    detail: str
    type: str = Field(
        description="A URI naming the kind of problem; ``about:blank`` for plain HTTP errors."
    )
    status: int


class V2ParameterError(BaseModel):
    """One invalid request parameter of an X API v2 ``Invalid Request`` problem."""

    parameters: dict[str, list[str]] = Field(
        description="The parameter at fault and the value given."
    )
    message: str


class V2InvalidRequest(BaseModel):
    """The X API v2 answer to a malformed request (HTTP 400)."""

    errors: list[V2ParameterError]
    title: str = "Invalid Request"
    detail: str = "One or more parameters to your request was invalid."
    type: str = "https://api.twitter.com/2/problems/invalid-request"


class PlainError(BaseModel):
    """An error of the admin and health endpoints: ``{"detail": message}``."""

    detail: str


class Health(BaseModel):
    """Whether the API can reach its rule database."""

    status: Literal["ok", "unavailable"]
    detail: str | None = None

"""Errors the API answers with, each written in the shape of the API it belongs to.

PowerTrack 2.0 paths answer ``{"error": {"message", "sent"}}``; X API v2 paths
answer problems (``{"title", "detail", "type", "status"}``, or the ``Invalid
Request`` shape for a malformed request); the admin and health endpoints answer
FastAPI's ``{"detail": ...}``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, Final, Literal

from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from powertrack.api.limits import RateLimitExceededError, too_large_message
from powertrack.api.schemas import powertrack as pt
from powertrack.api.schemas import v2
from powertrack.store.errors import StoreUnavailableError
from powertrack.web.responses import OrjsonResponse, sent_now

__all__ = [
    "AdminDisabledError",
    "ApiError",
    "AuthenticationError",
    "ConflictError",
    "MalformedRequestError",
    "NotFoundError",
    "error_response",
    "install_error_handlers",
    "too_large_response",
]

log = logging.getLogger(__name__)

POWERTRACK_PREFIX: Final = "/rules/powertrack/"
POWERTRACK_STREAM_PREFIX: Final = "/stream/powertrack/"
V2_PREFIX: Final = "/2/"
STORE_UNAVAILABLE_MESSAGE: Final = (
    "The rule database cannot be reached, so nothing was changed. Retry with exponential backoff."
)
# Long enough for a database fail-over, short enough that clients keep trying.
STORE_RETRY_AFTER_S: Final = "5"

Shape = Literal["powertrack", "v2", "plain"]


def shape_of(path: str) -> Shape:
    """Which API's error shape answers a request for ``path``."""
    if path.startswith((POWERTRACK_PREFIX, POWERTRACK_STREAM_PREFIX)):
        return "powertrack"
    if path.startswith(V2_PREFIX):
        return "v2"
    return "plain"


class ApiError(Exception):
    """An error answered with ``status_code`` and a message a client can act on."""

    status_code = 500

    def __init__(self, message: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = dict(headers or {})


class AuthenticationError(ApiError):
    """Missing or wrong credentials (401)."""

    status_code = 401


class AdminDisabledError(ApiError):
    """No admin credential is configured, so no admin request can succeed (403)."""

    status_code = 403


class NotFoundError(ApiError):
    """The account, stream or label asked for is not there for this client (404)."""

    status_code = 404


class ConflictError(ApiError):
    """An account name or stream label that is already taken (409)."""

    status_code = 409


class MalformedRequestError(ApiError):
    """A request whose body or parameters do not have the documented form (400).
    ``parameters`` names the parameters at fault, for the v2 shape."""

    status_code = 400

    def __init__(self, message: str, parameters: Mapping[str, Sequence[str]] | None = None) -> None:
        super().__init__(message)
        self.parameters = {name: list(values) for name, values in (parameters or {}).items()}


def _v2_invalid_request(message: str, parameters: Mapping[str, list[str]]) -> dict[str, Any]:
    return {
        "errors": [{"parameters": dict(parameters), "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": v2.INVALID_REQUEST_TYPE,
    }


def error_response(
    path: str,
    status: int,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    parameters: Mapping[str, list[str]] | None = None,
) -> Response:
    """An error answer for a request to ``path``, in that API's shape."""
    body: dict[str, Any]
    match shape_of(path):
        case "powertrack":
            body = {"error": {"message": message, "sent": sent_now()}}
        case "v2" if status == 400:
            body = _v2_invalid_request(message, parameters or {})
        case "v2":
            title = HTTPStatus(status).phrase
            body = {"title": title, "detail": message, "type": "about:blank", "status": status}
        case _:
            body = {"detail": message}
    return OrjsonResponse(body, status_code=status, headers=dict(headers or {}))


def too_large_response(path: str, max_bytes: int) -> Response:
    """The 413 answer to a request body over ``max_bytes``."""
    return error_response(path, 413, too_large_message(max_bytes))


def _location(loc: Sequence[int | str]) -> str:
    parts = [str(part) for part in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def _describe(errors: Sequence[Any]) -> tuple[str, dict[str, list[str]]]:
    """One sentence and the v2 ``parameters`` for pydantic's request errors."""
    sentences: list[str] = []
    parameters: dict[str, list[str]] = {}
    for error in errors:
        if error.get("type") == "json_invalid":
            reason = error.get("ctx", {}).get("error", "malformed JSON")
            sentences.append(f"the body is not valid JSON ({reason})")
            continue
        where = _location(error.get("loc", ()))
        sentences.append(f"{where}: {error.get('msg', 'invalid')}")
        value = error.get("input")
        parameters[where] = [] if isinstance(value, dict | list) or value is None else [str(value)]
    return "; ".join(sentences), parameters


def _powertrack_format(request: Request) -> str:
    method = request.query_params.get("_method")
    if method == "get":
        return pt.GET_FORMAT_MESSAGE
    if method == "delete":
        return pt.DELETE_FORMAT_MESSAGE
    return pt.ADD_FORMAT_MESSAGE


async def _on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    parameters = exc.parameters if isinstance(exc, MalformedRequestError) else None
    return error_response(
        request.url.path, exc.status_code, exc.message, headers=exc.headers, parameters=parameters
    )


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    path = request.url.path
    reason, parameters = _describe(exc.errors())
    match shape_of(path):
        case "powertrack":
            return error_response(path, 400, f"{_powertrack_format(request)} ({reason})")
        case "v2":
            return error_response(path, 400, reason[:1].upper() + reason[1:], parameters=parameters)
        case _:
            return await request_validation_exception_handler(request, exc)


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    path = request.url.path
    if shape_of(path) == "plain":
        return await http_exception_handler(request, exc)
    return error_response(path, exc.status_code, str(exc.detail), headers=exc.headers)


async def _on_rate_limited(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RateLimitExceededError)
    headers = {"Retry-After": exc.retry_after_header}
    return error_response(request.url.path, 429, str(exc), headers=headers)


async def _on_store_unavailable(request: Request, exc: Exception) -> Response:
    log.warning("rule store unavailable during %s %s: %s", request.method, request.url.path, exc)
    headers = {"Retry-After": STORE_RETRY_AFTER_S}
    return error_response(request.url.path, 503, STORE_UNAVAILABLE_MESSAGE, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn errors into answers of the right shape."""
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(RateLimitExceededError, _on_rate_limited)
    app.add_exception_handler(StoreUnavailableError, _on_store_unavailable)

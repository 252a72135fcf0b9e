"""The streaming endpoints: PowerTrack 2.0 and X API v2 filtered stream.

- ``GET /stream/powertrack/accounts/{account}/publishers/twitter/{label}.json``
  (HTTP Basic): PowerTrack activities with root-level ``matching_rules``;
- ``GET /2/tweets/search/stream`` (bearer token bound to one stream): v2
  messages, with ``tweet.fields``, ``user.fields`` and ``expansions=author_id``
  honoured and every other v2 query parameter accepted and ignored.

Both take ``backfillMinutes``/``backfill_minutes`` (1 to 5),
``startTime``/``start_time`` and ``endTime``/``end_time`` (ISO 8601, or
PowerTrack's ``YYYYMMDDhhmm``, UTC), ``include_cursor=true`` and ``cursor``.

Each connection holds a lease on its account's ``connection_limit``: over the
limit it is refused with 429, and while leases cannot be guaranteed (the
ZooKeeper session is lost) every new connection is refused with 503 rather
than risk exceeding a limit.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final

from fastapi import APIRouter, Request
from starlette.datastructures import QueryParams
from starlette.responses import Response

from powertrack.api.deps import PowerTrackStream, V2Stream
from powertrack.api.errors import MalformedRequestError, error_response
from powertrack.api.service import StreamContext
from powertrack.coordination.errors import CoordinationUnavailableError, TooManyConnectionsError
from powertrack.delivery.connection import (
    Shape,
    StreamConnection,
    accepts_gzip,
)
from powertrack.delivery.format import InvalidFieldsError, V2Fields, powertrack_line, v2_line
from powertrack.delivery.records import Delivered, InvalidCursorError, InvalidStartError
from powertrack.delivery.services import DeliveryServices
from powertrack.delivery.source import MatchSource, StartAt
from powertrack.web.responses import OrjsonResponse

__all__ = ["POWERTRACK_STREAM_PATH", "V2_STREAM_PATH", "create_router"]

log = logging.getLogger(__name__)

POWERTRACK_STREAM_PATH: Final = (
    "/stream/powertrack/accounts/{account}/publishers/twitter/{label}.json"
)
V2_STREAM_PATH: Final = "/2/tweets/search/stream"
TOO_MANY_CONNECTIONS: Final = "This stream is currently at the maximum allowed connection limit."
_CONNECTION_PROBLEM: Final = "https://api.twitter.com/2/problems/streaming-connection"
UNAVAILABLE: Final = (
    "Streaming connections cannot be opened right now (connection limits cannot be checked). "
    "Reconnect with exponential backoff."
)
_RETRY_AFTER_S: Final = "5"
_HOST: Final = socket.gethostname()


def _bad(message: str, parameter: str, values: list[str]) -> MalformedRequestError:
    """A 400 naming the parameter at fault (answered in the stream's API shape)."""
    return MalformedRequestError(message, {parameter: values})


def _shape_of(path: str) -> Shape:
    return Shape.V2 if path.startswith("/2/") else Shape.POWERTRACK


def _one(params: QueryParams, *names: str) -> tuple[str, str] | None:
    for name in names:
        value = params.get(name)
        if value is not None:
            return name, value
    return None


def _time(name: str, value: str) -> datetime:
    try:
        if value.isdigit() and len(value) == 12:
            return datetime.strptime(value, "%Y%m%d%H%M").replace(tzinfo=UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _bad(
            f"Invalid {name} '{value}': expected YYYY-MM-DDTHH:mm:ssZ (or YYYYMMDDhhmm, UTC)",
            name,
            [value],
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _start(params: QueryParams) -> StartAt:
    backfill = _one(params, "backfillMinutes", "backfill_minutes")
    start = _one(params, "startTime", "start_time")
    end = _one(params, "endTime", "end_time")
    cursor = _one(params, "cursor")
    given = [pair for pair in (backfill, start, cursor) if pair is not None]
    if len(given) > 1:
        names = ", ".join(name for name, _ in given)
        raise _bad(
            f"Give only one of a backfill, a start time or a cursor (got {names})",
            given[1][0],
            [given[1][1]],
        )
    try:
        if cursor is not None:
            # With an end time: a replay resumed where its connection dropped.
            return StartAt.from_cursor(cursor[1], None if end is None else _time(*end))
        if backfill is not None:
            name, value = backfill
            if not value.isdigit():
                raise _bad(
                    f"Invalid {name} '{value}': a whole number of minutes from 1 to 5",
                    name,
                    [value],
                )
            if end is not None:
                raise InvalidStartError("an end time cannot be combined with a backfill")
            return StartAt.backfill(int(value))
        if start is not None:
            return StartAt.time_range(_time(*start), None if end is None else _time(*end))
        if end is not None:
            raise InvalidStartError("an end time needs a start time or a cursor")
        return StartAt.live()
    except (InvalidCursorError, InvalidStartError) as exc:
        name, value = cursor or backfill or start or end or ("cursor", "")
        raise _bad(_sentence(str(exc)), name, [value]) from None


def _flag(params: QueryParams, name: str) -> bool:
    value = params.get(name)
    if value is None:
        return False
    if value.lower() in {"true", "1"}:
        return True
    if value.lower() in {"false", "0"}:
        return False
    raise _bad(f"Invalid {name} '{value}': expected true or false", name, [value])


def _fields(params: QueryParams) -> V2Fields:
    try:
        return V2Fields.parse(
            params.get("tweet.fields"), params.get("user.fields"), params.get("expansions")
        )
    except InvalidFieldsError as exc:
        raise _bad(str(exc), exc.parameter, exc.values) from None


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _holder() -> str:
    return f"{_HOST}-{os.getpid()}-{secrets.token_hex(6)}"


def _too_many(path: str) -> Response:
    if _shape_of(path) is Shape.POWERTRACK:
        return error_response(path, 429, TOO_MANY_CONNECTIONS)
    body = {
        "title": "ConnectionException",
        "detail": TOO_MANY_CONNECTIONS,
        "connection_issue": "TooManyConnections",
        "type": _CONNECTION_PROBLEM,
    }
    return OrjsonResponse(body, status_code=429)


async def _open(
    services: DeliveryServices,
    request: Request,
    context: StreamContext,
    start: StartAt,
    render: Callable[[Delivered], bytes],
) -> Response:
    path = request.url.path
    shape = _shape_of(path)
    account, label = context.account.name, context.stream.label
    try:
        lease = await services.leases.acquire(account, context.account.connection_limit, _holder())
    except TooManyConnectionsError:
        return _too_many(path)
    except CoordinationUnavailableError as exc:
        log.warning("refusing a connection to %s/%s: %s", account, label, exc)
        return error_response(path, 503, UNAVAILABLE, headers={"Retry-After": _RETRY_AFTER_S})
    source: MatchSource | None = None
    try:
        source = MatchSource(
            services.feed,
            account,
            label,
            start,
            services.sides,
            preferred_side=services.preferred_side,
            options=services.config.source,
        )
        await source.start()
    except (InvalidCursorError, InvalidStartError) as exc:
        await _abandon(source, lease)
        name = "cursor" if isinstance(exc, InvalidCursorError) else "start"
        return error_response(path, 400, _sentence(str(exc)), parameters={name: []})
    except Exception:
        await _abandon(source, lease)
        log.exception("cannot open the match topic of %s/%s", account, label)
        return error_response(path, 503, UNAVAILABLE, headers={"Retry-After": _RETRY_AFTER_S})
    return StreamConnection(
        source,
        lease,
        render,
        shape,
        services.config,
        bounded=start.end_ms is not None,
        gzip=accepts_gzip(request.headers.get("accept-encoding")),
    )


async def _abandon(source: MatchSource | None, lease: Any) -> None:
    try:
        if source is not None:
            await source.close()
    finally:
        await lease.release()


def create_router(services: DeliveryServices) -> APIRouter:
    """The streaming endpoints, served from ``services``."""
    router = APIRouter(tags=["streams"])

    @router.get(POWERTRACK_STREAM_PATH, summary="Stream a PowerTrack stream's matches")
    async def powertrack_stream(request: Request, context: PowerTrackStream) -> Response:
        params = request.query_params
        start = _start(params)
        include_cursor = _flag(params, "include_cursor")

        def render(item: Delivered) -> bytes:
            return powertrack_line(item, include_cursor=include_cursor)

        return await _open(services, request, context, start, render)

    @router.get(V2_STREAM_PATH, summary="Stream the matches of the token's stream (X API v2)")
    async def v2_stream(request: Request, context: V2Stream) -> Response:
        params = request.query_params
        start = _start(params)
        include_cursor = _flag(params, "include_cursor")
        fields = _fields(params)

        def render(item: Delivered) -> bytes:
            return v2_line(item, fields, include_cursor=include_cursor)

        return await _open(services, request, context, start, render)

    return router

"""Request limits: rule requests per minute per account, and request body size."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Hashable

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "BodySizeLimitMiddleware",
    "MovingWindowRateLimiter",
    "RateLimitExceededError",
    "too_large_message",
]


class RateLimitExceededError(Exception):
    """A client sent more requests than its limit allows in the window."""

    def __init__(self, limit: int, window_s: float, retry_after_s: float) -> None:
        super().__init__(
            f"Rate limit exceeded: at most {limit} rule requests per {window_s:g} seconds; "
            f"retry in {math.ceil(retry_after_s)} seconds"
        )
        self.limit = limit
        self.window_s = window_s
        self.retry_after_s = retry_after_s

    @property
    def retry_after_header(self) -> str:
        """Whole seconds until a request would be admitted, for ``Retry-After``."""
        return str(max(1, math.ceil(self.retry_after_s)))


class MovingWindowRateLimiter:
    """At most ``limit`` hits per key in any ``window_s`` seconds.

    A moving window, not fixed minutes: a client cannot send twice the limit
    across a minute boundary. The limiter lives in this process, so each API
    server enforces the limit separately; behind a load balancer with N servers
    a client may get up to N times the limit. It is called only from the event
    loop and never awaits, so it needs no lock.
    """

    def __init__(
        self, limit: int, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("limit must be at least 1 and window_s positive")
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._hits: dict[Hashable, deque[float]] = {}

    def hit(self, key: Hashable) -> None:
        """Count one request for ``key``; raise RateLimitExceededError (not counting it) if
        the window is full."""
        now = self._clock()
        hits = self._hits.setdefault(key, deque())
        horizon = now - self.window_s
        while hits and hits[0] <= horizon:
            hits.popleft()
        if len(hits) >= self.limit:
            raise RateLimitExceededError(self.limit, self.window_s, hits[0] - horizon)
        hits.append(now)


def too_large_message(max_bytes: int) -> str:
    """What a client is told when its request body is over the limit."""
    return f"Request body too large: the limit is {max_bytes} bytes"


class _BodyTooLarge(HTTPException):
    # An HTTPException, because FastAPI turns any other error raised while it
    # reads a body into a generic 400; the exception handlers render it.
    def __init__(self, max_bytes: int) -> None:
        super().__init__(status_code=413, detail=too_large_message(max_bytes))


TooLargeRenderer = Callable[[str, int], Response]
"""Builds the 413 answer for a request path and the limit in bytes."""


class BodySizeLimitMiddleware:
    """Answer 413 to requests whose body exceeds ``max_bytes``.

    A declared ``Content-Length`` over the limit is refused before the
    application sees the request; a body sent without one (chunked) is
    counted as it is read and refused as soon as it passes the limit, so the
    server never holds more than ``max_bytes`` of it.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, render: TooLargeRenderer) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the application with the body size checked."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return

        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = self.render(scope["path"], self.max_bytes)
        await response(scope, receive, send)

"""Operations endpoints: ``GET /metrics``, ``GET /healthz`` and ``GET /readyz``.

- ``/metrics``: the process's Prometheus metrics, in the text exposition format;
- ``/healthz``: 200 as long as the process serves HTTP at all (a liveness
  probe: failing it gets the process restarted, so it depends on nothing else);
- ``/readyz``: 200 when every readiness check passes, else 503 naming the
  checks that failed (a readiness probe: traffic goes elsewhere meanwhile).

Kept out of the OpenAPI document, which describes the customers' API.
Served by the API and, on their own port, by filter nodes
(powertrack/filter/ops_server.py), each with its own metrics and checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from fastapi import APIRouter
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from powertrack.metrics import CONTENT_TYPE, Check, Metrics, check_readiness
from powertrack.web.responses import OrjsonResponse

__all__ = [
    "HEALTHZ_PATH",
    "METRICS_PATH",
    "READYZ_PATH",
    "RuleRequestMetrics",
    "create_router",
]

METRICS_PATH: Final = "/metrics"
HEALTHZ_PATH: Final = "/healthz"
READYZ_PATH: Final = "/readyz"
_RULE_PATHS: Final = (
    ("powertrack", "/rules/powertrack/"),
    ("v2", "/2/tweets/search/stream/rules"),
)


def create_router(
    metrics: Metrics, checks: Mapping[str, Check], *, check_timeout: float = 3.0
) -> APIRouter:
    """The operations endpoints of a process with ``metrics`` and readiness ``checks``."""
    router = APIRouter(tags=["operations"])

    @router.get(METRICS_PATH, summary="Prometheus metrics", include_in_schema=True)
    async def prometheus_metrics() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    @router.get(
        HEALTHZ_PATH, summary="Liveness: the process serves requests", include_in_schema=True
    )
    async def healthz() -> Response:
        """Always 200 while the process answers HTTP."""
        return OrjsonResponse({"status": "alive"})

    @router.get(
        READYZ_PATH,
        summary="Readiness: the process's dependencies answer",
        include_in_schema=True,
        responses={503: {"description": "Some dependency does not answer; see not_ready."}},
    )
    async def readyz() -> Response:
        """200 when every dependency answers; 503 listing those that do not."""
        results = await check_readiness(checks, check_timeout)
        failed = sorted(name for name, result in results.items() if result != "ok")
        if failed:
            body = {"status": "not ready", "not_ready": failed, "checks": results}
            return OrjsonResponse(body, status_code=503)
        return OrjsonResponse({"status": "ready", "checks": results})

    return router


class RuleRequestMetrics:
    """ASGI middleware counting rules requests by API shape and outcome."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        shape = _rule_shape(scope) if scope["type"] == "http" else None
        if shape is None:
            await self.app(scope, receive, send)
            return
        status = 500

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            self.metrics.rule_request(shape, status)


def _rule_shape(scope: Scope) -> str | None:
    path = str(scope.get("path", ""))
    for shape, prefix in _RULE_PATHS:
        if path.startswith(prefix):
            return shape
    return None

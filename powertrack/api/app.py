"""The Rules API application: PowerTrack 2.0 and X API v2 rules, admin and health."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from powertrack import __version__
from powertrack.api.deps import ApiState
from powertrack.api.errors import (
    POWERTRACK_PREFIX,
    V2_PREFIX,
    install_error_handlers,
    too_large_response,
)
from powertrack.api.limits import BodySizeLimitMiddleware, MovingWindowRateLimiter
from powertrack.api.routes import admin, health, powertrack, stacks, streams, tweets, v2
from powertrack.api.service import RulesService
from powertrack.coordination.protocol import RuleChangeSignal
from powertrack.firehose.sink import TweetSink
from powertrack.metrics import Check, Metrics
from powertrack.settings import Settings
from powertrack.store.protocol import RuleStore
from powertrack.web import ops

if TYPE_CHECKING:
    from powertrack.delivery.services import DeliveryServices

__all__ = ["create_app"]

RATE_WINDOW_S = 60.0

_DESCRIPTION = """\
Manage the rules of powertrack streams.

* **PowerTrack 2.0** (`/rules/powertrack/...`): HTTP Basic authentication with the
  account name and one of its passwords; any of the account's streams by label.
* **X API v2** (`/2/tweets/search/stream/rules`): a bearer token bound to one stream.
* **Admin** (`/admin/...`): the operator's admin token creates accounts, streams
  and credentials.

Rule requests are limited per account per minute (429 with `Retry-After`) and
request bodies in size (413).
"""


class _RulesApi(FastAPI):
    def openapi(self) -> dict[str, Any]:
        # FastAPI documents a 422 validation error on every route with
        # parameters; the rules routes answer malformed requests with 400 in
        # their API's shape instead, so that entry would be false there.
        if self.openapi_schema is None:
            schema = get_openapi(
                title=self.title,
                version=self.version,
                description=self.description,
                routes=self.routes,
                tags=self.openapi_tags,
            )
            for path, operations in schema["paths"].items():
                if not path.startswith((POWERTRACK_PREFIX, V2_PREFIX)):
                    continue
                for operation in operations.values():
                    responses = operation.get("responses", {})
                    if "HTTPValidationError" in str(responses.get("422", "")):
                        del responses["422"]
            self.openapi_schema = schema
        return self.openapi_schema


def create_app(
    settings: Settings,
    store: RuleStore,
    signal: RuleChangeSignal | None = None,
    tweet_sink: TweetSink | None = None,
    *,
    tweet_worker_id: int = 0,
    delivery: DeliveryServices | None = None,
    metrics: Metrics | None = None,
    readiness: Mapping[str, Check] | None = None,
) -> FastAPI:
    """The API serving ``store``. The caller opens and closes the store and starts and
    stops the signal; ``signal`` is notified after every committed rule change.
    With ``tweet_sink`` (opened and closed by the caller) the API also takes posted
    tweets, with ids from snowflake worker ``tweet_worker_id``. With ``delivery`` it
    also serves the streaming endpoints.

    ``/metrics`` serves ``metrics`` (a registry of the app's own when None);
    ``/readyz`` checks the store and each of ``readiness`` (e.g. the broker and
    ZooKeeper)."""
    limiter = MovingWindowRateLimiter(settings.rule_requests_per_minute, RATE_WINDOW_S)
    app = _RulesApi(title="powertrack Rules API", version=__version__, description=_DESCRIPTION)
    app.state.powertrack = ApiState(settings, store, RulesService(store, limiter, signal))
    metrics = metrics if metrics is not None else Metrics()
    app.state.metrics = metrics
    install_error_handlers(app)
    app.add_middleware(
        BodySizeLimitMiddleware, max_bytes=settings.max_request_bytes, render=too_large_response
    )
    app.add_middleware(ops.RuleRequestMetrics, metrics=metrics)
    for module in (powertrack, v2, admin, health):
        app.include_router(module.router)
    app.include_router(stacks.router)
    app.include_router(ops.create_router(metrics, {"rule_store": store.ping, **(readiness or {})}))
    if tweet_sink is not None:
        app.include_router(tweets.create_router(tweet_sink, worker_id=tweet_worker_id))
    if delivery is not None:
        app.include_router(streams.create_router(delivery))
    return app

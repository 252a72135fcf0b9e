"""Prometheus metrics of the API and the filter nodes, and readiness checks.

Every metric is created against the :class:`~prometheus_client.CollectorRegistry`
given to :class:`Metrics`, never the library's global one: each process builds
one ``Metrics`` and serves its registry on ``/metrics``, and tests (or several
nodes in one process) each get their own.

What the less obvious ones measure:

- ``powertrack_match_latency_seconds``: from the firehose record's timestamp
  (the time it was produced) to the moment the node has matched it, for every
  tweet read. A node reading a backlog reports the backlog's age.
- ``powertrack_rule_update_lag_seconds``: how far behind the rule log the
  node's index is: 0 while no log entry for its streams is left to apply,
  else the age of the oldest entry not applied yet. While the store cannot be
  asked it grows from the last time the node was known to be current.
- ``powertrack_consumer_lag``: per assigned firehose partition, the high
  watermark the consumer last saw minus its position.
- ``powertrack_tweet_fields_ignored_total``: per field path (``user``,
  ``entities.urls[].url``, ``data.geo.coordinates.coordinates``), how often a
  node read a firehose tweet without that field because it was not as
  expected; the tweet itself was matched as usual (a stack move's catch-up,
  which reads some tweets again, counts them again). The tweet readers know no
  node, so the count is the process's (:data:`IGNORED_FIELDS`), and every
  registry of the process serves the same one. Each path is also logged, at
  most once a minute with how often it was seen since its last line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import Counter as Tally
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from powertrack.broker.topics import parse_match_topic

if TYPE_CHECKING:
    from powertrack.broker.protocol import Broker
    from powertrack.filter.stack import StackView
    from powertrack.store.protocol import RuleStore

__all__ = [
    "CONTENT_TYPE",
    "DISCONNECT_REASONS",
    "IGNORED_FIELDS",
    "Check",
    "IgnoredFields",
    "Metrics",
    "NodeMetrics",
    "broker_check",
    "check_readiness",
    "connected_check",
]

log = logging.getLogger(__name__)

CONTENT_TYPE: Final = CONTENT_TYPE_LATEST
DISCONNECT_REASONS: Final = (
    "slow_reader",
    "lease_lost",
    "client_gone",
    "replay_complete",
    "operational",
)
_NODE: Final = ("side", "stack")
_LATENCY_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


class IgnoredFields:
    """Counts the tweet fields a reader left out (``Tweet.from_json``'s ``ignored``),
    per path, into ``counter``, and logs each path at most once per ``interval`` seconds.

    A log line gives the path and how often it was seen since the path's
    previous line, so a change in the firehose's shape shows in the log
    without a line per tweet. The paths come from a fixed set of places in the
    readers, so the counter's label values are bounded.
    """

    def __init__(
        self,
        counter: Counter,
        *,
        interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.counter = counter
        self._interval = interval
        self._clock = clock
        self._logged_at: dict[str, float] = {}
        self._unlogged: Tally[str] = Tally()

    def count(self, paths: Iterable[str]) -> None:
        """Count ``paths``, one tweet's ignored fields."""
        now = self._clock()
        for path in paths:
            self.counter.labels(path).inc()
            self._unlogged[path] += 1
            if now - self._logged_at.get(path, -math.inf) >= self._interval:
                seen = self._unlogged.pop(path)
                self._logged_at[path] = now
                log.warning(
                    "Tweet field %s missing or not as expected %d time(s) since its last "
                    "report; read as absent",
                    path,
                    seen,
                    extra={"field": path, "count": seen},
                )


IGNORED_FIELDS: Final = IgnoredFields(
    Counter(
        "powertrack_tweet_fields_ignored",
        "Tweet fields left out of the matched view because they were missing or not as "
        "expected, by JSON path (the tweet itself was matched)",
        ("field",),
        registry=None,
    )
)
"""The process's count of ignored tweet fields, which every :class:`Metrics` serves."""


class Metrics:
    """Every powertrack metric, registered in ``registry`` (a new one when None).

    With ``process`` the registry also holds the client library's process,
    platform and garbage-collector metrics (one process may serve them once).
    A filter node samples its gauges every ``sample_interval`` seconds.
    """

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        *,
        process: bool = False,
        sample_interval: float = 5.0,
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.sample_interval = sample_interval
        r = self.registry
        if process:
            for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
                r.register(collector)
        self.tweets_consumed = Counter(
            "powertrack_tweets_consumed",
            "Firehose tweets read and matched (one the matcher fails on is a dead letter)",
            _NODE,
            registry=r,
        )
        self.tweets_matched = Counter(
            "powertrack_tweets_matched",
            "Firehose tweets that matched at least one stream",
            _NODE,
            registry=r,
        )
        self.matches_published = Counter(
            "powertrack_matches_published",
            "Match records acknowledged by the broker, per stream (account/label)",
            (*_NODE, "stream"),
            registry=r,
        )
        self.dead_letters = Counter(
            "powertrack_dead_letters",
            "Firehose messages sent to the dead-letter topic",
            _NODE,
            registry=r,
        )
        self.match_latency = Histogram(
            "powertrack_match_latency_seconds",
            "Seconds from a firehose record's timestamp to its match",
            _NODE,
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.rules = Gauge(
            "powertrack_rules",
            "Rules indexed per stream (account/label)",
            (*_NODE, "stream"),
            registry=r,
        )
        self.rule_update_lag = Gauge(
            "powertrack_rule_update_lag_seconds",
            "Age of the oldest rule log entry the node has not applied (0 when current)",
            _NODE,
            registry=r,
        )
        self.consumer_lag = Gauge(
            "powertrack_consumer_lag",
            "Firehose high watermark minus the consumer's position",
            (*_NODE, "partition"),
            registry=r,
        )
        self.stream_connections = Gauge(
            "powertrack_stream_connections", "Open streaming connections", ("shape",), registry=r
        )
        self.stream_disconnects = Counter(
            "powertrack_stream_disconnects",
            "Streaming connections ended, by reason",
            ("reason",),
            registry=r,
        )
        self.rule_requests = Counter(
            "powertrack_rule_requests",
            "Rules API requests by API shape and outcome",
            ("shape", "outcome"),
            registry=r,
        )
        self.tweet_fields_ignored = IGNORED_FIELDS.counter
        r.register(self.tweet_fields_ignored)

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)

    def connection_opened(self, shape: str) -> None:
        """A streaming connection of ``shape`` started."""
        self.stream_connections.labels(shape).inc()

    def connection_closed(self, shape: str, reason: str) -> None:
        """A streaming connection of ``shape`` ended for ``reason`` (a DISCONNECT_REASONS)."""
        self.stream_connections.labels(shape).dec()
        self.stream_disconnects.labels(reason).inc()

    def rule_request(self, shape: str, status: int) -> None:
        """A rules request of ``shape`` answered with ``status``."""
        self.rule_requests.labels(shape, _outcome(status)).inc()


def _outcome(status: int) -> str:
    if status < 400:
        return "ok"
    if status == 429:
        return "rate_limited"
    return "rejected" if status < 500 else "error"


class NodeMetrics:
    """A filter node's metrics, labelled with its side and stack; all no-ops without
    ``metrics``."""

    def __init__(self, metrics: Metrics | None, side: str, stack: str) -> None:
        self.metrics = metrics
        self._labels = (side, stack)
        self._streams: dict[str, str] = {}
        self._published: dict[str, Any] = {}
        self._partitions: set[int] = set()
        self._rule_streams: set[str] = set()
        self._current_at = time.time()
        if metrics is None:
            return
        self._consumed = metrics.tweets_consumed.labels(side, stack)
        self._matched = metrics.tweets_matched.labels(side, stack)
        self._dead = metrics.dead_letters.labels(side, stack)
        self._latency = metrics.match_latency.labels(side, stack)
        self._lag = metrics.rule_update_lag.labels(side, stack)

    def tweet(self, timestamp_ms: int, publishes: int) -> None:
        """A tweet read (produced at ``timestamp_ms``) was matched: ``publishes`` streams."""
        if self.metrics is None:
            return
        self._consumed.inc()
        if publishes:
            self._matched.inc()
        if timestamp_ms >= 0:
            self._latency.observe(max(0.0, time.time() - timestamp_ms / 1000))

    def dead_letter(self) -> None:
        """A firehose message went to the dead letters."""
        if self.metrics is not None:
            self._dead.inc()

    def published(self, topic: str, count: int = 1) -> None:
        """``count`` matches to ``topic`` were acknowledged."""
        if self.metrics is None:
            return
        child = self._published.get(topic)
        if child is None:
            child = self.metrics.matches_published.labels(*self._labels, self._stream(topic))
            self._published[topic] = child
        child.inc(count)

    def _stream(self, topic: str) -> str:
        name = self._streams.get(topic)
        if name is None:
            parsed = parse_match_topic(topic)
            name = topic if parsed is None else f"{parsed.account}/{parsed.label}"
            self._streams[topic] = name
        return name

    async def sample(
        self,
        consumer: Any,
        firehose: str,
        view: Callable[[], StackView],
        store: RuleStore,
    ) -> None:
        """Update the gauges every ``Metrics.sample_interval`` seconds until cancelled."""
        if self.metrics is None:
            return
        interval = self.metrics.sample_interval
        while True:
            try:
                await self.sample_once(consumer, firehose, view(), store)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("Could not sample the filter node's metrics")
            await asyncio.sleep(interval)

    async def sample_once(
        self, consumer: Any, firehose: str, view: StackView, store: RuleStore
    ) -> None:
        """Update the rules, rule-update lag and consumer lag gauges once."""
        if self.metrics is None:
            return
        self._sample_rules(view)
        await self._sample_rule_lag(view, store)
        await self._sample_consumer_lag(consumer, firehose)

    def _sample_rules(self, view: StackView) -> None:
        assert self.metrics is not None
        counts: Tally[str] = Tally({self._stream(t): 0 for t in view.topics.values()})
        for rule_id in view.index:
            info = view.sync.rule_info(rule_id)
            if info is not None and info.stream_id in view.topics:
                counts[self._stream(view.topics[info.stream_id])] += 1
        for stream in self._rule_streams - counts.keys():
            with contextlib.suppress(KeyError):
                self.metrics.rules.remove(*self._labels, stream)
        for stream, count in counts.items():
            self.metrics.rules.labels(*self._labels, stream).set(count)
        self._rule_streams = set(counts)

    async def _sample_rule_lag(self, view: StackView, store: RuleStore) -> None:
        now = time.time()
        sync = view.sync
        try:
            pending = await store.updates_since(sync.position, sync.stream_ids, limit=1)
        except Exception as exc:
            log.debug("Could not read the rule log for the lag: %s", exc)
        else:
            # Current until the oldest entry not applied yet was written.
            self._current_at = pending[0].at.timestamp() if pending else now
        self._lag.set(max(0.0, now - self._current_at))

    async def _sample_consumer_lag(self, consumer: Any, firehose: str) -> None:
        assert self.metrics is not None
        seen: set[int] = set()
        for tp in list(consumer.assignment()):
            if tp.topic != firehose:
                continue
            highwater = consumer.highwater(tp)
            if highwater is None:
                continue
            async with asyncio.timeout(5):
                position = await consumer.position(tp)
            self.metrics.consumer_lag.labels(*self._labels, str(tp.partition)).set(
                max(0, highwater - position)
            )
            seen.add(tp.partition)
        for partition in self._partitions - seen:
            with contextlib.suppress(KeyError):
                self.metrics.consumer_lag.remove(*self._labels, str(partition))
        self._partitions = seen


# readiness

Check = Callable[[], Awaitable[None]]
"""A readiness check: returns when its dependency answers, raises otherwise."""


async def check_readiness(checks: Mapping[str, Check], timeout: float = 3.0) -> dict[str, str]:
    """Run ``checks`` at once; each name to ``"ok"`` or why it is not ready."""

    async def one(check: Check) -> str:
        try:
            async with asyncio.timeout(timeout):
                await check()
        except TimeoutError:
            return f"no answer within {timeout:g} s"
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return "ok"

    names = list(checks)
    results = await asyncio.gather(*(one(checks[name]) for name in names))
    return dict(zip(names, results, strict=True))


def connected_check(connected: Callable[[], bool], what: str) -> Check:
    """A check that passes while ``connected()`` is true (e.g. a ZooKeeper session)."""

    async def check() -> None:
        if not connected():
            raise ConnectionError(f"not connected to {what}")

    return check


def broker_check(broker: Broker) -> Check:
    """A check that passes when the Kafka cluster lists its topics."""

    async def check() -> None:
        await broker.list_topics()

    return check

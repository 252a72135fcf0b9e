"""Prometheus metrics: a filter node's counters and gauges end to end on a real broker,
its operations server, and streaming connections' gauge and disconnect reasons."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.types import Message

from powertrack import Tweet
from powertrack.broker import Broker
from powertrack.cli.filter import node_checks
from powertrack.coordination.leases import Lease
from powertrack.coordination.memory import LocalRuleChangeSignal
from powertrack.delivery.connection import DeliveryConfig, Shape, StreamConnection
from powertrack.delivery.records import Delivered
from powertrack.delivery.source import MatchSource
from powertrack.filter.config import FilterConfig
from powertrack.filter.node import FilterNode
from powertrack.filter.ops_server import ops_server
from powertrack.filter.rulesync import RuleSync
from powertrack.filter.stack import StackView
from powertrack.index.index import RuleIndex
from powertrack.metrics import DISCONNECT_REASONS, Metrics, NodeMetrics
from powertrack.store import NewRule, RuleStore, SQLiteRuleStore
from tests.api.support import FlakyStore
from tests.filter.pipeline import consumed, deploy, produce, sample_tweets, wait_for

NODE = {"side": "A", "stack": "main"}


def value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


@asynccontextmanager
async def running(
    config: FilterConfig, store: RuleStore, broker: Broker, metrics: Metrics
) -> AsyncIterator[FilterNode]:
    node = FilterNode(config, store, broker, metrics=metrics)
    await node.start()
    task = asyncio.create_task(node.run())
    try:
        yield node
    finally:
        node.stop()
        await asyncio.wait_for(task, 30)


async def test_a_filter_node_counts_what_it_consumes_matches_and_publishes(
    broker: Broker, tmp_path: Path
) -> None:
    store = SQLiteRuleStore(tmp_path / "rules.db")
    deployment = await deploy(store)
    tweets = sample_tweets(200)
    await produce(broker, deployment.firehose, [*tweets, b"not a tweet"])
    metrics = Metrics(sample_interval=0.1)
    streams = deployment.on_stack("main")
    expected = {s.id: s.expected(tweets) for s in streams}
    ids = [Tweet.from_json(raw).id for raw in tweets]

    async with running(deployment.config("A", "main"), store, broker, metrics) as node:
        await wait_for(lambda: consumed(node) == len(tweets) + 1, 20, "the firehose")
        await wait_for(lambda: node.counters.published == node.counters.matches, 20, "acks")

        def lag_sampled() -> bool:
            lags = [
                value(metrics, "powertrack_consumer_lag", **NODE, partition=str(p))
                for p in range(3)
            ]
            return lags == [0, 0, 0]

        await wait_for(lag_sampled, 10, "the consumer lag")

    assert value(metrics, "powertrack_tweets_consumed_total", **NODE) == len(tweets)
    matched = sum(1 for i in ids if any(i in e for e in expected.values()))
    assert value(metrics, "powertrack_tweets_matched_total", **NODE) == matched
    assert value(metrics, "powertrack_dead_letters_total", **NODE) == 1
    assert value(metrics, "powertrack_match_latency_seconds_count", **NODE) == len(tweets)
    assert value(metrics, "powertrack_rule_update_lag_seconds", **NODE) == 0
    for stream in streams:
        name = f"{stream.account}/{stream.label}"
        published = sum(1 for i in ids if i in expected[stream.id])
        assert published > 0
        assert (
            value(metrics, "powertrack_matches_published_total", **NODE, stream=name) == published
        ), name
        assert value(metrics, "powertrack_rules", **NODE, stream=name) == len(stream.rules)
    # The stream moved to the other stack is neither matched nor gauged here.
    for stream in deployment.on_stack("other"):
        name = f"{stream.account}/{stream.label}"
        assert value(metrics, "powertrack_rules", **NODE, stream=name) is None

    families = {f.name: f for f in text_string_to_metric_families(metrics.exposition().decode())}
    assert families["powertrack_tweets_consumed"].type == "counter"
    assert families["powertrack_match_latency_seconds"].type == "histogram"
    assert families["powertrack_consumer_lag"].type == "gauge"
    await store.close()


async def test_the_rule_update_lag_is_the_age_of_the_oldest_unapplied_update(
    tmp_path: Path,
) -> None:
    store = SQLiteRuleStore(tmp_path / "rules.db")
    await store.migrate()
    account = await store.create_account("acme", connection_limit=1)
    stream = await store.create_stream(account.id, "prod")
    index: RuleIndex[int] = RuleIndex()
    sync = RuleSync(store, index, [stream.id], poll_interval=60)
    await sync.start()
    view = StackView(index, sync, {stream.id: "powertrack.A.acme.prod"})
    metrics = Metrics()
    gauges = NodeMetrics(metrics, "A", "main")
    consumer = _NoConsumer()
    try:
        await gauges.sample_once(consumer, "firehose", view, store)
        assert value(metrics, "powertrack_rule_update_lag_seconds", **NODE) == 0
        await store.add_rules(stream.id, [NewRule("cat", None)], rule_limit=10)
        await asyncio.sleep(1.1)
        await gauges.sample_once(consumer, "firehose", view, store)
        lag = value(metrics, "powertrack_rule_update_lag_seconds", **NODE)
        assert lag is not None
        assert lag >= 0.5
        await sync.poll_once()
        await gauges.sample_once(consumer, "firehose", view, store)
        assert value(metrics, "powertrack_rule_update_lag_seconds", **NODE) == 0
        assert value(metrics, "powertrack_rules", **NODE, stream="acme/prod") == 1
    finally:
        await sync.stop()
        await store.close()


class _NoConsumer:
    def assignment(self) -> set[Any]:
        return set()


async def test_the_node_ops_server_serves_metrics_and_probes(
    broker: Broker, tmp_path: Path
) -> None:
    store = SQLiteRuleStore(tmp_path / "rules.db")
    await store.migrate()
    flaky = FlakyStore(store)
    metrics = Metrics()
    metrics.tweets_consumed.labels("A", "main").inc(3)
    checks = node_checks(cast(RuleStore, flaky), broker, LocalRuleChangeSignal())
    try:
        async with (
            ops_server(0, metrics, checks) as server,
            httpx.AsyncClient(base_url=server.url) as client,
        ):
            answer = await client.get("/metrics")
            assert answer.status_code == 200
            samples = {
                (s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(answer.text)
                for s in family.samples
            }
            key = ("powertrack_tweets_consumed_total", (("side", "A"), ("stack", "main")))
            assert samples[key] == 3
            assert (await client.get("/healthz")).json() == {"status": "alive"}
            ready = await client.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"] == {"rule_store": "ok", "broker": "ok"}
            flaky.down = True
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["not_ready"] == ["rule_store"]
            assert (await client.get("/healthz")).status_code == 200
    finally:
        await store.close()


# streaming connections


class _Source:
    """Hands out ``items`` then ends (``ends``) or waits for ever."""

    def __init__(self, items: int, *, ends: bool) -> None:
        self.items = items
        self.ends = ends
        self.count = 0

    async def __aiter__(self) -> AsyncIterator[Delivered]:
        for number in range(self.items):
            self.count += 1
            yield Delivered(b"{}", number, "A", number, 0, number, 0, "cursor")
        if not self.ends:
            await asyncio.Event().wait()

    async def close(self) -> None:
        pass


async def _released() -> None:
    pass


@pytest.mark.parametrize(
    ("ending", "reason"),
    [
        ("source ends, bounded", "replay_complete"),
        ("source ends", "operational"),
        ("client leaves", "client_gone"),
        ("lease lost", "lease_lost"),
    ],
)
async def test_a_connection_is_gauged_while_open_and_its_end_counted(
    ending: str, reason: str
) -> None:
    metrics = Metrics()
    config = DeliveryConfig(keepalive_seconds=0.05, metrics=metrics)
    lease = Lease("acme", "holder", _released)
    source = _Source(2, ends=ending.startswith("source ends"))
    connection = StreamConnection(
        cast(MatchSource, source),
        lease,
        lambda item: b"line",
        Shape.V2,
        config,
        bounded=ending.endswith("bounded"),
    )
    left = asyncio.Event()
    open_during: list[float | None] = []

    async def receive() -> Message:
        await left.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body" and not open_during:
            open_during.append(value(metrics, "powertrack_stream_connections", shape="v2"))
            if ending == "client leaves":
                left.set()
            elif ending == "lease lost":
                lease.lost.set()

    await asyncio.wait_for(connection({"type": "http"}, receive, send), 5)
    assert open_during == [1]
    assert value(metrics, "powertrack_stream_connections", shape="v2") == 0
    counted = {
        r: value(metrics, "powertrack_stream_disconnects_total", reason=r)
        for r in DISCONNECT_REASONS
    }
    assert counted == {r: (1 if r == reason else None) for r in DISCONNECT_REASONS}
    assert lease.released

"""Prometheus metrics: a filter node's counters and gauges end to end on a real broker,
its operations server, streaming connections' gauge and disconnect reasons, and the
count and log of tweet fields read as absent."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

import httpx
import orjson
import pytest
from prometheus_client import CollectorRegistry, Counter
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
from powertrack.filter.records import parse_tweet
from powertrack.filter.rulesync import RuleSync
from powertrack.filter.stack import StackView
from powertrack.index.index import RuleIndex
from powertrack.metrics import (
    DISCONNECT_REASONS,
    IGNORED_FIELDS,
    IgnoredFields,
    Metrics,
    NodeMetrics,
)
from powertrack.store import NewRule, RuleStore, SQLiteRuleStore
from powertrack.tweets.errors import TweetFormatError
from tests.api.support import FlakyStore
from tests.filter.pipeline import (
    consumed,
    deploy,
    produce,
    read_topic,
    received,
    sample_tweets,
    wait_for,
)

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


def _ignored(field: str) -> float:
    return value(Metrics(), "powertrack_tweet_fields_ignored_total", field=field) or 0.0


def _damaged(raw: bytes) -> tuple[bytes, str] | None:
    # The two shapes real firehoses were seen to send: a v2 point that is an
    # empty object, and a quoted tweet (inside a retweet or not) without user.
    document = orjson.loads(raw)
    data = document.get("data")
    if data is not None:
        data["geo"] = {"coordinates": {"coordinates": {}}}
        return orjson.dumps(document), "data.geo.coordinates.coordinates"
    for where, status in (("retweeted_status.", document.get("retweeted_status")), ("", document)):
        if status is not None and "quoted_status" in status:
            del status["quoted_status"]["user"]
            return orjson.dumps(document), where + "quoted_status.user"
    return None


async def test_a_node_matches_tweets_with_odd_fields_and_counts_the_fields(
    broker: Broker, tmp_path: Path
) -> None:
    store = SQLiteRuleStore(tmp_path / "rules.db")
    deployment = await deploy(store)
    streams = deployment.on_stack("main")
    originals = sample_tweets(2000)
    candidates = {n: found for n, raw in enumerate(originals) if (found := _damaged(raw))}
    matched = {i for s in streams for i in s.expected([raw for raw, _ in candidates.values()])}
    # Up to three matching tweets of each kind, among 300 others.
    damage: dict[int, tuple[bytes, str]] = {}
    for number, (raw, field) in candidates.items():
        if (
            Tweet.from_json(raw).id in matched
            and sum(1 for _, other in damage.values() if other == field) < 3
        ):
            damage[number] = raw, field
    fields = {field for _, field in damage.values()}
    assert fields == {
        "data.geo.coordinates.coordinates",
        "quoted_status.user",
        "retweeted_status.quoted_status.user",
    }
    tweets = [raw for raw, _ in damage.values()]
    tweets += [raw for number, raw in enumerate(originals[:300]) if number not in damage]
    await produce(broker, deployment.firehose, tweets)
    before = {field: _ignored(field) for field in fields}

    async with running(deployment.config("A", "main"), store, broker, Metrics()) as node:
        await wait_for(lambda: consumed(node) == len(tweets), 20, "the firehose")
        await wait_for(lambda: node.counters.published == node.counters.matches, 20, "acks")

    assert node.counters.dead_letters == 0
    for field in fields:
        seen = sum(1 for _, damaged in damage.values() if damaged == field)
        assert _ignored(field) - before[field] == seen, field
    damaged = {Tweet.from_json(raw).id: raw for raw, _ in damage.values()}
    delivered: set[str] = set()
    for stream in streams:
        records = await read_topic(broker.bootstrap_servers, stream.topic("A"))
        matches, _ = received(records)
        assert matches == stream.expected(tweets)
        for record in records:
            tweet_id = Tweet.from_json(record.value).id
            if tweet_id in damaged:
                # The customer gets the tweet as it came, odd field and all.
                document = orjson.loads(record.value)
                del document["matching_rules"]
                assert document == orjson.loads(damaged[tweet_id])
                delivered.add(tweet_id)
    assert delivered == set(damaged)
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


# tweet fields read as absent


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_ignored_fields_are_counted_by_path_and_logged_once_a_minute_per_path(
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry = CollectorRegistry()
    counter = Counter("powertrack_tweet_fields_ignored", "test", ("field",), registry=registry)
    clock = _Clock()
    fields = IgnoredFields(counter, clock=clock)
    caplog.set_level(logging.WARNING, "powertrack.metrics")

    def lines() -> list[tuple[str, int]]:
        found = [(r.__dict__["field"], r.__dict__["count"]) for r in caplog.records]
        caplog.clear()
        return found

    fields.count(["user", "entities.urls[].url", "entities.urls[].url"])
    assert lines() == [("user", 1), ("entities.urls[].url", 1)]
    for _ in range(5):
        clock.now += 10
        fields.count(["user"])
    assert lines() == []
    clock.now += 10  # a minute after the first line
    fields.count(["user", "entities.urls[].url"])
    assert lines() == [("user", 6), ("entities.urls[].url", 2)]
    clock.now += 59
    fields.count(["user"])
    assert lines() == []
    counted = {
        field: registry.get_sample_value("powertrack_tweet_fields_ignored_total", {"field": field})
        for field in ("user", "entities.urls[].url")
    }
    assert counted == {"user": 8, "entities.urls[].url": 3}


def test_every_registry_serves_the_process_count_of_ignored_fields() -> None:
    before = _ignored("data.geo.coordinates.coordinates")
    raw = orjson.dumps(
        {"data": {"id": "1", "text": "hi", "geo": {"coordinates": {"coordinates": {}}}}}
    )
    _, tweet = parse_tweet(raw)
    assert (tweet.id, tweet.text, tweet.point) == ("1", "hi", None)
    parse_tweet(raw)
    for metrics in (Metrics(), Metrics()):
        assert metrics.tweet_fields_ignored is IGNORED_FIELDS.counter
        assert (
            value(
                metrics,
                "powertrack_tweet_fields_ignored_total",
                field="data.geo.coordinates.coordinates",
            )
            == before + 2
        )
    families = {f.name: f for f in text_string_to_metric_families(Metrics().exposition().decode())}
    assert families["powertrack_tweet_fields_ignored"].type == "counter"


def test_a_tweet_without_an_odd_field_counts_nothing() -> None:
    raw = orjson.dumps({"data": {"id": "1", "text": "hi"}})
    exposition = Metrics().exposition()
    parse_tweet(raw)
    assert Metrics().exposition() == exposition
    with pytest.raises(TweetFormatError):
        parse_tweet(orjson.dumps({"data": {"id": "1", "text": 5, "lang": 7}}))
    assert Metrics().exposition() == exposition

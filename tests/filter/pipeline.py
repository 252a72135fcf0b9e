"""A small PowerTrack deployment for filter-node tests: a store with accounts on two
stacks, a firehose topic of sample tweets, and readers of what the nodes publish.

Every name on the shared broker (accounts, hence match topics; the firehose;
groups; dead-letter topics) carries a token of the test's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiokafka import (  # type: ignore[import-untyped, unused-ignore]
    AIOKafkaConsumer,
    TopicPartition,
)

from powertrack import Tweet, parse_rule
from powertrack.broker import Broker, Side, TopicSpec, match_topic
from powertrack.filter.node import FilterConfig, FilterNode
from powertrack.firehose.sink import kafka_tweet_sink
from powertrack.matches import header
from powertrack.samples import sample_rules_path, sample_tweets_path
from powertrack.store import NewRule, RuleStore
from tests.services import KAFKA_ENV

SESSION_TIMEOUT_MS = 6000 if os.environ.get(KAFKA_ENV) else 2000
FIREHOSE_PARTITIONS = 3
OTHER_STACK = "other"

Matches = dict[str, frozenset[int]]
"""Tweet id to the ids of the stream's rules it matched."""


@dataclass
class StreamSpec:
    """A stream of the deployment and the rules in it."""

    id: int
    account: str
    label: str
    stack: str
    rules: dict[int, str] = field(default_factory=dict)
    tags: dict[int, str | None] = field(default_factory=dict)

    def topic(self, side: Side) -> str:
        return match_topic(side, self.account, self.label)

    def expected(self, tweets: Sequence[bytes]) -> Matches:
        """What the stream must receive of ``tweets``, by the reference evaluator."""
        parsed = {rule_id: parse_rule(value) for rule_id, value in self.rules.items()}
        result: Matches = {}
        for raw in tweets:
            tweet = Tweet.from_json(raw)
            matched = frozenset(i for i, rule in parsed.items() if rule.matches(tweet))
            if matched:
                result[tweet.id] = matched
        return result


@dataclass
class Deployment:
    """Three accounts: two on the ``main`` stack, one moved to ``other``."""

    token: str
    streams: list[StreamSpec]
    firehose: str

    def on_stack(self, stack: str) -> list[StreamSpec]:
        return [s for s in self.streams if s.stack == stack]

    def config(self, side: Side, stack: str, **overrides: Any) -> FilterConfig:
        """A node configuration with this test's own group and dead-letter topic."""
        settings: dict[str, Any] = {
            "group_id": f"powertrack.{side}.{stack}.{self.token}",
            "dead_letter_topic": f"deadletter-{side}-{self.token}",
            "firehose_topic": self.firehose,
            "session_timeout_ms": SESSION_TIMEOUT_MS,
            "heartbeat_interval_ms": SESSION_TIMEOUT_MS // 6,
            "commit_interval": 0.2,
            "streams_interval": 0.5,
            **overrides,
        }
        return FilterConfig(side=side, stack=stack, **settings)


def sample_tweets(count: int) -> list[bytes]:
    """The first ``count`` bundled sample tweets, each with its trailing newline."""
    with sample_tweets_path().open("rb") as lines:
        return list(itertools.islice(lines, count))


async def deploy(store: RuleStore) -> Deployment:
    """Accounts, streams and the sample rules spread over them; one rule is in two streams."""
    await store.migrate()
    token = uuid.uuid4().hex[:10]
    layout = [("acme", "prod"), ("acme", "dev"), ("globex", "prod"), ("initech", "prod")]
    accounts: dict[str, int] = {}
    streams: list[StreamSpec] = []
    for name, label in layout:
        account = f"{name}_{token}"
        if account not in accounts:
            accounts[account] = (await store.create_account(account, connection_limit=2)).id
        stream = await store.create_stream(accounts[account], label)
        streams.append(StreamSpec(stream.id, account, label, "main"))
    await store.set_account_stack(accounts[f"initech_{token}"], OTHER_STACK)
    streams[3].stack = OTHER_STACK
    rules = [orjson.loads(line) for line in sample_rules_path().read_bytes().splitlines()]
    for position, rule in enumerate(rules):
        targets = [streams[position % len(streams)]]
        if position == 0:
            targets = streams[:3]
        for spec in targets:
            [outcome] = await store.add_rules(
                spec.id, [NewRule(rule["value"], rule["tag"])], rule_limit=1000
            )
            spec.rules[outcome.rule.id] = rule["value"]
            spec.tags[outcome.rule.id] = rule["tag"]
    return Deployment(token, streams, f"firehose-{token}")


async def produce(broker: Broker, topic: str, messages: Iterable[bytes]) -> int:
    """Put ``messages`` on the firehose topic (created with 3 partitions); return how many."""
    await broker.ensure_topics([TopicSpec(topic, FIREHOSE_PARTITIONS)])
    count = 0
    async with kafka_tweet_sink(broker.bootstrap_servers, topic) as sink:
        for number, raw in enumerate(messages):
            await sink.send(number, raw)
            count += 1
        await sink.flush()
    return count


async def read_topic(bootstrap: str, topic: str) -> list[Any]:
    """Every record now in ``topic``, read without a group."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        # Listing every topic, rather than asking for this one, creates nothing.
        if topic not in await consumer.topics():
            return []
        # A topic being created can be listed before its partitions are.
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        records: list[Any] = []
        deadline = time.monotonic() + 10
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            if time.monotonic() > deadline:
                raise AssertionError(f"could not read {topic} to its end")
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                records.extend(batch)
        return records
    finally:
        await consumer.stop()


def received(records: Sequence[Any]) -> tuple[Matches, Counter[str]]:
    """The matches in a stream topic's records and how often each tweet came."""
    matches: Matches = {}
    copies: Counter[str] = Counter()
    for record in records:
        document = orjson.loads(record.value)
        tweet = Tweet.from_json(record.value)
        assert header(record.headers, "tweet_id") == tweet.id.encode()
        for name in ("firehose_partition", "firehose_offset", "matched_at"):
            assert (header(record.headers, name) or b"").isdigit(), name
        ids = frozenset(int(rule["id"]) for rule in document["matching_rules"])
        matches[tweet.id] = ids
        copies[tweet.id] += 1
    return matches, copies


async def wait_for(condition: Any, timeout: float, what: str) -> None:
    """Poll ``condition()`` (sync or async) every 50 ms until true."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def running(
    config: FilterConfig, store: RuleStore, broker: Broker
) -> AsyncIterator[FilterNode]:
    """A started node running in a task; stopped (drain, flush, commit) on exit."""
    node = FilterNode(config, store, broker)
    await node.start()
    task = asyncio.create_task(node.run())
    try:
        yield node
    finally:
        node.stop()
        await asyncio.wait_for(task, 30)


def consumed(node: FilterNode) -> int:
    """Firehose messages the node has read."""
    return node.counters.tweets + node.counters.dead_letters

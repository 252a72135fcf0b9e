"""Match topics written as filter nodes write them, and helpers to read streams."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Sequence
from typing import Any, NamedTuple

from aiokafka import AIOKafkaProducer  # type: ignore[import-untyped, unused-ignore]

from powertrack.broker import _admin
from powertrack.broker.protocol import TopicSpec
from powertrack.broker.topics import Side, match_topic
from powertrack.coordination.sides import LocalSideRegistry
from powertrack.delivery import Delivered, FeedOptions, MatchSource
from powertrack.matches import match_headers

LABEL = "prod"
FEED = FeedOptions(fetch_max_wait_ms=50)
"""Short fetch waits: Tansu holds a fetch this long even with records ready."""


class Match(NamedTuple):
    """One match as a side publishes it."""

    tweet_id: int
    partition: int
    offset: int
    matched_at_ms: int
    catch_up: bool = False


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def new_account() -> str:
    """An account name no other test uses on the shared broker."""
    return f"acme{uuid.uuid4().hex[:12]}"


def firehose(partitions: int, per_partition: int) -> list[list[tuple[int, int, int]]]:
    """Per firehose partition, its matching tweets in order: (tweet_id, partition, offset)."""
    return [
        [(1_000_000 + p * 1_000 + o, p, o) for o in range(per_partition)] for p in range(partitions)
    ]


def interleave(
    streams: Sequence[Sequence[tuple[int, int, int]]], seed: int, start_ms: int, step_ms: int = 50
) -> list[Match]:
    """One side's topic: the partitions merged in a random order that keeps each
    partition's own order, stamped ``step_ms`` apart from ``start_ms``."""
    rng = random.Random(seed)
    cursors = [0] * len(streams)
    merged: list[Match] = []
    while any(c < len(s) for c, s in zip(cursors, streams, strict=True)):
        p = rng.choice([i for i, s in enumerate(streams) if cursors[i] < len(s)])
        tweet_id, partition, offset = streams[p][cursors[p]]
        cursors[p] += 1
        merged.append(Match(tweet_id, partition, offset, start_ms + len(merged) * step_ms))
    return merged


def with_crash(matches: list[Match], at: int, back: int) -> list[Match]:
    """``matches`` as a node that crashed after ``at`` records and re-published the
    last ``back`` of them (freshly stamped) before going on."""
    step = matches[1].matched_at_ms - matches[0].matched_at_ms
    replayed = matches[at - back : at]
    out = matches[:at] + replayed + matches[at:]
    first = out[0].matched_at_ms
    return [m._replace(matched_at_ms=first + i * step) for i, m in enumerate(out)]


async def create_topics(bootstrap: str, account: str) -> dict[Side, str]:
    topics: dict[Side, str] = {side: match_topic(side, account, LABEL) for side in ("A", "B")}
    await _admin.ensure_topics(bootstrap, [TopicSpec(t, 1) for t in topics.values()], 10.0)
    return topics


async def publish(
    bootstrap: str, topic: str, matches: Sequence[Match], *, batched: bool = False
) -> None:
    """Produce ``matches`` to ``topic`` in order, timestamped with their matched_at:
    a record batch each, or ``batched`` into as few batches as the producer makes
    (as a filter node at speed does)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        sent = []
        for m in matches:
            headers = match_headers(
                str(m.tweet_id), m.partition, m.offset, m.matched_at_ms, catch_up=m.catch_up
            )
            value = b'{"id":%d,"matching_rules":[]}' % m.tweet_id
            future = await producer.send(
                topic, value=value, headers=headers, timestamp_ms=m.matched_at_ms, partition=0
            )
            if batched:
                sent.append(future)
            else:
                await future
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def registry(*healthy: Side) -> LocalSideRegistry:
    """A side registry in which ``healthy`` each have one live filter node."""
    sides = LocalSideRegistry()
    for side in healthy:
        await sides.register(side, f"node-{side}")
    return sides


async def take(source: MatchSource, count: int, timeout: float = 10.0) -> list[Delivered]:
    """The next ``count`` items of ``source``; fails if they take over ``timeout`` s."""

    async def run() -> list[Delivered]:
        return [await anext(source) for _ in range(count)]

    return await asyncio.wait_for(run(), timeout)


async def rest(source: MatchSource, timeout: float = 10.0) -> list[Delivered]:
    """Every item up to the end of a bounded ``source``."""

    async def run() -> list[Delivered]:
        return [item async for item in source]

    return await asyncio.wait_for(run(), timeout)


async def assert_quiet(source: MatchSource, seconds: float = 1.0) -> None:
    """Fail if ``source`` delivers anything within ``seconds``."""
    try:
        item: Any = await asyncio.wait_for(anext(source), seconds)
    except TimeoutError:
        return
    raise AssertionError(f"unexpected delivery of tweet {item.tweet_id}")


def ids(items: Sequence[Delivered]) -> list[int]:
    return [item.tweet_id for item in items]

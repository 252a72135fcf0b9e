"""MatchFeed against the embedded broker: shared lanes, exact positions, slow readers."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence

import pytest
from aiokafka import (  # type: ignore[import-untyped, unused-ignore]
    AIOKafkaProducer,
    TopicPartition,
)

from powertrack.broker import MemoryProducer, MemoryReader, MemoryTopics, OutRecord, Reader
from powertrack.delivery import DeliveryError, FeedOverflowError, MatchFeed, Subscription
from tests.delivery.support import FEED, create_topics, new_account, now_ms

STEP_MS = 10


async def _produce(
    bootstrap: str,
    topic: str,
    values: Sequence[int],
    *,
    start_ms: int,
    chunk: int = 0,
    pause: float = 0.0,
    pad: int = 0,
) -> None:
    """``values`` to partition 0 of ``topic``, in order, ``STEP_MS`` apart from
    ``start_ms``: all in one batch, or ``chunk`` at a time, ``pause`` s apart;
    each value followed by ``pad`` spaces."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=2, max_batch_size=1 << 20
    )
    await producer.start()
    try:
        size = chunk or len(values)
        for first in range(0, len(values), size):
            sent = [
                await producer.send(
                    topic,
                    value=b"%d" % values[n] + b" " * pad,
                    partition=0,
                    timestamp_ms=start_ms + n * STEP_MS,
                )
                for n in range(first, min(first + size, len(values)))
            ]
            await asyncio.gather(*sent)
            await asyncio.sleep(pause)
    finally:
        await producer.stop()


async def _collect(subscription: Subscription, count: int, timeout: float = 15.0) -> list[int]:
    """The values of the next ``count`` records of ``subscription``."""
    values: list[int] = []

    async def run() -> None:
        while len(values) < count:
            values.extend(int(r.value) for r in await subscription.records(100))

    await asyncio.wait_for(run(), timeout)
    return values


async def _topic(bootstrap: str) -> str:
    return (await create_topics(bootstrap, new_account()))["A"]


async def test_streams_of_different_topics_share_one_lane(kafka_bootstrap: str) -> None:
    first, second = await _topic(kafka_bootstrap), await _topic(kafka_bootstrap)
    async with MatchFeed(kafka_bootstrap, options=FEED) as feed:
        one = await feed.subscribe(first, 0, 0)
        two = await feed.subscribe(second, 0, 0)
        assert feed.lanes == 1
        await _produce(kafka_bootstrap, first, range(50), start_ms=now_ms())
        await _produce(kafka_bootstrap, second, range(100, 130), start_ms=now_ms())
        assert await _collect(one, 50) == list(range(50))
        assert await _collect(two, 30) == list(range(100, 130))
        assert one.position == 50
        await one.close()
        await two.close()


async def test_each_subscription_gets_its_records_from_its_own_offset(
    kafka_bootstrap: str,
) -> None:
    topic = await _topic(kafka_bootstrap)
    await _produce(kafka_bootstrap, topic, range(40), start_ms=now_ms())
    async with MatchFeed(kafka_bootstrap, options=FEED) as feed:
        at_10 = await feed.subscribe(topic, 0, 10)
        also_at_10 = await feed.subscribe(topic, 0, 10)
        assert feed.lanes == 1
        # Another position of the same partition cannot share that lane.
        at_25 = await feed.subscribe(topic, 0, 25)
        assert feed.lanes == 2
        assert await _collect(at_10, 30) == list(range(10, 40))
        assert await _collect(also_at_10, 30) == list(range(10, 40))
        assert await _collect(at_25, 15) == list(range(25, 40))
        await _produce(kafka_bootstrap, topic, range(40, 45), start_ms=now_ms())
        for subscription in (at_10, also_at_10, at_25):
            assert await _collect(subscription, 5) == list(range(40, 45))
            await subscription.close()


async def test_subscriptions_coming_and_going_never_skip_or_repeat_a_record(
    kafka_bootstrap: str,
) -> None:
    # Every change reassigns the lane's consumer, which forgets its positions:
    # the steady reader must still get each record exactly once, in order.
    steady_topic, churn_topic = await _topic(kafka_bootstrap), await _topic(kafka_bootstrap)
    await _produce(kafka_bootstrap, churn_topic, range(5), start_ms=now_ms())
    total = 400
    async with MatchFeed(kafka_bootstrap, options=FEED) as feed:
        steady = await feed.subscribe(steady_topic, 0, 0)
        reading = asyncio.create_task(_collect(steady, total, timeout=60))
        producing = asyncio.create_task(
            _produce(
                kafka_bootstrap,
                steady_topic,
                range(total),
                start_ms=now_ms(),
                chunk=10,
                pause=0.03,
            )
        )
        changes = 0
        while not producing.done():
            passing = await feed.subscribe(churn_topic, 0, changes % 5)
            await asyncio.sleep(0.005)
            await passing.close()
            changes += 1
        await producing
        assert await reading == list(range(total))
        assert changes > 10
        assert feed.lanes == 1


async def test_a_reader_that_falls_behind_is_dropped_without_holding_others_back(
    kafka_bootstrap: str,
) -> None:
    topic = await _topic(kafka_bootstrap)
    options = dataclasses.replace(FEED, inbound_records=20)
    async with MatchFeed(kafka_bootstrap, options=options) as feed:
        idle = await feed.subscribe(topic, 0, 0)
        busy = await feed.subscribe(topic, 0, 0)
        reading = asyncio.create_task(_collect(busy, 60))
        await _produce(kafka_bootstrap, topic, range(60), start_ms=now_ms(), chunk=5, pause=0.05)
        assert await reading == list(range(60))
        with pytest.raises(FeedOverflowError):
            await idle.records(100)
        await idle.close()
        await busy.close()


async def test_an_idle_lane_stops_but_the_first_stays(kafka_bootstrap: str) -> None:
    topic = await _topic(kafka_bootstrap)
    options = dataclasses.replace(FEED, idle_lane_seconds=0.2)
    async with MatchFeed(kafka_bootstrap, options=options) as feed:
        first = await feed.subscribe(topic, 0, 0)
        second = await feed.subscribe(topic, 0, 3)
        assert feed.lanes == 2
        await first.close()
        await second.close()
        await asyncio.sleep(1.0)
        assert feed.lanes == 1
        # The remaining lane still reads.
        again = await feed.subscribe(topic, 0, 0)
        await _produce(kafka_bootstrap, topic, [7], start_ms=now_ms())
        assert await _collect(again, 1) == [7]
        await again.close()


async def test_look_ups_answer_offsets_and_times(kafka_bootstrap: str) -> None:
    topic = await _topic(kafka_bootstrap)
    start = now_ms() - 60_000
    # One batch of 30: Tansu reports the end of a partition as the last batch's
    # first offset plus one.
    await _produce(kafka_bootstrap, topic, range(30), start_ms=start)
    tp = TopicPartition(topic, 0)
    async with MatchFeed(kafka_bootstrap, options=FEED) as feed:
        assert topic in await feed.topics()
        assert await feed.bounds(tp) == (0, 30)
        assert await feed.end_offset(tp) == 30
        found = await asyncio.gather(
            *(feed.offset_for_time(tp, start + n * STEP_MS) for n in (0, 7, 29))
        )
        assert found == [0, 7, 29]
        assert await feed.offset_for_time(tp, start + 30 * STEP_MS) == 30


async def test_look_ups_answer_inside_a_batch_far_larger_than_their_fetch_limit(
    kafka_bootstrap: str,
) -> None:
    # Look-up consumers fetch at most 1 KB; a filter node publishes batches of
    # hundreds of KB. The broker answers the first batch whole anyway.
    topic = await _topic(kafka_bootstrap)
    start = now_ms() - 60_000
    await _produce(kafka_bootstrap, topic, range(400), start_ms=start, pad=500)
    tp = TopicPartition(topic, 0)
    async with MatchFeed(kafka_bootstrap, options=FEED) as feed:
        assert await feed.bounds(tp) == (0, 400)
        found = await asyncio.gather(
            *(feed.offset_for_time(tp, start + n * STEP_MS) for n in (0, 1, 123, 399))
        )
        assert found == [0, 1, 123, 399]
        assert await feed.offset_for_time(tp, start + 400 * STEP_MS) == 400
        values = await _collect(await feed.subscribe(topic, 0, 200), 200)
        assert values == list(range(200, 400))


async def test_stopping_the_feed_ends_its_readers(kafka_bootstrap: str) -> None:
    topic = await _topic(kafka_bootstrap)
    feed = MatchFeed(kafka_bootstrap, options=FEED)
    await feed.start()
    subscription = await feed.subscribe(topic, 0, 0)
    await feed.stop()
    with pytest.raises(DeliveryError, match="shutting down"):
        await subscription.records(100)
    with pytest.raises(DeliveryError, match="not running"):
        await feed.subscribe(topic, 0, 0)


async def test_a_feed_over_memory_readers_serves_subscriptions_and_look_ups() -> None:
    # The feed sees only the Reader seam: the same code runs over memory topics.
    topics = MemoryTopics()
    topics.create("matches", 1)
    producer = MemoryProducer(topics)
    await producer.start()
    await (await producer.send_batch("matches", 0, [OutRecord(b"%d" % n) for n in range(40)]))
    made: list[bool] = []

    def readers(*, lookup: bool, fetch_max_wait_ms: int) -> Reader:
        made.append(lookup)
        return MemoryReader(topics, fetch_records=16)

    tp = TopicPartition("matches", 0)
    async with MatchFeed("unused:9092", options=FEED, readers=readers) as feed:
        assert await feed.topics() == {"matches"}
        assert await feed.bounds(tp) == (0, 40)
        stamp = topics.records("matches", 0)[25].timestamp
        assert await feed.offset_for_time(tp, stamp) == next(
            r.offset for r in topics.records("matches", 0) if r.timestamp >= stamp
        )
        first = await feed.subscribe("matches", 0, 10)
        second = await feed.subscribe("matches", 0, 30)
        assert await _collect(first, 30) == list(range(10, 40))
        assert await _collect(second, 10) == list(range(30, 40))
    assert made[0] is True
    assert False in made

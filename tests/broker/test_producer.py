"""What every ``Producer`` must do, run against ``KafkaProducer`` and ``MemoryProducer``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
from aiokafka import (  # type: ignore[import-untyped, unused-ignore]
    AIOKafkaConsumer,
    TopicPartition,
)
from aiokafka.partitioner import (  # type: ignore[import-untyped, unused-ignore]
    DefaultPartitioner,
)
from hypothesis import given
from hypothesis import strategies as st

from powertrack.broker import (
    KafkaProducer,
    MemoryProducer,
    MemoryTopics,
    OutRecord,
    ProduceError,
    Producer,
    default_partition,
)
from powertrack.broker.generations import KafkaDirectory, MemoryDirectory
from powertrack.broker.producer import key_hash
from tests.broker.support import consume, topic_creator, unique

Stored = tuple[bytes | None, bytes, list[tuple[str, bytes]]]


@dataclass
class Side:
    """A producer under test, how to make topics for it and how to read them back."""

    make: Callable[[int], Producer]
    """A new, unstarted producer whose batches hold at most this many bytes."""
    create: Callable[[str, int], Awaitable[None]]
    read: Callable[[str, int, int], Awaitable[list[Stored]]]


def _kafka_side(bootstrap: str) -> Side:

    async def read(topic: str, partition: int, count: int) -> list[Stored]:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            tp = TopicPartition(topic, partition)
            consumer.assign([tp])
            consumer.seek(tp, 0)
            records = await consume(consumer, count)
        finally:
            await consumer.stop()
        return [(r.key, r.value, list(r.headers)) for r in records]

    return Side(
        lambda batch: KafkaProducer(bootstrap, client_id="test-producer", batch_bytes=batch),
        topic_creator(KafkaDirectory(bootstrap)),
        read,
    )


def _memory_side(topics: MemoryTopics) -> Side:

    async def read(topic: str, partition: int, count: int) -> list[Stored]:
        stored = topics.records(topic, partition)
        assert len(stored) >= count
        return [(r.key, r.value, list(r.headers)) for r in stored[:count]]

    return Side(lambda batch: MemoryProducer(topics), topic_creator(MemoryDirectory(topics)), read)


@pytest.fixture(params=["kafka", "memory"])
def side(request: pytest.FixtureRequest) -> Side:
    if request.param == "kafka":
        return _kafka_side(request.getfixturevalue("kafka_bootstrap"))
    return _memory_side(MemoryTopics())


@contextlib.asynccontextmanager
async def running(side: Side, batch_bytes: int = 64 * 1024) -> AsyncIterator[Producer]:
    producer = side.make(batch_bytes)
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


def _records(count: int, size: int = 10) -> list[OutRecord]:
    return [
        OutRecord(
            value=f"{n:06d}".encode() + b"x" * size,
            key=str(n).encode(),
            headers=[("n", str(n).encode()), ("kind", b"test")],
        )
        for n in range(count)
    ]


async def test_a_batch_is_stored_in_order_with_its_keys_and_headers(side: Side) -> None:
    topic = unique("produce")
    await side.create(topic, 1)
    records = _records(25)

    async with running(side) as producer:
        await (await producer.send_batch(topic, 0, records))

        stored = await side.read(topic, 0, 25)
        assert stored == [(r.key, r.value, list(r.headers)) for r in records]


async def test_records_without_headers_or_keys_are_stored(side: Side) -> None:
    topic = unique("bare")
    await side.create(topic, 1)
    records = [OutRecord(b"a"), OutRecord(b"b", headers=(("h", b"1"),))]

    async with running(side) as producer:
        await (await producer.send_batch(topic, 0, records))

        assert await side.read(topic, 0, 2) == [(None, b"a", []), (None, b"b", [("h", b"1")])]


async def test_batches_to_one_partition_are_stored_in_the_order_they_were_sent(side: Side) -> None:
    topic = unique("order")
    await side.create(topic, 2)
    records = _records(30)

    async with running(side) as producer:
        futures = [await producer.send_batch(topic, 1, records[n : n + 3]) for n in range(0, 30, 3)]
        await asyncio.gather(*futures)

        assert [value for _, value, _ in await side.read(topic, 1, 30)] == [
            r.value for r in records
        ]


async def test_a_batch_larger_than_the_batch_size_is_stored_whole_under_one_future(
    side: Side,
) -> None:
    topic = unique("split")
    await side.create(topic, 1)
    records = _records(40, size=1000)
    async with running(side, 4096) as producer:
        future = await producer.send_batch(topic, 0, records)
        await future

    assert [value for _, value, _ in await side.read(topic, 0, 40)] == [r.value for r in records]


async def test_partitions_counts_a_topics_partitions(side: Side) -> None:
    topic = unique("count")
    await side.create(topic, 3)

    async with running(side) as producer:
        assert await producer.partitions(topic) == 3


async def test_flush_waits_for_every_queued_batch(side: Side) -> None:
    topic = unique("flush")
    await side.create(topic, 1)
    async with running(side) as producer:
        futures = [await producer.send_batch(topic, 0, _records(5)) for _ in range(4)]

        await producer.flush()

        assert all(future.done() and future.exception() is None for future in futures)
        assert len(await side.read(topic, 0, 20)) == 20


async def test_an_empty_batch_is_done_at_once(side: Side) -> None:
    topic = unique("empty")
    await side.create(topic, 1)

    async with running(side) as producer:
        future = await producer.send_batch(topic, 0, [])

        assert future.done()
        assert future.exception() is None


async def test_a_stopped_producer_refuses_batches(side: Side) -> None:
    topic = unique("stopped")
    await side.create(topic, 1)
    producer = side.make(64 * 1024)
    await producer.start()
    await producer.stop()

    with pytest.raises(ProduceError):
        await (await producer.send_batch(topic, 0, _records(1)))


# The memory producer's failure modes, which stand in for a broker that is down
# or slow in the unit tests of what publishes.


async def test_the_memory_producer_fails_batches_while_its_broker_is_down() -> None:
    topics = MemoryTopics()
    topics.create("t")
    producer = MemoryProducer(topics)
    await producer.start()
    topics.down = True

    future = await producer.send_batch("t", 0, _records(2))

    with pytest.raises(ProduceError):
        await future
    assert topics.records("t") == []


async def test_the_memory_producer_holds_acknowledgements_until_released() -> None:
    topics = MemoryTopics(hold=True)
    topics.create("t")
    producer = MemoryProducer(topics)
    await producer.start()

    kept = await producer.send_batch("t", 0, _records(2))
    second = await producer.send_batch("t", 0, _records(1))
    await asyncio.sleep(0)
    assert not kept.done()
    assert topics.records("t") == []

    assert topics.release() == 2
    await asyncio.gather(kept, second)
    assert [r.offset for r in topics.records("t")] == [0, 1, 2]
    failed = await producer.send_batch("t", 0, _records(1))
    topics.release(fail=True)
    with pytest.raises(ProduceError):
        await failed


async def test_the_memory_producer_refuses_an_unknown_topic_or_partition() -> None:
    topics = MemoryTopics()
    topics.create("t", 2)
    producer = MemoryProducer(topics)
    await producer.start()

    with pytest.raises(ProduceError):
        await producer.partitions("nope")
    with pytest.raises(ProduceError):
        await producer.send_batch("t", 2, _records(1))


@given(st.binary(max_size=40), st.integers(min_value=1, max_value=64))
def test_default_partition_is_kafkas_default_partitioner(key: bytes, partitions: int) -> None:
    every = list(range(partitions))

    assert default_partition(key, partitions) == DefaultPartitioner()(key, every, every)
    assert key_hash(key) % partitions == default_partition(key, partitions)


def test_default_partition_puts_a_record_without_a_key_on_partition_0() -> None:
    assert default_partition(None, 8) == 0
    with pytest.raises(ValueError, match="at least 1"):
        default_partition(b"k", 0)

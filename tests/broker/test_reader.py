"""What every ``Reader`` must do, run against ``KafkaReader`` and ``MemoryReader``."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest

from powertrack.broker import (
    KafkaProducer,
    KafkaReader,
    MemoryProducer,
    MemoryReader,
    MemoryTopics,
    OutRecord,
    Producer,
    Reader,
    TopicPartition,
)
from powertrack.broker.generations import KafkaDirectory, MemoryDirectory
from powertrack.delivery.timeindex import offset_bounds, offset_for_time
from tests.broker.support import topic_creator, unique


@dataclass
class Side:
    """A broker under test: a producer and readers over it, and how to make a topic."""

    producer: Callable[[], Producer]
    reader: Callable[[], Reader]
    create: Callable[[str, int], Awaitable[None]]


@pytest.fixture(params=["kafka", "memory"])
def side(request: pytest.FixtureRequest) -> Side:
    if request.param == "kafka":
        bootstrap: str = request.getfixturevalue("kafka_bootstrap")
        return Side(
            lambda: KafkaProducer(bootstrap, client_id="test-reader"),
            lambda: KafkaReader(bootstrap, fetch_max_wait_ms=50),
            topic_creator(KafkaDirectory(bootstrap)),
        )
    topics = MemoryTopics()
    # A small fetch, so that reading on across fetches is exercised too.
    return Side(
        lambda: MemoryProducer(topics),
        lambda: MemoryReader(topics, fetch_records=7),
        topic_creator(MemoryDirectory(topics)),
    )


@contextlib.asynccontextmanager
async def started(side: Side) -> AsyncIterator[tuple[Producer, Reader]]:
    producer, reader = side.producer(), side.reader()
    await producer.start()
    await reader.start()
    try:
        yield producer, reader
    finally:
        await reader.stop()
        await producer.stop()


async def _publish(producer: Producer, topic: str, count: int, *, one_by_one: bool = False) -> None:
    records = [
        OutRecord(value=b"v%d" % n, key=b"k%d" % n, headers=[("n", b"%d" % n)])
        for n in range(count)
    ]
    if not one_by_one:
        await (await producer.send_batch(topic, 0, records))
        return
    for record in records:
        # A batch each, a few ms apart: distinct timestamps, and ends that the
        # embedded broker reports exactly (it counts to the last batch's start).
        await (await producer.send_batch(topic, 0, [record]))
        await asyncio.sleep(0.003)


async def _read(reader: Reader, tp: TopicPartition, count: int) -> list[object]:
    records: list[object] = []
    deadline = time.monotonic() + 15
    while len(records) < count and time.monotonic() < deadline:
        records.extend((await reader.getmany(tp, timeout_ms=200)).get(tp, []))
    return records


async def test_a_sought_partition_is_read_from_that_offset_in_order(side: Side) -> None:
    topic = unique("read")
    await side.create(topic, 1)
    async with started(side) as (producer, reader):
        await _publish(producer, topic, 30)
        tp = TopicPartition(topic, 0)
        reader.assign([tp])
        reader.seek(tp, 12)
        records = await _read(reader, tp, 18)
        assert [r.offset for r in records] == list(range(12, 30))  # type: ignore[attr-defined]
        assert await reader.position(tp) == 30
        first = records[0]
        assert (first.key, first.value, list(first.headers)) == (  # type: ignore[attr-defined]
            b"k12",
            b"v12",
            [("n", b"12")],
        )
        assert await reader.getmany(tp, timeout_ms=100) == {}

        reader.seek(tp, 3)
        again = await _read(reader, tp, 1)
        assert again[0].offset == 3  # type: ignore[attr-defined]


async def test_max_records_bounds_what_one_fetch_hands_out(side: Side) -> None:
    topic = unique("max")
    await side.create(topic, 1)
    async with started(side) as (producer, reader):
        await _publish(producer, topic, 10)
        tp = TopicPartition(topic, 0)
        reader.assign([tp])
        reader.seek(tp, 4)
        taken: list[object] = []
        deadline = time.monotonic() + 15
        while not taken and time.monotonic() < deadline:
            taken = (await reader.getmany(tp, timeout_ms=200, max_records=1)).get(tp, [])
        assert [r.offset for r in taken] == [4]  # type: ignore[attr-defined]
        following = await _read(reader, tp, 1)
        assert following[0].offset == 5  # type: ignore[attr-defined]


async def test_an_empty_fetch_waits_for_its_timeout(side: Side) -> None:
    topic = unique("empty")
    await side.create(topic, 1)
    async with started(side) as (_, reader):
        tp = TopicPartition(topic, 0)
        reader.assign([tp])
        reader.seek(tp, 0)
        began = time.monotonic()
        assert await reader.getmany(tp, timeout_ms=300) == {}
        assert time.monotonic() - began >= 0.25


async def test_topics_and_bounds(side: Side) -> None:
    topic = unique("bounds")
    await side.create(topic, 2)
    async with started(side) as (producer, reader):
        await _publish(producer, topic, 6, one_by_one=True)
        assert topic in await reader.topics()
        tps = [TopicPartition(topic, 0), TopicPartition(topic, 1)]
        reader.assign(tps)
        assert await reader.end_offsets(tps) == {tps[0]: 6, tps[1]: 0}
        assert await reader.beginning_offsets(tps) == {tps[0]: 0, tps[1]: 0}
        assert await offset_bounds(reader, tps[0]) == (0, 6)


async def test_a_time_is_found_by_search_over_any_reader(side: Side) -> None:
    topic = unique("time")
    await side.create(topic, 1)
    async with started(side) as (producer, reader):
        await _publish(producer, topic, 12, one_by_one=True)
        tp = TopicPartition(topic, 0)
        reader.assign([tp])
        reader.seek(tp, 0)
        stamps = [r.timestamp for r in await _read(reader, tp, 12)]  # type: ignore[attr-defined]
        assert stamps == sorted(stamps)
        for n in (0, 5, 11):
            expected = stamps.index(stamps[n])
            assert await offset_for_time(reader, topic, 0, stamps[n]) == expected
        assert await offset_for_time(reader, topic, 0, stamps[-1] + 1) == 12


async def test_the_memory_reader_answers_offsets_for_times_as_kafka_does() -> None:
    topics = MemoryTopics()
    topics.create("t", 1)
    producer, reader = MemoryProducer(topics), MemoryReader(topics)
    await producer.start()
    await reader.start()
    await _publish(producer, "t", 5, one_by_one=True)
    tp = TopicPartition("t", 0)
    stamps = [r.timestamp for r in topics.records("t", 0)]
    found = await reader.offsets_for_times({tp: stamps[2]})
    assert found[tp].offset == stamps.index(stamps[2])
    assert (await reader.offsets_for_times({tp: stamps[-1] + 1}))[tp] is None
    assert await offset_for_time(reader, "t", 0, stamps[3], use_offsets_for_times=True) == (
        stamps.index(stamps[3])
    )


async def test_a_catch_up_reads_exactly_its_range_over_a_reader() -> None:
    from powertrack.filter.catchup import read_range

    topics = MemoryTopics()
    topics.create("firehose", 2)
    producer = MemoryProducer(topics)
    await producer.start()
    await (await producer.send_batch("firehose", 1, [OutRecord(b"%d" % n) for n in range(50)]))
    batches = [
        [r.offset for r in batch]
        async for batch in read_range(
            "unused:9092",
            "firehose",
            1,
            7,
            31,
            client_id="test",
            reader=MemoryReader(topics, fetch_records=10),
        )
    ]
    assert [offset for batch in batches for offset in batch] == list(range(7, 31))
    assert max(len(batch) for batch in batches) <= 10

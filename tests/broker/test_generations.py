"""Topic generations: the embedded broker's retention, behind the client seams.

Most tests run over memory topics with a clock the test moves; the last ones
run the same clients against a Tansu broker that rolls generations every 2 s.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import pytest

from powertrack.broker import (
    GenerationJanitor,
    GenerationPolicy,
    MemoryGroupConsumer,
    MemoryProducer,
    MemoryReader,
    MemoryTopics,
    OutRecord,
    TansuBroker,
    TopicPartition,
    TopicSpec,
)
from powertrack.broker.clients import kafka_group_consumer, kafka_producer, kafka_reader
from powertrack.broker.generations import (
    GenerationalGroupConsumer,
    GenerationalProducer,
    GenerationalReader,
    MemoryDirectory,
    logical_offset,
    physical_topic,
    split_logical,
    split_physical,
)
from powertrack.delivery.timeindex import offset_bounds, offset_for_time
from tests.broker.support import unique

PERIOD = 10
POLICY = GenerationPolicy(PERIOD, keep=3)
TOPIC = "firehose"
BASE = 1_800_000_000.0  # a period boundary: 180,000,000 x 10 s


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _topics(*, marker: bool = True, partitions: int = 2) -> MemoryTopics:
    topics = MemoryTopics()
    topics.create(TOPIC, partitions)
    if marker:
        topics.create(POLICY.marker)
    return topics


async def _producer(topics: MemoryTopics, clock: Clock) -> GenerationalProducer:
    producer = GenerationalProducer(MemoryProducer(topics), MemoryDirectory(topics), clock=clock)
    await producer.start()
    return producer


async def _reader(topics: MemoryTopics, clock: Clock, fetch: int = 500) -> GenerationalReader:
    reader = GenerationalReader(MemoryReader(topics, fetch_records=fetch), clock=clock)
    await reader.start()
    return reader


async def _send(
    producer: GenerationalProducer, values: Sequence[bytes], partition: int = 0
) -> None:
    future = await producer.send_batch(TOPIC, partition, [OutRecord(v) for v in values])
    await future


async def _read_all(reader: GenerationalReader, tp: TopicPartition, clock: Clock) -> list[Any]:
    got: list[Any] = []
    while True:
        batch = await reader.getmany(tp, timeout_ms=300)
        if not batch:
            return got
        got.extend(batch[tp])


def test_offsets_and_names_round_trip() -> None:
    assert split_logical(logical_offset(180_000_001, 77)) == (180_000_001, 77)
    assert split_physical(physical_topic("powertrack.A.acme.prod", 12)) == (
        "powertrack.A.acme.prod",
        12,
    )
    # A stream label cannot make a generation of a topic that is not there.
    assert split_physical("powertrack.A.acme.g5") is None
    with pytest.raises(ValueError, match="does not fit"):
        logical_offset(1, 1 << 24)
    # Producers switch early; readers wait past the switch for late records.
    assert POLICY.generation(BASE - 0.1) == POLICY.generation(BASE)
    assert POLICY.closes_at(POLICY.generation(BASE) - 1) > BASE


async def test_a_partition_reads_on_across_generations_in_order() -> None:
    topics, clock = _topics(), Clock(BASE + 1)
    producer = await _producer(topics, clock)
    reader = await _reader(topics, clock, fetch=3)
    tp = TopicPartition(TOPIC, 0)
    reader.assign([tp])
    n = POLICY.generation(clock.now)
    await _send(producer, [b"a0", b"a1", b"a2", b"a3"])
    clock.now += PERIOD
    await _send(producer, [b"b0", b"b1"])
    clock.now += PERIOD
    await _send(producer, [b"c0"])
    # Each generation is a topic of its own, with the topic's partitions.
    for g in (n, n + 1, n + 2):
        assert len(topics.partitions[physical_topic(TOPIC, g)]) == 2
    assert [r.value for r in topics.records(physical_topic(TOPIC, n + 1))] == [b"b0", b"b1"]

    got = await _read_all(reader, tp, clock)
    assert [r.value for r in got] == [b"a0", b"a1", b"a2", b"a3", b"b0", b"b1", b"c0"]
    assert {r.topic for r in got} == {TOPIC}
    offsets = [r.offset for r in got]
    assert offsets == sorted(offsets)
    assert [split_logical(o) for o in offsets[3:6]] == [(n, 3), (n + 1, 0), (n + 1, 1)]
    assert await reader.position(tp) == logical_offset(n + 2, 1)
    # Reading again from a record's offset gives that record first.
    reader.seek(tp, offsets[4])
    assert [r.value for r in (await reader.getmany(tp, timeout_ms=300))[tp]][:1] == [b"b0"]


async def test_a_generation_is_read_to_its_end_before_the_next() -> None:
    # A record stored in the old generation after the switch (it was sent just
    # before) still comes before the next generation's records.
    topics, clock = _topics(), Clock(BASE + 5)
    producer = await _producer(topics, clock)
    reader = await _reader(topics, clock)
    tp = TopicPartition(TOPIC, 0)
    reader.assign([tp])
    n = POLICY.generation(clock.now)
    await _send(producer, [b"old"])
    assert [r.value for r in (await reader.getmany(tp, timeout_ms=300))[tp]] == [b"old"]
    clock.now = BASE + PERIOD  # switched, not yet closed
    await _send(producer, [b"new"])
    late = physical_topic(TOPIC, n)
    assert await reader.getmany(tp, timeout_ms=300) == {}
    topics.partitions[late][0].append(
        topics.partitions[late][0][0].__class__(late, 0, 1, 0, None, b"late", ())
    )
    assert [r.value for r in (await reader.getmany(tp, timeout_ms=300))[tp]] == [b"late"]
    clock.now = POLICY.closes_at(n) + 0.01
    got = await reader.getmany(tp, timeout_ms=1500)
    assert [r.value for r in got[tp]] == [b"new"]


async def test_old_generations_are_deleted_and_readers_move_past_them() -> None:
    topics, clock = _topics(), Clock(BASE + 1)
    producer = await _producer(topics, clock)
    tp = TopicPartition(TOPIC, 1)
    n = POLICY.generation(clock.now)
    for g in range(5):
        await _send(producer, [b"g%d" % g], partition=1)
        clock.now += PERIOD
    janitor = GenerationJanitor(MemoryDirectory(topics), POLICY, clock=clock)
    deleted = await janitor.sweep()
    # The clock is in generation n + 5 now: the newest three are kept.
    assert sorted(deleted) == sorted(physical_topic(TOPIC, g) for g in range(n, n + 3))
    assert await janitor.sweep() == []
    reader = await _reader(topics, clock)
    reader.assign([tp])
    assert await reader.beginning_offsets([tp]) == {tp: logical_offset(n + 3, 0)}
    # A position in a deleted generation reads on from the oldest kept one.
    reader.seek(tp, logical_offset(n, 0))
    assert [r.value for r in await _read_all(reader, tp, clock)] == [b"g3", b"g4"]


async def test_a_seek_into_the_gap_between_generations_reads_the_next_record() -> None:
    topics, clock = _topics(), Clock(BASE + 1)
    producer = await _producer(topics, clock)
    tp = TopicPartition(TOPIC, 0)
    n = POLICY.generation(clock.now)
    await _send(producer, [b"x0", b"x1"])
    clock.now += PERIOD
    await _send(producer, [b"y0"])
    clock.now += PERIOD
    reader = await _reader(topics, clock)
    reader.assign([tp])
    reader.seek(tp, logical_offset(n, 1000))
    got = await reader.getmany(tp, timeout_ms=300)
    assert [(r.value, r.offset) for r in got[tp]] == [(b"y0", logical_offset(n + 1, 0))]
    assert await reader.end_offsets([tp]) == {tp: logical_offset(n + 1, 1)}
    assert await offset_bounds(reader, tp) == (logical_offset(n, 0), logical_offset(n + 1, 1))


async def test_a_time_search_finds_records_across_generations() -> None:
    topics, clock = _topics(partitions=1), Clock(BASE + 1)
    producer = await _producer(topics, clock)
    tp = TopicPartition(TOPIC, 0)
    for _ in range(4):
        for _ in range(5):
            await _send(producer, [b"t"])
            clock.now += 0.5
        clock.now += PERIOD - 2.5
    reader = await _reader(topics, clock)
    reader.assign([tp])
    every = list(await _read_all(reader, tp, clock))
    assert len(every) == 20
    for wanted in (every[0], every[7], every[13], every[19]):
        found = await offset_for_time(reader, TOPIC, 0, wanted.timestamp)
        # Records stored in one millisecond share a timestamp, and offsets jump
        # between generations: the answer is the first offset whose next record
        # is the first one at or after the time, which may sit in the jump before it.
        index = next(i for i, r in enumerate(every) if r.timestamp >= wanted.timestamp)
        first = every[index]
        assert (every[index - 1].offset if index else -1) < found <= first.offset
        reader.seek(tp, found)
        assert (await reader.getmany(tp, timeout_ms=300))[tp][0].offset == first.offset
    end = await offset_for_time(reader, TOPIC, 0, every[-1].timestamp + 1)
    assert end == every[-1].offset + 1


async def test_a_group_commits_logical_offsets_and_resumes_from_them() -> None:
    topics, clock = _topics(), Clock(BASE + 1)
    producer = await _producer(topics, clock)
    n = POLICY.generation(clock.now)
    await _send(producer, [b"a0", b"a1"], partition=0)
    clock.now += PERIOD
    await _send(producer, [b"b0", b"b1"], partition=0)
    assigned: list[Sequence[TopicPartition]] = []

    async def revoked(_: Sequence[TopicPartition]) -> None:
        return None

    def member(on_revoked: Any, on_assigned: Any) -> MemoryGroupConsumer:
        return MemoryGroupConsumer(
            topics, TOPIC, "g", on_revoked=on_revoked, on_assigned=on_assigned
        )

    def consumer() -> GenerationalGroupConsumer:
        reader = GenerationalReader(MemoryReader(topics), clock=clock)
        return GenerationalGroupConsumer(
            member, reader, on_revoked=revoked, on_assigned=assigned.append
        )

    first = consumer()
    await first.start()
    tp = TopicPartition(TOPIC, 0)
    assert first.assignment() == {tp, TopicPartition(TOPIC, 1)}
    got: list[Any] = []
    while len(got) < 4:
        got.extend((await first.getmany(timeout_ms=20)).get(tp, []))
    assert [r.value for r in got] == [b"a0", b"a1", b"b0", b"b1"]
    await first.commit({tp: got[2].offset + 1})
    await first.stop()
    # The anchor holds the commit, as a logical offset, and no records.
    assert topics.committed["g"][(TOPIC, 0)] == logical_offset(n + 1, 1)
    assert topics.records(TOPIC) == []

    second = consumer()
    await second.start()
    again: list[Any] = []
    while not again:
        again.extend((await second.getmany(timeout_ms=20)).get(tp, []))
    assert [r.value for r in again] == [b"b1"]
    assert await second.position(tp) == logical_offset(n + 1, 2)
    await second.stop()


async def test_without_the_marker_every_call_goes_straight_through() -> None:
    topics, clock = _topics(marker=False), Clock(BASE + 1)
    producer = await _producer(topics, clock)
    reader = await _reader(topics, clock)
    await _send(producer, [b"p0", b"p1"])
    assert producer.policy is None
    assert reader.policy is None
    assert [r.value for r in topics.records(TOPIC, 0)] == [b"p0", b"p1"]
    tp = TopicPartition(TOPIC, 0)
    reader.assign([tp])
    assert [r.offset for r in (await reader.getmany(tp, timeout_ms=300))[tp]] == [0, 1]
    assert await reader.topics() == {TOPIC}


async def test_the_producer_creates_the_next_generation_ahead_of_time() -> None:
    topics, clock = _topics(), Clock(BASE + PERIOD - 3)
    producer = await _producer(topics, clock)
    n = POLICY.generation(clock.now)
    await _send(producer, [b"v"])
    for _ in range(100):
        if physical_topic(TOPIC, n + 1) in topics.partitions:
            break
        await asyncio.sleep(0.01)
    assert physical_topic(TOPIC, n + 1) in topics.partitions
    await producer.stop()


# --- against the embedded broker


@pytest.fixture
def rolling_broker() -> Any:
    broker = TansuBroker(generations=GenerationPolicy(2, keep=2))
    asyncio.run(broker.start())
    yield broker
    asyncio.run(broker.stop())


async def test_kafka_clients_read_and_write_generations_on_tansu(
    rolling_broker: TansuBroker,
) -> None:
    bootstrap = rolling_broker.bootstrap_servers
    topic = unique("gens")
    await rolling_broker.ensure_topics([TopicSpec(topic, 2)])
    producer = kafka_producer(bootstrap, client_id="test-gens")
    reader = kafka_reader(bootstrap, fetch_max_wait_ms=50)
    await producer.start()
    await reader.start()
    tp = TopicPartition(topic, 1)
    reader.assign([tp])
    reader.seek(tp, (await reader.end_offsets([tp]))[tp])
    sent: list[bytes] = []
    got: list[Any] = []
    deadline = time.monotonic() + 5.0
    n = 0
    while time.monotonic() < deadline:
        values = [b"r%d" % (n + i) for i in range(3)]
        await (await producer.send_batch(topic, 1, [OutRecord(v) for v in values]))
        sent.extend(values)
        n += 3
        got.extend((await reader.getmany(tp, timeout_ms=100)).get(tp, []))
    while len(got) < len(sent) and time.monotonic() < deadline + 5:
        got.extend((await reader.getmany(tp, timeout_ms=200)).get(tp, []))
    assert [r.value for r in got] == sent
    generations = {split_logical(r.offset)[0] for r in got}
    assert len(generations) >= 2
    names = await rolling_broker.list_topics()
    assert topic in names
    assert any(split_physical(name) for name in names)
    assert await reader.topics() >= {topic}
    assert not any(split_physical(name) for name in await reader.topics())
    # The janitor deletes all but the newest two (and the next, made ahead of time).
    janitor = rolling_broker.janitor()
    deleted = await janitor.sweep()
    assert deleted
    left = [split_physical(name) for name in await rolling_broker.list_topics()]
    now = janitor.policy.generation(time.time())
    assert {found[1] for found in left if found and found[0] == topic} <= {now - 1, now, now + 1}
    await reader.stop()
    await producer.stop()


async def test_a_kafka_group_resumes_from_its_logical_commit_on_tansu(
    rolling_broker: TansuBroker,
) -> None:
    bootstrap = rolling_broker.bootstrap_servers
    topic, group = unique("gens"), unique("group")
    await rolling_broker.ensure_topics([TopicSpec(topic, 1)])
    producer = kafka_producer(bootstrap)
    await producer.start()
    tp = TopicPartition(topic, 0)
    await (await producer.send_batch(topic, 0, [OutRecord(b"one"), OutRecord(b"two")]))

    async def revoked(_: Sequence[TopicPartition]) -> None:
        return None

    def consumer() -> GenerationalGroupConsumer:
        return kafka_group_consumer(
            bootstrap,
            topic,
            group,
            on_revoked=revoked,
            on_assigned=lambda _: None,
            fetch_max_wait_ms=50,
            session_timeout_ms=2000,
            heartbeat_interval_ms=300,
        )

    first = consumer()
    await first.start()
    got: list[Any] = []
    deadline = time.monotonic() + 15
    while len(got) < 2 and time.monotonic() < deadline:
        got.extend((await first.getmany(timeout_ms=200)).get(tp, []))
    assert [r.value for r in got] == [b"one", b"two"]
    await first.commit({tp: got[0].offset + 1})
    assert await first.committed(tp) == got[0].offset + 1
    await first.stop()
    await asyncio.sleep(2.5)  # the next generation
    await (await producer.send_batch(topic, 0, [OutRecord(b"three")]))
    second = consumer()
    await second.start()
    again: list[Any] = []
    deadline = time.monotonic() + 15
    while len(again) < 2 and time.monotonic() < deadline:
        again.extend((await second.getmany(timeout_ms=200)).get(tp, []))
    assert [r.value for r in again] == [b"two", b"three"]
    await second.stop()
    await producer.stop()


async def test_the_end_is_in_the_generation_being_written_not_one_made_ahead() -> None:
    topics, clock = _topics(), Clock(BASE + PERIOD - 3)
    producer = await _producer(topics, clock)
    n = POLICY.generation(clock.now)
    await _send(producer, [b"v0", b"v1"])
    topics.create(physical_topic(TOPIC, n + 1), 2)  # as made ahead of time
    reader = await _reader(topics, clock)
    tp = TopicPartition(TOPIC, 0)
    reader.assign([tp])
    assert await reader.end_offsets([tp]) == {tp: logical_offset(n, 2)}
    assert (await offset_bounds(reader, tp))[1] == logical_offset(n, 2)
    # A stream started at the end gets the next record at once.
    reader.seek(tp, logical_offset(n, 2))
    await _send(producer, [b"v2"])
    assert [r.value for r in (await reader.getmany(tp, timeout_ms=300))[tp]] == [b"v2"]
    # Just after the switch, with nothing in the new generation yet, the end
    # is still the old generation's: the record before it exists.
    clock.now = BASE + PERIOD + 0.1
    other = TopicPartition(TOPIC, 1)
    await _send(producer, [b"w0"], partition=1)
    assert physical_topic(TOPIC, n + 1) in topics.partitions
    assert await reader.end_offsets([tp, other]) == {
        tp: logical_offset(n, 3),
        other: logical_offset(n + 1, 1),
    }

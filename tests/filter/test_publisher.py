"""The node's publisher over the in-memory producer: batches, acknowledgements, retries."""

from __future__ import annotations

import asyncio

from powertrack.broker import MemoryProducer, MemoryTopics, default_partition
from powertrack.broker.producer import key_hash
from powertrack.filter.config import FilterConfig, FilterCounters
from powertrack.filter.offsets import OffsetTracker
from powertrack.filter.publisher import Publisher, publish_all
from powertrack.filter.records import Publish
from powertrack.metrics import NodeMetrics

CONFIG = FilterConfig(side="A", max_retry_delay=0.05)


def _publish(topic: str, partition: int, offset: int, key: str = "k") -> Publish:
    value = f"{topic}:{partition}@{offset}".encode()
    return Publish(topic, value, key.encode(), [("h", b"1")], partition, offset, True)


class Setup:
    def __init__(self, topics: MemoryTopics) -> None:
        self.topics = topics
        self.producer = MemoryProducer(topics)
        self.tracker: OffsetTracker[int] = OffsetTracker()
        self.counters = FilterCounters()
        self.acks = 0
        self.publisher = Publisher(
            self.producer,
            self.tracker,
            CONFIG,
            self.counters,
            NodeMetrics(None, "A", "main"),
            self._acked,
        )

    def _acked(self) -> None:
        self.acks += 1

    def read(self, partition: int, offset: int, publishes: int) -> None:
        self.tracker.read(partition, offset, publishes)


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_firehose_batch_goes_out_as_one_batch_per_topic_partition() -> None:
    topics = MemoryTopics()
    topics.create("s1")
    topics.create("s2")
    setup = Setup(topics)
    await setup.producer.start()
    publishes = []
    for offset in range(10):
        setup.read(0, offset, 2)
        publishes += [_publish("s1", 0, offset), _publish("s2", 0, offset)]

    await setup.publisher.publish(publishes)
    await setup.publisher.flush()
    await _settle()

    assert setup.producer.batches == 2
    assert [r.value for r in topics.records("s1")] == [f"s1:0@{n}".encode() for n in range(10)]
    assert [r.headers for r in topics.records("s2")] == [(("h", b"1"),)] * 10
    assert setup.tracker.safe_offset(0) == 10
    assert setup.counters.published == 20
    assert setup.acks == 2


async def test_a_topic_of_several_partitions_gets_each_record_where_its_key_goes() -> None:
    topics = MemoryTopics()
    topics.create("wide", 4)
    setup = Setup(topics)
    await setup.producer.start()
    keys = [f"tweet-{n}" for n in range(40)]
    for offset in range(40):
        setup.read(3, offset, 1)

    publishes = [_publish("wide", 3, n, keys[n]) for n in range(40)]
    for publish in publishes[::2]:
        # As match_publishes gives them: the key's hash, once per tweet.
        publish.key_hash = key_hash(publish.key or b"")
    await setup.publisher.publish(publishes)
    await _settle()

    for partition in range(4):
        stored = topics.records("wide", partition)
        expected = [k for k in keys if default_partition(k.encode(), 4) == partition]
        assert [r.key for r in stored] == [k.encode() for k in expected]
    assert setup.tracker.safe_offset(3) == 40


async def test_offsets_wait_for_the_broker_to_acknowledge_the_batch() -> None:
    topics = MemoryTopics(hold=True)
    topics.create("s")
    setup = Setup(topics)
    await setup.producer.start()
    setup.read(0, 0, 1)
    setup.read(0, 1, 0)

    await setup.publisher.publish([_publish("s", 0, 0)])
    await _settle()
    assert setup.tracker.safe_offset(0) is None
    assert setup.tracker.in_flight() == 1

    topics.release()
    await _settle()
    assert setup.tracker.safe_offset(0) == 2
    assert setup.tracker.in_flight() == 0


async def test_a_failed_batch_is_sent_again_whole_until_it_is_stored() -> None:
    topics = MemoryTopics()
    topics.create("s")
    setup = Setup(topics)
    await setup.producer.start()
    for offset in range(3):
        setup.read(0, offset, 1)
    topics.down = True

    await setup.publisher.publish([_publish("s", 0, n) for n in range(3)])
    await _settle()
    assert setup.counters.publish_retries == 3
    assert setup.tracker.safe_offset(0) is None

    topics.down = False
    async with asyncio.timeout(5):
        while setup.tracker.safe_offset(0) != 3:
            await asyncio.sleep(0.01)
    assert [r.value for r in topics.records("s")] == [f"s:0@{n}".encode() for n in range(3)]
    await setup.publisher.close()


async def test_a_closed_publisher_stops_retrying_and_leaves_the_offsets_uncommitted() -> None:
    topics = MemoryTopics(down=False)
    topics.create("s")
    setup = Setup(topics)
    await setup.producer.start()
    setup.read(0, 0, 1)
    topics.down = True
    await setup.publisher.publish([_publish("s", 0, 0)])
    await _settle()

    await setup.publisher.close()
    topics.down = False
    await asyncio.sleep(0.2)

    assert topics.records("s") == []
    assert setup.tracker.safe_offset(0) is None


async def test_publish_all_returns_what_was_not_stored() -> None:
    topics = MemoryTopics()
    topics.create("there")
    producer = MemoryProducer(topics)
    await producer.start()
    stored = [_publish("there", 0, n) for n in range(3)]
    missing = [_publish("absent", 0, n) for n in range(2)]

    failed = await publish_all(producer, stored + missing)

    assert failed == missing
    assert len(topics.records("there")) == 3
    assert all(p.attempts == 1 for p in stored)

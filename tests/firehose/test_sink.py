"""Tweet sinks: the in-memory test double, and the Kafka sink over in-memory producers."""

from __future__ import annotations

import asyncio

import pytest

from powertrack.broker.producer import MemoryProducer, MemoryTopics, default_partition
from powertrack.firehose.sink import KafkaTweetSink, ListTweetSink, PublishError, tweet_key

TOPIC = "firehose"
PARTITIONS = 4


@pytest.fixture
def topics() -> MemoryTopics:
    found = MemoryTopics()
    found.create(TOPIC, PARTITIONS)
    return found


async def _started(topics: MemoryTopics) -> MemoryProducer:
    producer = MemoryProducer(topics)
    await producer.start()
    return producer


def _tweet(tweet_id: int) -> bytes:
    return b'{"id":%d}' % tweet_id


def test_the_key_is_the_tweet_id_in_ascii() -> None:
    assert tweet_key(1664059180470878209) == b"1664059180470878209"


async def test_tweets_are_batched_per_partition_of_their_key_in_order(topics: MemoryTopics) -> None:
    producer = await _started(topics)
    sink = KafkaTweetSink(producer, TOPIC)
    ids = list(range(1000, 1200))
    for tweet_id in ids:
        await sink.send(tweet_id, _tweet(tweet_id))
    assert topics.records(TOPIC) == []  # gathered, not sent one by one
    await sink.flush()
    assert producer.batches == PARTITIONS  # one batch per partition
    for partition in range(PARTITIONS):
        stored = topics.records(TOPIC, partition)
        expected = [i for i in ids if default_partition(tweet_key(i), PARTITIONS) == partition]
        assert [r.key for r in stored] == [tweet_key(i) for i in expected]
        assert [r.value for r in stored] == [_tweet(i) for i in expected]
    await sink.close()


async def test_a_full_batch_is_handed_over_without_waiting_for_flush(topics: MemoryTopics) -> None:
    producer = await _started(topics)
    topics.partitions.clear()
    topics.create(TOPIC, 1)
    sink = KafkaTweetSink(producer, TOPIC, batch_records=3, linger_ms=60_000)
    for tweet_id in range(7):
        await sink.send(tweet_id, _tweet(tweet_id))
    await asyncio.sleep(0)  # the hand-over runs on its own task
    assert [r.key for r in topics.records(TOPIC)] == [tweet_key(i) for i in range(6)]
    assert sink.gathered == 1
    await sink.flush()
    assert len(topics.records(TOPIC)) == 7
    assert producer.batches == 3

    # By size: each tweet here is 10 bytes plus key and overhead, so two fit.
    sized = KafkaTweetSink(producer, TOPIC, batch_bytes=2 * (10 + 2 + 24), linger_ms=60_000)
    for tweet_id in range(10, 15):
        await sized.send(tweet_id, b"0123456789")
    await sized.flush()
    assert producer.batches == 3 + 3
    await sink.close()
    await sized.close()


async def test_flush_waits_until_the_broker_acknowledges_every_tweet(topics: MemoryTopics) -> None:
    producer = await _started(topics)
    topics.hold = True
    sink = KafkaTweetSink(producer, TOPIC)
    for tweet_id in range(50):
        await sink.send(tweet_id, _tweet(tweet_id))
    flush = asyncio.create_task(sink.flush())
    await asyncio.sleep(0.01)
    assert not flush.done()
    assert sink.in_flight == PARTITIONS
    assert topics.release() == PARTITIONS
    await asyncio.wait_for(flush, 1)
    assert sink.in_flight == 0
    assert len(topics.records(TOPIC)) == 50
    await sink.close()


async def test_a_lone_tweet_is_sent_by_flush_or_after_the_linger(topics: MemoryTopics) -> None:
    producer = await _started(topics)
    sink = KafkaTweetSink(producer, TOPIC, linger_ms=60_000)
    await sink.send(7, _tweet(7))
    await asyncio.wait_for(sink.flush(), 1)
    assert [r.key for r in topics.records(TOPIC)] == [b"7"]

    lingering = KafkaTweetSink(producer, TOPIC, linger_ms=1)
    await lingering.send(8, _tweet(8))
    for _ in range(100):
        if len(topics.records(TOPIC)) == 2:
            break
        await asyncio.sleep(0.005)
    assert [r.key for r in topics.records(TOPIC)] == [b"7", b"8"]
    await sink.close()
    await lingering.close()


async def test_a_failed_delivery_is_raised_once_by_flush(topics: MemoryTopics) -> None:
    producer = await _started(topics)
    sink = KafkaTweetSink(producer, TOPIC)
    await sink.send(1, b"{}")
    await sink.send(2, b"{}")
    topics.down = True
    with pytest.raises(PublishError, match="2 tweet"):
        await sink.flush()
    await sink.flush()  # reported once; the sink carries on
    topics.down = False
    await sink.send(3, b"{}")
    await sink.flush()
    assert [r.key for r in topics.records(TOPIC)] == [b"3"]
    await sink.close()


async def test_a_failed_delivery_stops_the_next_send(topics: MemoryTopics) -> None:
    producer = await _started(topics)
    topics.hold = True
    sink = KafkaTweetSink(producer, TOPIC, batch_records=1)
    await sink.send(1, b"{}")
    await asyncio.sleep(0)
    assert topics.release(fail=True) == 1
    await asyncio.sleep(0)
    with pytest.raises(PublishError, match=r"1 tweet.*dropped"):
        await sink.send(2, b"{}")
    assert sink.gathered == 0  # the refused tweet was not queued
    await sink.close()


async def test_an_unknown_topic_is_a_publish_error(topics: MemoryTopics) -> None:
    producer = await _started(topics)
    with pytest.raises(PublishError, match="does not exist"):
        await KafkaTweetSink(producer, "elsewhere").send(1, b"{}")


async def test_send_waits_while_too_many_batches_are_unacknowledged(topics: MemoryTopics) -> None:
    producer = await _started(topics)
    topics.hold = True
    sink = KafkaTweetSink(producer, TOPIC, batch_records=1, max_in_flight=2)
    await sink.send(1, b"{}")
    await sink.send(2, b"{}")
    third = asyncio.create_task(sink.send(3, b"{}"))
    await asyncio.sleep(0.01)
    assert not third.done()  # three batches out, two allowed
    assert sink.in_flight == 3
    topics.release()
    await asyncio.wait_for(third, 1)
    topics.hold = False
    topics.release()
    await sink.flush()
    assert len(topics.records(TOPIC)) == 3
    await sink.close()


async def test_partitions_are_spread_over_producers_and_keep_their_order(
    topics: MemoryTopics,
) -> None:
    producer = await _started(topics)
    second = MemoryProducer(topics)
    await second.start()
    sink = KafkaTweetSink([producer, second], TOPIC, batch_records=5)
    ids = list(range(300))
    for tweet_id in ids:
        await sink.send(tweet_id, _tweet(tweet_id))
    await sink.flush()
    assert producer.batches
    assert second.batches
    for partition in range(PARTITIONS):
        expected = [i for i in ids if default_partition(tweet_key(i), PARTITIONS) == partition]
        assert [r.key for r in topics.records(TOPIC, partition)] == [tweet_key(i) for i in expected]
    await sink.close()
    await second.stop()


async def test_close_hands_over_what_is_gathered_without_raising(topics: MemoryTopics) -> None:
    producer = await _started(topics)
    sink = KafkaTweetSink(producer, TOPIC, linger_ms=60_000)
    await sink.send(1, b"{}")
    await sink.close()
    assert len(topics.records(TOPIC)) == 1
    await sink.send(2, b"{}")
    topics.down = True
    await sink.close()  # the failure is not raised


async def test_list_sink_delivers_on_flush_and_drops_while_down() -> None:
    sink = ListTweetSink()
    await sink.send(1, b'{"id": 1}')
    assert sink.sent == []
    await sink.flush()
    assert sink.tweets() == [{"id": 1}]
    await sink.send(2, b"{}")
    sink.down = True
    with pytest.raises(PublishError):
        await sink.flush()
    with pytest.raises(PublishError):
        await sink.send(3, b"{}")
    sink.down = False
    await sink.flush()
    assert [tweet_id for tweet_id, _ in sink.sent] == [1]

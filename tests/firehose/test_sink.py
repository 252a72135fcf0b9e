"""Tweet sinks: the in-memory test double, and the Kafka sink over a stand-in producer."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from aiokafka import AIOKafkaProducer  # type: ignore[import-untyped, unused-ignore]
from aiokafka.errors import (  # type: ignore[import-untyped, unused-ignore]
    KafkaConnectionError,
    KafkaTimeoutError,
)

from powertrack.firehose.sink import KafkaTweetSink, ListTweetSink, PublishError, tweet_key


class StandInProducer:
    """Records sends and hands back futures the test resolves."""

    def __init__(self) -> None:
        self.sends: list[tuple[str, bytes, bytes]] = []
        self.futures: list[asyncio.Future[Any]] = []
        self.refuse: Exception | None = None

    async def send(self, topic: str, value: bytes, key: bytes) -> asyncio.Future[Any]:
        if self.refuse is not None:
            raise self.refuse
        self.sends.append((topic, value, key))
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.futures.append(future)
        return future


def _sink(producer: StandInProducer) -> KafkaTweetSink:
    return KafkaTweetSink(cast(AIOKafkaProducer, producer), "firehose")


def test_the_key_is_the_tweet_id_in_ascii() -> None:
    assert tweet_key(1664059180470878209) == b"1664059180470878209"


async def test_kafka_sink_keys_by_tweet_id_and_flush_waits_for_delivery() -> None:
    producer = StandInProducer()
    sink = _sink(producer)
    await sink.send(11, b'{"id":11}')
    await sink.send(12, b'{"id":12}')
    assert producer.sends == [
        ("firehose", b'{"id":11}', b"11"),
        ("firehose", b'{"id":12}', b"12"),
    ]
    flush = asyncio.create_task(sink.flush())
    await asyncio.sleep(0)
    assert not flush.done()
    for future in producer.futures:
        future.set_result(None)
    await asyncio.wait_for(flush, 1)


async def test_a_failed_delivery_is_raised_once_by_flush() -> None:
    producer = StandInProducer()
    sink = _sink(producer)
    await sink.send(1, b"{}")
    await sink.send(2, b"{}")
    producer.futures[0].set_result(None)
    producer.futures[1].set_exception(KafkaTimeoutError())
    with pytest.raises(PublishError, match="1 tweet"):
        await sink.flush()
    await sink.flush()  # reported once; the sink carries on


async def test_a_failed_delivery_stops_the_next_send() -> None:
    producer = StandInProducer()
    sink = _sink(producer)
    await sink.send(1, b"{}")
    producer.futures[0].set_exception(KafkaTimeoutError())
    await asyncio.sleep(0)
    with pytest.raises(PublishError):
        await sink.send(2, b"{}")
    assert len(producer.sends) == 1


async def test_a_refused_send_is_a_publish_error() -> None:
    producer = StandInProducer()
    producer.refuse = KafkaConnectionError("no broker")
    with pytest.raises(PublishError, match="no broker"):
        await _sink(producer).send(1, b"{}")


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

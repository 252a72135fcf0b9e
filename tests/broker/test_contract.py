"""What every ``Broker`` must do, run against ``TansuBroker`` and ``KafkaBroker``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest

from powertrack.broker import (
    NO_CAPABILITIES,
    Broker,
    BrokerCapabilities,
    BrokerError,
    KafkaBroker,
    TansuBroker,
    TopicNameError,
    TopicSpec,
)
from tests.broker.support import (
    consume,
    group_consumer,
    offsets_reader,
    partition_counts,
    partitions_of,
    producer,
    unique,
)


async def test_ensure_topics_creates_the_missing_topics_with_their_partition_counts(
    broker: Broker,
) -> None:
    wide, narrow = unique("wide"), unique("narrow")

    await broker.ensure_topics([TopicSpec(wide, 4), TopicSpec(narrow, 1)])

    assert {wide, narrow} <= await broker.list_topics()
    counts = await partition_counts(broker.bootstrap_servers)
    assert (counts[wide], counts[narrow]) == (4, 1)


async def test_ensure_topics_is_idempotent_and_leaves_existing_topics_alone(
    broker: Broker, caplog: pytest.LogCaptureFixture
) -> None:
    name = unique("again")
    spec = TopicSpec(name, 2, config={"retention.ms": "3600000"})
    await broker.ensure_topics([spec])

    # Two processes starting at once both find the topic missing.
    await asyncio.gather(broker.ensure_topics([spec]), broker.ensure_topics([spec]))
    with caplog.at_level(logging.WARNING, logger="powertrack.broker"):
        await broker.ensure_topics([TopicSpec(name, 5)])

    assert (await partition_counts(broker.bootstrap_servers))[name] == 2
    assert "has 2 partitions, not the 5 asked for" in caplog.text


async def test_ensure_topics_refuses_names_kafka_would_refuse(broker: Broker) -> None:
    good = unique("good")

    with pytest.raises(TopicNameError, match="may contain only"):
        await broker.ensure_topics([TopicSpec(good, 1), TopicSpec("bad name!", 1)])

    assert good not in await broker.list_topics()


async def test_ensure_topics_refuses_one_topic_asked_for_twice_differently(
    broker: Broker,
) -> None:
    name = unique("twice")

    with pytest.raises(ValueError, match="twice"):
        await broker.ensure_topics([TopicSpec(name, 1), TopicSpec(name, 2)])


async def test_a_record_goes_round_trip_and_its_group_offset_is_committed(
    broker: Broker,
) -> None:
    topic, group = unique("trip"), unique("group")
    await broker.ensure_topics([TopicSpec(topic, 3)])
    sent = [(f"key-{n}".encode(), f"value-{n}".encode()) for n in range(6)]
    headers = [("rule-ids", b"1,2"), ("empty", b"")]

    writer = producer(broker.bootstrap_servers)
    await writer.start()
    try:
        for key, value in sent:
            await writer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await writer.stop()

    reader = group_consumer(broker.bootstrap_servers, group, topic)
    await reader.start()
    try:
        records = await consume(reader, len(sent))
        await reader.commit()
    finally:
        await reader.stop()

    assert sorted((record.key, record.value) for record in records) == sorted(sent)
    assert {tuple(record.headers) for record in records} == {tuple(headers)}
    # One key, one partition: the order a customer sees a key's records in.
    assert len({(record.key, record.partition) for record in records}) == len(sent)

    offsets = offsets_reader(broker.bootstrap_servers, group)
    await offsets.start()
    try:
        partitions = partitions_of(topic, 3)
        committed = {tp: await offsets.committed(tp) for tp in partitions}
        ends = await offsets.end_offsets(partitions)
    finally:
        await offsets.stop()
    assert sum(ends.values()) == len(sent)
    assert all(committed[tp] == ends[tp] for tp in partitions if ends[tp]), (committed, ends)


async def test_capabilities_are_what_the_broker_really_supports(
    broker: Broker, tansu_underneath: bool
) -> None:
    capabilities = broker.capabilities

    assert isinstance(capabilities, BrokerCapabilities)
    if tansu_underneath:
        # KafkaBroker probes: this checks the probes against a broker known to lack all three.
        assert capabilities == NO_CAPABILITIES
    else:
        assert capabilities.idempotent_producer or not capabilities.transactions


@pytest.mark.parametrize("make", [TansuBroker, lambda: KafkaBroker("127.0.0.1:9")])
async def test_an_unstarted_broker_refuses_topic_requests(make: Callable[[], Broker]) -> None:
    unstarted = make()

    with pytest.raises(BrokerError):
        await unstarted.list_topics()
    with pytest.raises(BrokerError):
        await unstarted.ensure_topics([TopicSpec(unique("never"), 1)])

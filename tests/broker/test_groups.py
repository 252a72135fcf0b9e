"""Consumer groups on the session's broker: the at-least-once building blocks.

The filter nodes share the firehose's partitions through one consumer group
and commit an offset only after the matches of every record before it are
produced. That is at-least-once only if the broker hands each partition, after
any rebalance or restart, to its new owner at the committed offset: nothing
before it again, nothing after it skipped.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from powertrack.broker import KafkaBroker, TopicSpec
from tests.broker.support import (
    drain,
    group_consumer,
    partitions_of,
    poll_until_assigned,
    producer,
    unique,
)

PARTITIONS = 4
PER_PARTITION = 10


def _offsets(records: list[Any]) -> dict[int, list[int]]:
    """The offsets of ``records`` by partition, in the order they came."""
    by_partition: dict[int, list[int]] = defaultdict(list)
    for record in records:
        by_partition[record.partition].append(record.offset)
    return dict(by_partition)


async def _produce(bootstrap: str, topic: str, offset: int) -> None:
    writer = producer(bootstrap)
    await writer.start()
    try:
        sends = [
            await writer.send(topic, f"{partition}:{offset}".encode(), partition=partition)
            for partition in range(PARTITIONS)
        ]
        await asyncio.gather(*sends)
    finally:
        await writer.stop()


async def test_committed_offsets_survive_rebalances_and_restarts(kafka_bootstrap: str) -> None:
    topic, group = unique("firehose"), unique("filter")
    broker = KafkaBroker(kafka_bootstrap)
    await broker.start()
    await broker.ensure_topics([TopicSpec(topic, PARTITIONS)])
    for offset in range(PER_PARTITION):
        await _produce(kafka_bootstrap, topic, offset)
    tps = partitions_of(topic, PARTITIONS)
    first = group_consumer(kafka_bootstrap, group, topic)
    second = group_consumer(kafka_bootstrap, group, topic)
    third = group_consumer(kafka_bootstrap, group, topic)

    # One member reads everything but commits only the first half of each partition.
    await first.start()
    try:
        fetched = (await poll_until_assigned([first], PARTITIONS))[0]
        fetched += (await drain([first]))[0]
        assert _offsets(fetched) == {p: list(range(PER_PARTITION)) for p in range(PARTITIONS)}
        await first.commit(dict.fromkeys(tps, 5))

        # A second member joins: the partitions are shared, and each one is
        # read again from its committed offset, by its new owner alone.
        await second.start()
        try:
            during = await poll_until_assigned([first, second], PARTITIONS)
            after = await drain([first, second])
            mine = {tp.partition for tp in first.assignment()}
            theirs = {tp.partition for tp in second.assignment()}
            assert mine.isdisjoint(theirs)
            assert _offsets(during[0] + after[0]) == {p: list(range(5, 10)) for p in mine}
            assert _offsets(during[1] + after[1]) == {p: list(range(5, 10)) for p in theirs}

            # The second member commits what it read, then leaves.
            await second.commit()
        finally:
            await second.stop()

        # Its partitions come back to the first member at the offsets it committed.
        during = await poll_until_assigned([first], PARTITIONS)
        after = await drain([first])
        assert _offsets(during[0] + after[0]) == {p: list(range(5, 10)) for p in mine}
        await first.commit()
    finally:
        await first.stop()

    # A restarted member starts where the group left off: only what is new.
    await _produce(kafka_bootstrap, topic, PER_PARTITION)
    await third.start()
    try:
        during = await poll_until_assigned([third], PARTITIONS)
        after = await drain([third])
        assert _offsets(during[0] + after[0]) == {p: [PER_PARTITION] for p in range(PARTITIONS)}
    finally:
        await third.stop()

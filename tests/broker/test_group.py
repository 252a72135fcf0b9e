"""What every ``GroupConsumer`` must do, run against ``KafkaGroupConsumer`` and
``MemoryGroupConsumer`` (a group of one member)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import pytest

from powertrack.broker import (
    CommitError,
    ConsumeError,
    GroupConsumer,
    KafkaGroupConsumer,
    KafkaProducer,
    MemoryGroupConsumer,
    MemoryProducer,
    MemoryTopics,
    OutRecord,
    Producer,
    TopicPartition,
)
from powertrack.broker.generations import KafkaDirectory, MemoryDirectory
from tests.broker.support import HEARTBEAT_INTERVAL_MS, SESSION_TIMEOUT_MS, topic_creator, unique


@dataclass
class Calls:
    """What the group told a member."""

    assigned: list[set[TopicPartition]] = field(default_factory=list)
    revoked: list[set[TopicPartition]] = field(default_factory=list)

    async def on_revoked(self, tps: Sequence[TopicPartition]) -> None:
        self.revoked.append(set(tps))

    def on_assigned(self, tps: Sequence[TopicPartition]) -> None:
        self.assigned.append(set(tps))


@dataclass
class Side:
    producer: Callable[[], Producer]
    member: Callable[[str, str, Calls], GroupConsumer]
    create: Callable[[str, int], Awaitable[None]]
    break_commits: Callable[[GroupConsumer, str], dict[TopicPartition, int]]
    """Make the next commit fail; returns the offsets to commit."""


@pytest.fixture(params=["kafka", "memory"])
def side(request: pytest.FixtureRequest) -> Side:
    if request.param == "kafka":
        bootstrap: str = request.getfixturevalue("kafka_bootstrap")
        create = topic_creator(KafkaDirectory(bootstrap))

        def member(topic: str, group: str, calls: Calls) -> GroupConsumer:
            return KafkaGroupConsumer(
                bootstrap,
                topic,
                group,
                on_revoked=calls.on_revoked,
                on_assigned=calls.on_assigned,
                fetch_max_wait_ms=50,
                session_timeout_ms=SESSION_TIMEOUT_MS,
                heartbeat_interval_ms=HEARTBEAT_INTERVAL_MS,
            )

        def break_commits(_: GroupConsumer, topic: str) -> dict[TopicPartition, int]:
            # A partition the member does not own: the client refuses the commit.
            return {TopicPartition(topic, 99): 1}

        return Side(lambda: KafkaProducer(bootstrap), member, create, break_commits)
    topics = MemoryTopics()
    create_memory = topic_creator(MemoryDirectory(topics))

    def memory_member(topic: str, group: str, calls: Calls) -> GroupConsumer:
        return MemoryGroupConsumer(
            topics,
            topic,
            group,
            on_revoked=calls.on_revoked,
            on_assigned=calls.on_assigned,
            fetch_records=5,
        )

    def break_memory(_: GroupConsumer, topic: str) -> dict[TopicPartition, int]:
        topics.down = True
        return {TopicPartition(topic, 0): 1}

    return Side(lambda: MemoryProducer(topics), memory_member, create_memory, break_memory)


async def _fill(side: Side, topic: str, per_partition: int) -> None:
    producer = side.producer()
    await producer.start()
    try:
        for partition in (0, 1):
            records = [OutRecord(b"%d-%d" % (partition, n)) for n in range(per_partition)]
            await (await producer.send_batch(topic, partition, records))
    finally:
        await producer.stop()


async def _drain(member: GroupConsumer, count: int) -> dict[int, list[int]]:
    offsets: dict[int, list[int]] = {}
    deadline = time.monotonic() + 30
    while sum(map(len, offsets.values())) < count and time.monotonic() < deadline:
        for tp, records in (await member.getmany(timeout_ms=200)).items():
            offsets.setdefault(tp.partition, []).extend(r.offset for r in records)
    return offsets


async def test_a_member_reads_from_the_groups_commits(side: Side) -> None:
    topic, group = unique("group"), unique("members")
    await side.create(topic, 2)
    await _fill(side, topic, 12)
    tps = {TopicPartition(topic, 0), TopicPartition(topic, 1)}

    first_calls = Calls()
    first = side.member(topic, group, first_calls)
    await first.start()
    try:
        assert await _drain(first, 24) == {0: list(range(12)), 1: list(range(12))}
        assert first.assignment() == tps
        assert first_calls.assigned[-1] == tps
        assert await first.position(TopicPartition(topic, 0)) == 12
        assert first.highwater(TopicPartition(topic, 1)) == 12
        await first.commit({TopicPartition(topic, 0): 5, TopicPartition(topic, 1): 9})
    finally:
        await first.stop()

    second = side.member(topic, group, Calls())
    await second.start()
    try:
        assert await _drain(second, 10) == {0: list(range(5, 12)), 1: list(range(9, 12))}
        second.seek(TopicPartition(topic, 1), 2)
        assert await _drain(second, 10) == {1: list(range(2, 12))}
    finally:
        await second.stop()


async def test_a_commit_that_fails_raises_commit_error(side: Side) -> None:
    topic, group = unique("commit"), unique("members")
    await side.create(topic, 2)
    member = side.member(topic, group, Calls())
    await member.start()
    try:
        await _drain(member, 0)
        with pytest.raises(CommitError):
            await member.commit(side.break_commits(member, topic))
        with pytest.raises(ConsumeError):
            await member.position(TopicPartition(topic, 7))
    finally:
        await member.stop()

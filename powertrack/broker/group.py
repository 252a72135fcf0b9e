"""Reading a topic as a member of a consumer group: the ``GroupConsumer`` seam.

A filter node reads the firehose this way: the group shares the topic's
partitions among its members, each member reads its partitions from the
group's committed offsets, and commits what it has finished. Before a
partition moves to another member the member is told (``on_revoked``), so it
can commit; once it is given partitions it is told again (``on_assigned``).

:class:`KafkaGroupConsumer` is the aiokafka implementation;
:class:`MemoryGroupConsumer` is a one-member group over a
:class:`MemoryTopics`, for unit tests. Both pass the same contract tests
(tests/broker/test_group.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

from aiokafka.structs import TopicPartition  # type: ignore[import-untyped, unused-ignore]

from powertrack.broker.errors import BrokerError
from powertrack.broker.producer import MemoryTopics
from powertrack.broker.reader import poll_memory

__all__ = [
    "CommitError",
    "ConsumeError",
    "GroupConsumer",
    "KafkaGroupConsumer",
    "MemoryGroupConsumer",
    "OnAssigned",
    "OnRevoked",
]

OnRevoked = Callable[[Sequence[TopicPartition]], Awaitable[None]]
"""Called (and awaited) before the partitions go to another member."""
OnAssigned = Callable[[Sequence[TopicPartition]], None]
"""Called once the member reads the partitions, from the group's commits."""


class ConsumeError(BrokerError):
    """The group's topic could not be read, or a position not be told."""


class CommitError(ConsumeError):
    """Offsets could not be committed (typically: a rebalance is under way)."""


class GroupConsumer(Protocol):
    """A member of a consumer group reading one topic."""

    async def start(self) -> None:
        """Connect and join the group."""
        ...

    async def stop(self) -> None:
        """Leave the group and disconnect (commits nothing)."""
        ...

    def assignment(self) -> set[TopicPartition]:
        """The partitions this member reads now."""
        ...

    async def getmany(self, *, timeout_ms: int) -> dict[TopicPartition, list[Any]]:
        """The next records of the member's partitions (in offset order per
        partition), waiting up to ``timeout_ms`` when there are none;
        :class:`ConsumeError` if they cannot be read."""
        ...

    async def position(self, tp: TopicPartition) -> int:
        """The offset of the next record :meth:`getmany` hands out of ``tp``;
        :class:`ConsumeError` if it cannot be told (``tp`` is not assigned)."""
        ...

    def seek(self, tp: TopicPartition, offset: int) -> None:
        """Hand ``tp``'s records out from ``offset`` on (to read some again)."""
        ...

    def highwater(self, tp: TopicPartition) -> int | None:
        """The end of ``tp`` as last fetched, if known (for the lag metric)."""
        ...

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Commit these next-to-read offsets for the group; :class:`CommitError`
        if they were not."""
        ...

    async def committed(self, tp: TopicPartition) -> int | None:
        """The group's committed offset of ``tp``, ``None`` if there is none;
        :class:`ConsumeError` if it cannot be asked."""
        ...


class KafkaGroupConsumer:
    """A :class:`GroupConsumer` over aiokafka's ``AIOKafkaConsumer``."""

    def __init__(
        self,
        bootstrap_servers: str,
        topic: str,
        group: str,
        *,
        on_revoked: OnRevoked,
        on_assigned: OnAssigned,
        client_id: str = "powertrack",
        max_poll_records: int = 500,
        fetch_max_wait_ms: int = 500,
        session_timeout_ms: int = 10_000,
        heartbeat_interval_ms: int = 3_000,
    ) -> None:
        from aiokafka import AIOKafkaConsumer  # type: ignore[import-untyped, unused-ignore]
        from aiokafka.abc import (  # type: ignore[import-untyped, unused-ignore]
            ConsumerRebalanceListener,
        )
        from aiokafka.errors import KafkaError  # type: ignore[import-untyped, unused-ignore]

        class _Listener(ConsumerRebalanceListener):  # type: ignore[misc, unused-ignore]
            async def on_partitions_revoked(self, revoked: Sequence[Any]) -> None:
                await on_revoked(list(revoked))

            async def on_partitions_assigned(self, assigned: Sequence[Any]) -> None:
                on_assigned(list(assigned))

        self._kafka_error = KafkaError
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers,
            client_id=client_id,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=max_poll_records,
            fetch_max_wait_ms=fetch_max_wait_ms,
            session_timeout_ms=session_timeout_ms,
            heartbeat_interval_ms=heartbeat_interval_ms,
        )
        self._consumer.subscribe([topic], listener=_Listener())
        self._description = f"{group} on {topic} at {bootstrap_servers}"

    def __repr__(self) -> str:
        return f"KafkaGroupConsumer({self._description!r})"

    async def start(self) -> None:
        """See :meth:`GroupConsumer.start`."""
        await self._consumer.start()

    async def stop(self) -> None:
        """See :meth:`GroupConsumer.stop`."""
        await self._consumer.stop()

    def assignment(self) -> set[TopicPartition]:
        """See :meth:`GroupConsumer.assignment`."""
        return set(self._consumer.assignment())

    async def getmany(self, *, timeout_ms: int) -> dict[TopicPartition, list[Any]]:
        """See :meth:`GroupConsumer.getmany`."""
        try:
            found: dict[TopicPartition, list[Any]] = await self._consumer.getmany(
                timeout_ms=timeout_ms
            )
        except self._kafka_error as exc:
            raise ConsumeError(f"{type(exc).__name__}: {exc}") from exc
        return found

    async def position(self, tp: TopicPartition) -> int:
        """See :meth:`GroupConsumer.position`."""
        try:
            return int(await self._consumer.position(tp))
        except self._kafka_error as exc:
            raise ConsumeError(f"{type(exc).__name__}: {exc}") from exc

    def seek(self, tp: TopicPartition, offset: int) -> None:
        """See :meth:`GroupConsumer.seek`."""
        self._consumer.seek(tp, offset)

    def highwater(self, tp: TopicPartition) -> int | None:
        """See :meth:`GroupConsumer.highwater`."""
        found = self._consumer.highwater(tp)
        return None if found is None else int(found)

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        """See :meth:`GroupConsumer.commit`."""
        try:
            await self._consumer.commit(dict(offsets))
        except self._kafka_error as exc:
            raise CommitError(f"{type(exc).__name__}: {exc}") from exc

    async def committed(self, tp: TopicPartition) -> int | None:
        """See :meth:`GroupConsumer.committed`."""
        try:
            found = await self._consumer.committed(tp)
        except self._kafka_error as exc:
            raise ConsumeError(f"{type(exc).__name__}: {exc}") from exc
        return None if found is None else int(found)


class MemoryGroupConsumer:
    """A one-member :class:`GroupConsumer` over a :class:`MemoryTopics`.

    The member owns every partition of ``topic`` from :meth:`start` to
    :meth:`stop` and reads from the group's commits (kept in the topics'
    ``committed``), at most ``fetch_records`` per partition and fetch. While
    the topics are :attr:`~MemoryTopics.down`, commits fail.
    """

    def __init__(
        self,
        topics: MemoryTopics,
        topic: str,
        group: str,
        *,
        on_revoked: OnRevoked,
        on_assigned: OnAssigned,
        fetch_records: int = 500,
    ) -> None:
        self.store = topics
        self.topic = topic
        self.group = group
        self.fetch_records = fetch_records
        self._on_revoked = on_revoked
        self._on_assigned = on_assigned
        self._positions: dict[TopicPartition, int] = {}

    async def start(self) -> None:
        """Join: take every partition, from the group's commits."""
        logs = self.store.partitions.get(self.topic)
        if logs is None:
            raise BrokerError(f"topic {self.topic!r} does not exist")
        committed = self.store.committed.setdefault(self.group, {})
        tps = [TopicPartition(self.topic, p) for p in range(len(logs))]
        self._positions = {tp: committed.get((tp.topic, tp.partition), 0) for tp in tps}
        self._on_assigned(tps)

    async def stop(self) -> None:
        """Leave: the partitions are revoked first, as in a rebalance."""
        if self._positions:
            await self._on_revoked(list(self._positions))
        self._positions = {}

    def assignment(self) -> set[TopicPartition]:
        """Every partition, while started."""
        return set(self._positions)

    async def getmany(self, *, timeout_ms: int) -> dict[TopicPartition, list[Any]]:
        """The next records, waiting up to ``timeout_ms`` for some."""
        return await poll_memory(self._take, timeout_ms)

    def _take(self) -> dict[TopicPartition, list[Any]]:
        found: dict[TopicPartition, list[Any]] = {}
        for tp, start in self._positions.items():
            taken = self.store.partitions[tp.topic][tp.partition][
                start : start + self.fetch_records
            ]
            if taken:
                found[tp] = list(taken)
                self._positions[tp] = start + len(taken)
        return found

    async def position(self, tp: TopicPartition) -> int:
        """The offset read next."""
        if tp not in self._positions:
            raise ConsumeError(f"{tp} is not assigned")
        return self._positions[tp]

    def seek(self, tp: TopicPartition, offset: int) -> None:
        """Read ``tp`` from ``offset`` on."""
        if tp not in self._positions:
            raise ValueError(f"{tp} is not assigned")
        self._positions[tp] = offset

    def highwater(self, tp: TopicPartition) -> int | None:
        """The partition's record count."""
        return len(self.store.partitions[tp.topic][tp.partition])

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Record the offsets as the group's."""
        if self.store.down:
            raise CommitError("the memory broker is down")
        committed = self.store.committed.setdefault(self.group, {})
        for tp, offset in offsets.items():
            committed[(tp.topic, tp.partition)] = offset

    async def committed(self, tp: TopicPartition) -> int | None:
        """The group's offset of ``tp``, as last committed."""
        return self.store.committed.get(self.group, {}).get((tp.topic, tp.partition))

"""Which firehose offsets a filter node may commit without losing a match.

A firehose message is done once every record published for it (one per
matching stream, or one to the dead-letter topic) is acknowledged by the
broker; a message that matched nothing is done as soon as it is read.
Acknowledgements arrive out of order (per-customer topics live on different
partitions and brokers), but a Kafka commit says "everything before this
offset is done". So the offset safe to commit for a partition is 1 + the
highest offset that is done *and* has every earlier offset done too.
Committing more could skip a match if the node died before its publish was
acknowledged; committing less only causes duplicates, which at-least-once
allows.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["OffsetTracker"]

P = TypeVar("P", bound=Hashable)


@dataclass(slots=True)
class _Message:
    offset: int
    pending: int


@dataclass(slots=True)
class _Partition:
    # Messages read and not yet known to be behind the safe offset, in offset order.
    messages: deque[_Message] = field(default_factory=deque)
    by_offset: dict[int, _Message] = field(default_factory=dict)
    safe: int | None = None
    committed: int | None = None


class OffsetTracker(Generic[P]):
    """Per partition (any hashable key), the offsets read, the publishes each
    still awaits, and the offset that is safe to commit.

    Offsets of one partition must be :meth:`read` in increasing order, as a
    consumer hands them out; after a seek or a rebalance :meth:`forget` the
    partition first.
    """

    def __init__(self) -> None:
        self._partitions: dict[P, _Partition] = {}

    def read(self, partition: P, offset: int, publishes: int) -> None:
        """Record that ``offset`` was read and awaits ``publishes`` acknowledgements."""
        if publishes < 0:
            raise ValueError("publishes must not be negative")
        state = self._partitions.setdefault(partition, _Partition())
        if state.messages and offset <= state.messages[-1].offset:
            raise ValueError(
                f"offset {offset} of {partition!r} read after {state.messages[-1].offset}"
            )
        if state.safe is not None and offset < state.safe:
            raise ValueError(f"offset {offset} of {partition!r} is already done")
        message = _Message(offset, publishes)
        state.messages.append(message)
        state.by_offset[offset] = message
        self._advance(state)

    def acknowledge(self, partition: P, offset: int) -> None:
        """Record that one publish for ``offset`` was acknowledged.

        An acknowledgement for a partition or offset no longer tracked (one
        :meth:`forget` dropped) is ignored: its publish went out, but the
        decision to commit it left with the partition.
        """
        state = self._partitions.get(partition)
        message = None if state is None else state.by_offset.get(offset)
        if state is None or message is None:
            return
        if message.pending <= 0:
            raise ValueError(f"offset {offset} of {partition!r} acknowledged too often")
        message.pending -= 1
        if message is state.messages[0]:
            self._advance(state)

    def safe_offset(self, partition: P) -> int | None:
        """The offset safe to commit (the next one to read), or None if nothing is done."""
        state = self._partitions.get(partition)
        return None if state is None else state.safe

    def to_commit(self) -> dict[P, int]:
        """The safe offsets that moved since :meth:`committed` was last told of them."""
        return {
            partition: state.safe
            for partition, state in self._partitions.items()
            if state.safe is not None and state.safe != state.committed
        }

    def committed(self, offsets: dict[P, int]) -> None:
        """Record that ``offsets`` (as returned by :meth:`to_commit`) were committed."""
        for partition, offset in offsets.items():
            state = self._partitions.get(partition)
            if state is not None:
                state.committed = offset

    def in_flight(self, partition: P | None = None) -> int:
        """Publishes not yet acknowledged (for one partition, or all)."""
        if partition is None:
            states = list(self._partitions.values())
        else:
            states = [self._partitions[partition]] if partition in self._partitions else []
        return sum(message.pending for state in states for message in state.messages)

    def forget(self, partitions: Iterable[P]) -> None:
        """Stop tracking these partitions (revoked, or about to be sought)."""
        for partition in partitions:
            self._partitions.pop(partition, None)

    def partitions(self) -> list[P]:
        """The partitions tracked."""
        return list(self._partitions)

    @staticmethod
    def _advance(state: _Partition) -> None:
        messages = state.messages
        while messages and messages[0].pending == 0:
            done = messages.popleft()
            del state.by_offset[done.offset]
            state.safe = done.offset + 1

"""Moving an account to another stack, live, without losing or repeating a match.

``powertrack stacks move ACCOUNT STACK`` (and ``stacks quarantine``, which
moves an account to a stack ``q-ACCOUNT`` of its own) moves every stream of
account X from stack OLD to stack NEW in one store transaction, which also
records the move. The nodes of OLD and of NEW then hand X over, on each side
independently (each side has its own consumer groups and topics) and on each
firehose partition ``p`` independently, through three numbers the store keeps
per (move, side, p), each written first-writer-wins and read back:

``cut``
    The first offset of ``p`` that OLD did not serve for X. An OLD node whose
    streams no longer include X records it before it matches any record of
    ``p`` without X's rules: between batches it flushes the producer (every
    publish acknowledged), commits, and records its committed offset (the
    offset of the first record it has not matched). A node that has matched
    nothing of ``p`` since it was assigned the partition records the offset it
    was assigned at. Because every publish below the cut is acknowledged, an
    OLD node that crashes and re-reads records below the cut without X's rules
    loses nothing: X's matches there are already stored. The store raises a
    cut to the ``start`` of the move that brought X to OLD, if that is higher:
    OLD served nothing of X below it.
``start``
    The first offset of ``p`` NEW's main loop serves for X. Once a NEW node
    with X's rules loaded sees the cut, it records ``max(cut, next)``, where
    ``next`` is at least the next offset its main loop will match on ``p``.
``catchup_done``
    If ``cut < start`` NEW reads ``[cut, start)`` of ``p`` again with a
    consumer of no group, matches only X's rules, publishes X's matches the
    way the main loop does, waits for every acknowledgement and records it.

The gate, per record of ``p`` at ``offset`` matching X's rules:

- OLD serves it unless the cut is recorded and ``offset >= cut``;
- NEW serves it only if the start is recorded and ``offset >= start``;
- an account with no move involving the stack is served as always.

Why nothing is lost and nothing is served twice: OLD serves exactly the
offsets below the cut (a node that would go on matching X past a recorded cut,
because its view of the stack is late, is held back by the gate); the
catch-up serves ``[cut, start)``; NEW's main loop serves the offsets from
``start`` on. The three ranges meet without overlap, whichever NEW node of the
group holds the partition, since they all read the same recorded numbers, and
no NEW node serves X on ``p`` before they are recorded. A partition revoked
from OLD before its cut is recorded is cut by its next OLD owner; a NEW node
assigned a partition reads the numbers again before matching it. A partition's
catch-up still running when the partition is revoked is finished (within the
flush timeout) before the partition is given up.

What a crash can repeat: as everywhere, what a node matched after its last
commit. A NEW node that dies during a catch-up leaves ``catchup_done`` unset,
and the partition's next NEW owner runs the whole catch-up again from the
cut, repeating what the first run published.

What stalls delivery: NEW publishes nothing of X on ``p`` until an OLD node
of that side has recorded ``p``'s cut. A side with no OLD node running for
some partition (its nodes stopped, or none ever started) holds X's matches
from that partition on that side until one runs; other accounts are not
affected. The account cannot move again until the move is complete (every
partition of every side of the move has its cut, start and catch-up), which
``powertrack stacks status`` shows.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from powertrack.store.models import MovePartition, StackMove

__all__ = ["Handoff", "Role", "serves", "start_offset"]


class Role(enum.Enum):
    """A stack's part in a move."""

    OLD = "old"
    NEW = "new"


def serves(role: Role, progress: MovePartition | None, offset: int) -> bool:
    """Whether a stack in ``role`` publishes the moved account's match at ``offset``,
    given the partition's recorded handoff (None: no cut yet)."""
    if role is Role.OLD:
        return progress is None or offset < progress.cut
    return progress is not None and progress.start is not None and offset >= progress.start


def start_offset(cut: int, next_offset: int) -> int:
    """Where the new stack's main loop starts serving: it has already matched the
    offsets below ``next_offset`` without the account, and those from the cut on
    are its to serve."""
    return max(cut, next_offset)


def _merge(known: MovePartition | None, read: MovePartition | None) -> MovePartition | None:
    # Every field only ever moves forward (recorded once, or false to true), so
    # what one source has and the other lacks is newer.
    if known is None or read is None:
        return read or known
    return dataclasses.replace(
        read,
        start=read.start if read.start is not None else known.start,
        catchup_done=read.catchup_done or known.catchup_done,
    )


@dataclass(slots=True)
class _Entry:
    move: StackMove
    role: Role
    progress: dict[int, MovePartition] = field(default_factory=dict)


class Handoff:
    """What one node (of ``side`` and ``stack``) knows of the moves involving its stack.

    It keeps, per account, the account's most recent move if that move is from
    or to the stack: earlier moves are complete, and their numbers are folded
    into the later move's cuts by the store.
    """

    def __init__(self, side: str, stack: str) -> None:
        self._side = side
        self._stack = stack
        self._entries: dict[int, _Entry] = {}

    @property
    def accounts(self) -> frozenset[int]:
        """The accounts whose matches are gated."""
        return frozenset(self._entries)

    def moves(self) -> list[tuple[StackMove, Role]]:
        """The moves followed, with the stack's role in each."""
        return [(entry.move, entry.role) for entry in self._entries.values()]

    def update(self, latest: Iterable[StackMove]) -> None:
        """Take in the most recent move of each account, as read from the store."""
        entries: dict[int, _Entry] = {}
        for move in latest:
            if move.to_stack == self._stack:
                role = Role.NEW
            elif move.from_stack == self._stack:
                role = Role.OLD
            else:
                continue
            entry = _Entry(move, role)
            known = self._entries.get(move.account_id)
            for progress in move.progress:
                if progress.side == self._side:
                    entry.progress[progress.partition] = progress
            if known is not None and known.move.id == move.id:
                for partition in known.progress.keys() | entry.progress.keys():
                    merged = _merge(known.progress.get(partition), entry.progress.get(partition))
                    if merged is not None:
                        entry.progress[partition] = merged
            entries[move.account_id] = entry
        self._entries = entries

    def learn(self, move_id: int, progress: MovePartition) -> None:
        """Take in a partition's progress this node recorded or read back."""
        for entry in self._entries.values():
            if entry.move.id == move_id and progress.side == self._side:
                merged = _merge(entry.progress.get(progress.partition), progress)
                if merged is not None:
                    entry.progress[progress.partition] = merged

    def serves(self, account_id: int, partition: int, offset: int) -> bool:
        """Whether this node publishes the account's match at ``offset`` of ``partition``."""
        entry = self._entries.get(account_id)
        if entry is None:
            return True
        return serves(entry.role, entry.progress.get(partition), offset)

    def progress(self, move_id: int, partition: int) -> MovePartition | None:
        """The recorded handoff of ``partition`` for a move followed, if any."""
        for entry in self._entries.values():
            if entry.move.id == move_id:
                return entry.progress.get(partition)
        return None

    def cuts_due(self, partition: int, present: Collection[int]) -> list[StackMove]:
        """The moves away from the stack whose cut on ``partition`` this node must record
        before it matches the partition with a view holding only the accounts
        ``present``."""
        return [
            entry.move
            for account, entry in self._entries.items()
            if entry.role is Role.OLD and account not in present and partition not in entry.progress
        ]

    def starts_due(self, partition: int, present: Collection[int]) -> list[tuple[StackMove, int]]:
        """The moves to the stack, with their cuts, whose start on ``partition`` this
        node may record: the cut is known and the account's rules are loaded."""
        due: list[tuple[StackMove, int]] = []
        for account, entry in self._entries.items():
            progress = entry.progress.get(partition)
            if (
                entry.role is Role.NEW
                and account in present
                and progress is not None
                and progress.start is None
            ):
                due.append((entry.move, progress.cut))
        return due

    def catchups_due(
        self, partition: int, present: Collection[int]
    ) -> list[tuple[StackMove, MovePartition]]:
        """The moves to the stack whose catch-up on ``partition`` is recorded as not done."""
        due: list[tuple[StackMove, MovePartition]] = []
        for account, entry in self._entries.items():
            progress = entry.progress.get(partition)
            if (
                entry.role is Role.NEW
                and account in present
                and progress is not None
                and progress.start is not None
                and not progress.catchup_done
            ):
                due.append((entry.move, progress))
        return due

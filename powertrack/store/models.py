"""The records a rule store keeps: accounts, streams, credentials, rules and the update log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

DEFAULT_RULE_LIMIT = 250_000
"""Rules one stream may hold unless its account says otherwise."""

DEFAULT_STACK = "main"
"""The stack of filter nodes a stream is matched by unless moved to another."""

MAX_STACK_LENGTH = 64

CredentialKind = Literal["basic", "bearer"]
"""``basic``: the account's password for the PowerTrack 2.0 API (Basic auth, any
of its streams). ``bearer``: a token bound to one stream (the X API v2 shape)."""

UpdateOp = Literal["add", "delete"]


@dataclass(frozen=True, slots=True)
class Account:
    """A customer. ``connection_limit`` is the number of stream connections bought."""

    id: int
    name: str
    connection_limit: int
    rule_limit: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Stream:
    """One of an account's rule sets, named by a label such as ``prod`` or ``dev``.

    ``stack`` names the filter nodes that match the stream's rules.
    """

    id: int
    account_id: int
    label: str
    created_at: datetime
    stack: str = DEFAULT_STACK


@dataclass(frozen=True, slots=True)
class Credential:
    """A stored credential. The secret itself is never stored: only ``salt`` and
    ``secret_hash``; ``key_id`` is the public half a client presents with it."""

    id: int
    key_id: str
    kind: CredentialKind
    account_id: int
    stream_id: int | None
    salt: bytes
    secret_hash: bytes
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NewRule:
    """A rule as a customer submits it (already validated by the caller).

    ``code`` is its compiled form (:func:`powertrack.rules.codec.encode`) when
    the caller parsed it, stored beside the text so filter nodes need not parse
    it again."""

    value: str
    tag: str | None = None
    code: bytes | None = None


@dataclass(frozen=True, slots=True)
class StoredRule:
    """An active rule. ``id`` is 64-bit, time-ordered and never reused.

    ``code`` is its compiled form as stored, or None (added without one)."""

    id: int
    stream_id: int
    value: str
    tag: str | None
    created_at: datetime
    code: bytes | None = None


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """What became of one submitted rule: created, or already present (``created``
    false, ``rule`` is the existing one)."""

    rule: StoredRule
    created: bool


@dataclass(frozen=True, slots=True)
class DeleteResult:
    """Rules deleted, and the ids and values asked for that matched no active rule."""

    deleted: tuple[StoredRule, ...]
    missing_ids: tuple[int, ...] = ()
    missing_values: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleUpdate:
    """One entry of the append-only ``rule_updates`` log. ``position`` is the log's
    monotonic id: entries become visible in position order, without gaps."""

    position: int
    stream_id: int
    rule_id: int
    op: UpdateOp
    value: str
    tag: str | None
    at: datetime
    code: bytes | None = None
    """The rule's compiled form on an ``add`` entry when it was stored with one."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The active rules of some streams exactly as of log ``position``: applying the
    updates after ``position`` to these rules gives any later state."""

    rules: tuple[StoredRule, ...]
    position: int


@dataclass(frozen=True, slots=True)
class MovePartition:
    """How far one side's handoff of a moved account has got on one firehose partition.

    ``cut``: the first offset the old stack did not serve for the account.
    ``start``: the first offset the new stack's main loop serves; the new stack
    catches up on ``[cut, start)`` and ``catchup_done`` says that is done.
    """

    side: str
    partition: int
    cut: int
    start: int | None
    catchup_done: bool

    @property
    def done(self) -> bool:
        """Whether the handoff of this partition is over."""
        return self.start is not None and self.catchup_done


@dataclass(frozen=True, slots=True)
class StackMove:
    """An account moved, live, from one stack to another, and the handoff's progress.

    ``partitions`` is the number of firehose partitions and ``sides`` the sides
    whose handoff must finish before the account may move again.
    """

    id: int
    account_id: int
    from_stack: str
    to_stack: str
    partitions: int
    sides: tuple[str, ...]
    created_at: datetime
    progress: tuple[MovePartition, ...] = ()

    def partition(self, side: str, partition: int) -> MovePartition | None:
        """The progress on one side's partition, or None if its cut is not recorded."""
        for entry in self.progress:
            if entry.side == side and entry.partition == partition:
                return entry
        return None

    def complete_on(self, side: str) -> bool:
        """Whether every firehose partition of ``side`` is handed over."""
        done = {p.partition for p in self.progress if p.side == side and p.done}
        return done >= set(range(self.partitions))

    @property
    def complete(self) -> bool:
        """Whether the handoff is over on every side of the move."""
        return all(self.complete_on(side) for side in self.sides)

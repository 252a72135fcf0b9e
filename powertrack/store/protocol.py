"""The ``RuleStore`` interface: MySQL in production, SQLite embedded.

Every method is a coroutine; implementations run their blocking database calls
in a worker thread so the event loop never waits on the database. Any failure
to reach the database raises :class:`~powertrack.store.errors.StoreUnavailableError`,
and a write that raises has written nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

from powertrack.store.models import (
    DEFAULT_RULE_LIMIT,
    Account,
    Credential,
    CredentialKind,
    DeleteResult,
    MovePartition,
    NewRule,
    RuleOutcome,
    RuleUpdate,
    Snapshot,
    StackMove,
    StoredRule,
    Stream,
)


class RuleStore(Protocol):
    """Accounts, streams, credentials, the active ``rules`` and the ``rule_updates`` log."""

    async def migrate(self) -> int:
        """Apply every schema migration not yet applied; return the schema version."""
        ...

    async def close(self) -> None:
        """Release connections. The store is unusable afterwards."""
        ...

    async def ping(self) -> None:
        """Raise ``StoreUnavailableError`` unless the database answers."""
        ...

    # accounts and streams

    async def create_account(
        self, name: str, *, connection_limit: int, rule_limit: int = DEFAULT_RULE_LIMIT
    ) -> Account:
        """Create an account; ``AlreadyExistsError`` if the name is taken."""
        ...

    async def get_account(self, name: str) -> Account:
        """The account called ``name``; ``NotFoundError`` otherwise."""
        ...

    async def get_account_by_id(self, account_id: int) -> Account:
        """The account with this id; ``NotFoundError`` otherwise."""
        ...

    async def list_accounts(self) -> list[Account]:
        """Every account, by id."""
        ...

    async def create_stream(self, account_id: int, label: str) -> Stream:
        """Create a stream for an account; ``AlreadyExistsError`` if the label is taken."""
        ...

    async def get_stream(self, account_id: int, label: str) -> Stream:
        """The account's stream with this label; ``NotFoundError`` otherwise."""
        ...

    async def get_stream_by_id(self, stream_id: int) -> Stream:
        """The stream with this id; ``NotFoundError`` otherwise."""
        ...

    async def list_streams(
        self, account_id: int | None = None, *, stack: str | None = None
    ) -> list[Stream]:
        """Every stream (of one account, of one stack, when given), by id."""
        ...

    async def set_account_stack(self, account_id: int, stack: str) -> list[Stream]:
        """Move every stream of an account to ``stack``; return them, by id.

        ``NotFoundError`` if there is no such account; ``ValueError`` for a
        stack name that is empty or over 64 characters.
        """
        ...

    # live moves between stacks (filter/handoff.py)

    async def move_account(
        self, account_id: int, to_stack: str, *, partitions: int, sides: Sequence[str]
    ) -> StackMove:
        """Move every stream of an account to ``to_stack`` and record the move, in one
        transaction; the filter nodes then hand the account over live.

        ``partitions`` is the number of firehose partitions and ``sides`` the
        sides whose handoff must finish before the account may move again.
        ``MoveInProgressError`` while its previous move is not complete;
        ``NotFoundError`` if there is no such account; ``ValueError`` for a bad
        stack name, an account without streams or already on ``to_stack``.
        """
        ...

    async def list_moves(
        self, account_id: int | None = None, *, stack: str | None = None, latest: bool = False
    ) -> list[StackMove]:
        """Moves by id with their progress: of one account, from or to one stack,
        and with ``latest`` only each account's most recent move (filtered after)."""
        ...

    async def record_cut(self, move_id: int, side: str, partition: int, offset: int) -> int:
        """Record the first offset of a firehose partition the old stack did not serve
        for the moved account, unless one is recorded; return the recorded one.

        The offset is raised to the start of the account's previous move on
        that partition: the old stack served nothing of the account below it.
        ``NotFoundError`` if there is no such move.
        """
        ...

    async def record_start(
        self, move_id: int, side: str, partition: int, offset: int
    ) -> MovePartition:
        """Record ``max(cut, offset)`` as the first offset the new stack's main loop
        serves, unless a start is recorded; return the partition's progress.

        With no offsets between cut and start the catch-up is done at once.
        ``NotFoundError`` if the partition's cut is not recorded.
        """
        ...

    async def finish_catchup(self, move_id: int, side: str, partition: int) -> None:
        """Record that the new stack has published the account's matches in
        ``[cut, start)`` of a partition."""
        ...

    # credentials

    async def add_credential(
        self,
        *,
        key_id: str,
        kind: CredentialKind,
        account_id: int,
        stream_id: int | None,
        salt: bytes,
        secret_hash: bytes,
    ) -> Credential:
        """Store a credential's public key id and the salted hash of its secret."""
        ...

    async def find_credential(self, key_id: str) -> Credential | None:
        """The credential with this public key id, or None."""
        ...

    # rules

    async def add_rules(
        self,
        stream_id: int,
        rules: Sequence[NewRule],
        *,
        rule_limit: int,
        dry_run: bool = False,
    ) -> list[RuleOutcome]:
        """Add rules to a stream in one transaction, writing ``rules`` and ``rule_updates``.

        One outcome per submitted rule, in order. A value already active in the
        stream (or repeated within ``rules``) is not added again: its outcome is
        the existing rule with ``created`` false. Raises ``RuleCapExceededError``, adding
        nothing, if the new rules would take the stream over ``rule_limit``. With
        ``dry_run`` the outcomes are computed the same way and nothing is written.
        Writes to the log are serialized, so log positions commit in order.
        """
        ...

    async def delete_rules(
        self,
        stream_id: int,
        *,
        ids: Sequence[int] = (),
        values: Sequence[str] = (),
        dry_run: bool = False,
    ) -> DeleteResult:
        """Delete active rules by id and by value in one transaction (logged)."""
        ...

    async def delete_all_rules(self, stream_id: int, *, dry_run: bool = False) -> DeleteResult:
        """Delete every active rule of a stream in one transaction (logged)."""
        ...

    async def get_rules(
        self,
        stream_id: int,
        *,
        ids: Sequence[int] | None = None,
        after_id: int | None = None,
        limit: int | None = None,
    ) -> list[StoredRule]:
        """Active rules of a stream by id ascending: those in ``ids`` when given,
        else all, starting after ``after_id``, at most ``limit``."""
        ...

    async def count_rules(self, stream_id: int) -> int:
        """How many rules are active in a stream."""
        ...

    # the log, for filter nodes

    async def snapshot(self, stream_ids: Collection[int] | None = None) -> Snapshot:
        """The active rules of these streams (all when None) and the log position
        they correspond to, read in one consistent transaction."""
        ...

    async def updates_since(
        self,
        position: int,
        stream_ids: Collection[int] | None = None,
        *,
        limit: int = 10_000,
    ) -> list[RuleUpdate]:
        """Log entries after ``position`` (for these streams, all when None), in
        position order, at most ``limit``."""
        ...

"""The rule store written once in SQL; :mod:`.mysql` and :mod:`.sqlite` supply
the :class:`~powertrack.store._db.Dialect`.

Every public method is a coroutine that runs one transaction in a worker
thread (``asyncio.to_thread``): the drivers block, the event loop must not.
A transaction that raises is rolled back, so a failed write wrote nothing.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import TypeVar

from powertrack.store import _moves, _rows, _rules, migrations
from powertrack.store._db import Database, Dialect, Mode, Tx
from powertrack.store.errors import AlreadyExistsError, NotFoundError, StoreError
from powertrack.store.ids import MAX_WORKER_ID, RuleIdGenerator
from powertrack.store.models import (
    DEFAULT_RULE_LIMIT,
    DEFAULT_STACK,
    MAX_STACK_LENGTH,
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

__all__ = ["SQLRuleStore"]

T = TypeVar("T")


class SQLRuleStore:
    """A :class:`~powertrack.store.protocol.RuleStore` over any SQL :class:`Dialect`.

    Writes to a stream that does not exist raise ``NotFoundError``; reads of
    one find no rules. The new rules of a dry run carry freshly generated ids
    that are then never used: a later real add of the same rules gets new ones.
    """

    def __init__(self, dialect: Dialect, *, pool_size: int) -> None:
        self._db = Database(dialect, pool_size=pool_size)
        self._dialect = dialect
        self._ids: RuleIdGenerator | None = None
        self._ids_lock = threading.Lock()

    async def _call(self, what: str, body: Callable[[Tx], T], mode: Mode) -> T:
        return await asyncio.to_thread(self._db.run, what, body, mode)

    async def _id_generator(self) -> RuleIdGenerator:
        # Registered in a transaction of its own, before the rule transaction:
        # SQLite lets one writer in at a time, and a rolled-back registration
        # could hand the same row id to the next node. Row ids only grow, so
        # the 1,024 most recently opened stores all have distinct worker ids.
        if self._ids is None:
            worker_row = await self._call("register a rule id worker", self._register, "write")
            with self._ids_lock:
                if self._ids is None:
                    self._ids = RuleIdGenerator(worker_row & MAX_WORKER_ID)
        return self._ids

    def _register(self, tx: Tx) -> int:
        return tx.insert(
            "INSERT INTO id_workers (host, pid, started_at) VALUES (?, ?, ?)",
            (socket.gethostname()[:255], os.getpid(), self._time(_rows.now())),
            on_duplicate=lambda: StoreError("id_workers handed out a row id twice"),
        )

    # lifecycle

    async def migrate(self) -> int:
        """Apply every schema migration not yet applied; return the schema version."""
        return await self._call("migrate the schema", self._migrate, "manual")

    def _migrate(self, tx: Tx) -> int:
        dialect = self._dialect
        dialect.lock_migrations(tx)
        ok = False
        try:
            tx.execute(migrations.SCHEMA_MIGRATIONS_DDL[dialect.name])
            applied = {int(v) for (v,) in tx.rows("SELECT version FROM schema_migrations")}
            for migration in sorted(migrations.MIGRATIONS, key=lambda m: m.version):
                if migration.version in applied:
                    continue
                for statement in migration.statements(dialect.name):
                    try:
                        tx.execute(statement)
                    except Exception as exc:
                        if not dialect.already_applied(exc):
                            raise
                tx.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, dialect.to_db_time(_rows.now())),
                )
                applied.add(migration.version)
            ok = True
            return max(applied, default=0)
        finally:
            dialect.unlock_migrations(tx, ok=ok)

    async def close(self) -> None:
        """Release connections. The store is unusable afterwards."""
        await asyncio.to_thread(self._db.close)

    async def ping(self) -> None:
        """Raise ``StoreUnavailableError`` unless the database answers."""
        await self._call("answer a ping", lambda tx: tx.scalar("SELECT 1"), "read")

    # accounts and streams

    async def create_account(
        self, name: str, *, connection_limit: int, rule_limit: int = DEFAULT_RULE_LIMIT
    ) -> Account:
        """Create an account; ``AlreadyExistsError`` if the name is taken."""
        now = _rows.now()

        def body(tx: Tx) -> Account:
            account_id = tx.insert(
                "INSERT INTO accounts (name, connection_limit, rule_limit, created_at)"
                " VALUES (?, ?, ?, ?)",
                (name, connection_limit, rule_limit, self._time(now)),
                on_duplicate=lambda: AlreadyExistsError(f"An account named {name!r} exists"),
            )
            return Account(account_id, name, connection_limit, rule_limit, now)

        return await self._call("create an account", body, "write")

    async def get_account(self, name: str) -> Account:
        """The account called ``name``; ``NotFoundError`` otherwise."""
        query = f"SELECT {_rows.ACCOUNT} FROM accounts WHERE name = ?"
        row = await self._call("read an account", lambda tx: tx.row(query, (name,)), "read")
        if row is None:
            raise NotFoundError(f"No account named {name!r}")
        return _rows.account(row, self._dialect)

    async def get_account_by_id(self, account_id: int) -> Account:
        """The account with this id; ``NotFoundError`` otherwise."""
        query = f"SELECT {_rows.ACCOUNT} FROM accounts WHERE id = ?"
        row = await self._call("read an account", lambda tx: tx.row(query, (account_id,)), "read")
        if row is None:
            raise NotFoundError(f"No account with id {account_id}")
        return _rows.account(row, self._dialect)

    async def list_accounts(self) -> list[Account]:
        """Every account, by id."""
        query = f"SELECT {_rows.ACCOUNT} FROM accounts ORDER BY id"
        rows = await self._call("list accounts", lambda tx: tx.rows(query), "read")
        return [_rows.account(row, self._dialect) for row in rows]

    async def create_stream(self, account_id: int, label: str) -> Stream:
        """Create a stream for an account, on the stack of its other streams (``main``
        for its first); ``AlreadyExistsError`` if the label is taken,
        ``NotFoundError`` if there is no such account."""
        now = _rows.now()

        def body(tx: Tx) -> Stream:
            if tx.row("SELECT id FROM accounts WHERE id = ?", (account_id,)) is None:
                raise NotFoundError(f"No account with id {account_id}")
            # A quarantined account's new stream belongs with its others: the
            # stack it left hands none of the account's matches over any more.
            sibling = tx.row(
                "SELECT stack FROM streams WHERE account_id = ? ORDER BY id LIMIT 1", (account_id,)
            )
            stack = DEFAULT_STACK if sibling is None else str(sibling[0])
            stream_id = tx.insert(
                "INSERT INTO streams (account_id, label, created_at, stack) VALUES (?, ?, ?, ?)",
                (account_id, label, self._time(now), stack),
                on_duplicate=lambda: AlreadyExistsError(
                    f"Account {account_id} already has a stream labelled {label!r}"
                ),
            )
            return Stream(stream_id, account_id, label, now, stack)

        return await self._call("create a stream", body, "write")

    async def get_stream(self, account_id: int, label: str) -> Stream:
        """The account's stream with this label; ``NotFoundError`` otherwise."""
        query = f"SELECT {_rows.STREAM} FROM streams WHERE account_id = ? AND label = ?"
        row = await self._call(
            "read a stream", lambda tx: tx.row(query, (account_id, label)), "read"
        )
        if row is None:
            raise NotFoundError(f"Account {account_id} has no stream labelled {label!r}")
        return _rows.stream(row, self._dialect)

    async def get_stream_by_id(self, stream_id: int) -> Stream:
        """The stream with this id; ``NotFoundError`` otherwise."""
        query = f"SELECT {_rows.STREAM} FROM streams WHERE id = ?"
        row = await self._call("read a stream", lambda tx: tx.row(query, (stream_id,)), "read")
        if row is None:
            raise NotFoundError(f"No stream with id {stream_id}")
        return _rows.stream(row, self._dialect)

    async def list_streams(
        self, account_id: int | None = None, *, stack: str | None = None
    ) -> list[Stream]:
        """Every stream (of one account, of one stack, when given), by id."""
        conditions: list[str] = []
        args: list[object] = []
        if account_id is not None:
            conditions.append("account_id = ?")
            args.append(account_id)
        if stack is not None:
            conditions.append("stack = ?")
            args.append(stack)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        query = f"SELECT {_rows.STREAM} FROM streams{where} ORDER BY id"
        rows = await self._call("list streams", lambda tx: tx.rows(query, tuple(args)), "read")
        return [_rows.stream(row, self._dialect) for row in rows]

    async def set_account_stack(self, account_id: int, stack: str) -> list[Stream]:
        """Move every stream of an account to ``stack``; return them, by id.

        ``NotFoundError`` if there is no such account; ``ValueError`` for a
        stack name that is empty or over 64 characters.
        """
        if not stack or len(stack) > MAX_STACK_LENGTH:
            raise ValueError(f"A stack name is 1 to {MAX_STACK_LENGTH} characters: {stack!r}")
        query = f"SELECT {_rows.STREAM} FROM streams WHERE account_id = ? ORDER BY id"

        def body(tx: Tx) -> list[Stream]:
            if tx.row("SELECT id FROM accounts WHERE id = ?", (account_id,)) is None:
                raise NotFoundError(f"No account with id {account_id}")
            tx.execute("UPDATE streams SET stack = ? WHERE account_id = ?", (stack, account_id))
            return [_rows.stream(row, self._dialect) for row in tx.rows(query, (account_id,))]

        return await self._call("move an account to another stack", body, "write")

    async def move_account(
        self, account_id: int, to_stack: str, *, partitions: int, sides: Sequence[str]
    ) -> StackMove:
        """Move every stream of an account to ``to_stack``, live; see the Protocol."""
        _moves.check_move(to_stack, partitions, sides)
        now = _rows.now()
        return await self._call(
            "move an account to another stack",
            lambda tx: _moves.move_account(tx, account_id, to_stack, partitions, sides, now),
            "write",
        )

    async def list_moves(
        self, account_id: int | None = None, *, stack: str | None = None, latest: bool = False
    ) -> list[StackMove]:
        """Moves by id with their progress; see the Protocol."""
        return await self._call(
            "list stack moves",
            lambda tx: _moves.list_moves(tx, account_id, stack, latest=latest),
            "snapshot",
        )

    async def record_cut(self, move_id: int, side: str, partition: int, offset: int) -> int:
        """Record where the old stack stopped on a partition; return the cut that holds."""
        await self._call(
            "record a stack move's cut",
            lambda tx: _moves.insert_cut(tx, move_id, side, partition, offset),
            "write",
        )
        recorded = await self._read_partition(move_id, side, partition)
        if recorded is None:
            raise StoreError(f"The cut of move {move_id} on {side}/{partition} was not kept")
        return recorded.cut

    async def record_start(
        self, move_id: int, side: str, partition: int, offset: int
    ) -> MovePartition:
        """Record where the new stack's main loop starts on a partition; return the
        partition's progress as it holds."""
        await self._call(
            "record a stack move's start",
            lambda tx: _moves.update_start(tx, move_id, side, partition, offset),
            "write",
        )
        recorded = await self._read_partition(move_id, side, partition)
        if recorded is None or recorded.start is None:
            raise NotFoundError(f"Move {move_id} has no cut on {side}/{partition} yet")
        return recorded

    async def finish_catchup(self, move_id: int, side: str, partition: int) -> None:
        """Record that the new stack has caught up on ``[cut, start)`` of a partition."""
        await self._call(
            "finish a stack move's catch-up",
            lambda tx: _moves.finish_catchup(tx, move_id, side, partition),
            "write",
        )

    async def _read_partition(
        self, move_id: int, side: str, partition: int
    ) -> MovePartition | None:
        return await self._call(
            "read a stack move's progress",
            lambda tx: _moves.read_partition(tx, move_id, side, partition),
            "read",
        )

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
        """Store a credential's public key id and the salted hash of its secret.

        ``AlreadyExistsError`` if the key id is taken; ``NotFoundError`` if the
        account does not exist or the stream is not one of its streams.
        """
        now = _rows.now()

        def body(tx: Tx) -> Credential:
            if tx.row("SELECT id FROM accounts WHERE id = ?", (account_id,)) is None:
                raise NotFoundError(f"No account with id {account_id}")
            if stream_id is not None:
                owner = tx.row("SELECT account_id FROM streams WHERE id = ?", (stream_id,))
                if owner is None or owner[0] != account_id:
                    raise NotFoundError(f"Account {account_id} has no stream with id {stream_id}")
            credential_id = tx.insert(
                "INSERT INTO credentials"
                " (key_id, kind, account_id, stream_id, salt, secret_hash, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    key_id,
                    kind,
                    account_id,
                    stream_id,
                    salt,
                    secret_hash,
                    tx.dialect.to_db_time(now),
                ),
                on_duplicate=lambda: AlreadyExistsError(f"Key id {key_id!r} is taken"),
            )
            return Credential(
                credential_id, key_id, kind, account_id, stream_id, salt, secret_hash, now
            )

        return await self._call("add a credential", body, "write")

    async def find_credential(self, key_id: str) -> Credential | None:
        """The credential with this public key id, or None."""
        query = f"SELECT {_rows.CREDENTIAL} FROM credentials WHERE key_id = ?"
        row = await self._call("read a credential", lambda tx: tx.row(query, (key_id,)), "read")
        return None if row is None else _rows.credential(row, self._dialect)

    def _time(self, when: datetime) -> object:
        return self._dialect.to_db_time(when)

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
        the existing rule with ``created`` false. Raises ``RuleCapExceededError``,
        adding nothing, if the new rules would take the stream over ``rule_limit``.
        With ``dry_run`` the outcomes are computed the same way and nothing is
        written. Writes to the log are serialized, so log positions commit in order.
        """
        ids = await self._id_generator()
        return await self._call(
            "add rules",
            lambda tx: _rules.add_rules(
                tx, ids, stream_id, rules, rule_limit=rule_limit, dry_run=dry_run
            ),
            "snapshot" if dry_run else "write",
        )

    async def delete_rules(
        self,
        stream_id: int,
        *,
        ids: Sequence[int] = (),
        values: Sequence[str] = (),
        dry_run: bool = False,
    ) -> DeleteResult:
        """Delete active rules by id and by value in one transaction (logged).

        A rule named both by id and by value is deleted once; ids and values
        that match no active rule of the stream are reported as missing.
        """
        return await self._call(
            "delete rules",
            lambda tx: _rules.delete_rules(tx, stream_id, ids, values, dry_run=dry_run),
            "snapshot" if dry_run else "write",
        )

    async def delete_all_rules(self, stream_id: int, *, dry_run: bool = False) -> DeleteResult:
        """Delete every active rule of a stream in one transaction (logged)."""
        return await self._call(
            "delete all rules",
            lambda tx: _rules.delete_all_rules(tx, stream_id, dry_run=dry_run),
            "snapshot" if dry_run else "write",
        )

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
        return await self._call(
            "read rules",
            lambda tx: _rules.get_rules(tx, stream_id, ids=ids, after_id=after_id, limit=limit),
            "read",
        )

    async def count_rules(self, stream_id: int) -> int:
        """How many rules are active in a stream."""
        return await self._call("count rules", lambda tx: _rules.count_rules(tx, stream_id), "read")

    # the log, for filter nodes

    async def snapshot(self, stream_ids: Collection[int] | None = None) -> Snapshot:
        """The active rules of these streams (all when None) and the log position
        they correspond to, read in one consistent transaction."""
        return await self._call(
            "read a snapshot", lambda tx: _rules.snapshot(tx, stream_ids), "snapshot"
        )

    async def updates_since(
        self,
        position: int,
        stream_ids: Collection[int] | None = None,
        *,
        limit: int = 10_000,
    ) -> list[RuleUpdate]:
        """Log entries after ``position`` (for these streams, all when None), in
        position order, at most ``limit``."""
        return await self._call(
            "read the rule log",
            lambda tx: _rules.updates_since(tx, position, stream_ids, limit),
            "read",
        )

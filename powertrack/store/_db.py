"""What the SQL rule store needs from a database: DB-API connections, a small
pool of them, a :class:`Dialect` saying how one database differs, and
:class:`Database`, which runs one transaction at a time on a pooled connection."""

from __future__ import annotations

import enum
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import Any, ClassVar, Literal, Protocol, TypeVar

from powertrack.store.errors import StoreError, StoreUnavailableError
from powertrack.store.migrations import DialectName

Row = tuple[Any, ...]
T = TypeVar("T")

# read: single statements in autocommit, safe to retry; manual: the body
# manages its own transaction (migrations); snapshot: one consistent read
# transaction; write: a read-write transaction committed at the end.
Mode = Literal["read", "manual", "snapshot", "write"]


class Cursor(Protocol):
    """The part of a DB-API cursor the store uses."""

    @property
    def lastrowid(self) -> int | None: ...

    def execute(self, query: str, args: tuple[Any, ...], /) -> object: ...

    def executemany(self, query: str, args: list[tuple[Any, ...]], /) -> object: ...

    def fetchall(self) -> Any: ...

    def close(self) -> None: ...


class Connection(Protocol):
    """The part of a DB-API connection the store uses."""

    def cursor(self) -> Cursor: ...

    def close(self) -> None: ...


class ErrorKind(enum.Enum):
    """What a driver exception means to the store."""

    DUPLICATE = "duplicate key"
    UNAVAILABLE = "unavailable"
    NO_SCHEMA = "schema missing"
    OTHER = "other"


class Dialect(ABC):
    """How one database's SQL, errors and connections differ from the others'.

    Queries are written with ``?`` placeholders; :meth:`sql` rewrites them.
    """

    name: ClassVar[DialectName]
    begin_write: ClassVar[str]
    begin_snapshot: ClassVar[str]
    lock_log_head: ClassVar[str]
    # A connection that failed to reach the server is closed and replaced;
    # SQLite's never break, and closing an in-memory one would lose the data.
    connections_can_break: ClassVar[bool]
    # The database admits one writer at a time: queue this process's writers
    # on a lock rather than in the database's busy-wait.
    one_writer: ClassVar[bool]

    @property
    @abstractmethod
    def description(self) -> str:
        """The database in words, for error messages (never with a password)."""

    @abstractmethod
    def connect(self) -> Connection:
        """A new connection in autocommit mode: transactions are begun explicitly."""

    @abstractmethod
    def error_kind(self, exc: BaseException) -> ErrorKind | None:
        """What a driver exception means; None for an exception not from the driver."""

    @abstractmethod
    def to_db_time(self, when: datetime) -> object:
        """A timezone-aware datetime as this database stores it (always UTC)."""

    @abstractmethod
    def from_db_time(self, value: Any) -> datetime:
        """A stored time as a timezone-aware UTC datetime."""

    def already_applied(self, exc: BaseException) -> bool:
        """Whether a migration statement failed only because its change is already
        there (a column added before an interrupted migration was recorded)."""
        return False

    @abstractmethod
    def lock_migrations(self, tx: Tx) -> None:
        """Keep other processes from migrating until :meth:`unlock_migrations`."""

    @abstractmethod
    def unlock_migrations(self, tx: Tx, *, ok: bool) -> None:
        """Release the migration lock; ``ok`` false after a failure."""

    def sql(self, query: str) -> str:
        """``query`` with this driver's placeholders."""
        return query


class Tx:
    """A cursor with the dialect's placeholders, for the duration of one transaction."""

    def __init__(self, cursor: Cursor, dialect: Dialect) -> None:
        self._cursor = cursor
        self.dialect = dialect

    def execute(self, query: str, args: Sequence[Any] = ()) -> None:
        """Run one statement."""
        self._cursor.execute(self.dialect.sql(query), tuple(args))

    def executemany(self, query: str, rows: list[tuple[Any, ...]]) -> None:
        """Run one statement for each of ``rows``."""
        if rows:
            self._cursor.executemany(self.dialect.sql(query), rows)

    def rows(self, query: str, args: Sequence[Any] = ()) -> list[Row]:
        """Every row ``query`` returns."""
        self.execute(query, args)
        return [tuple(row) for row in self._cursor.fetchall()]

    def row(self, query: str, args: Sequence[Any] = ()) -> Row | None:
        """The first row ``query`` returns, or None."""
        rows = self.rows(query, args)
        return rows[0] if rows else None

    def scalar(self, query: str, args: Sequence[Any] = ()) -> Any:
        """The first column of the one row ``query`` returns."""
        row = self.row(query, args)
        if row is None:
            raise StoreError(f"{self.dialect.description}: expected a row from {query!r}")
        return row[0]

    def insert(
        self, query: str, args: Sequence[Any], *, on_duplicate: Callable[[], StoreError]
    ) -> int:
        """Run an INSERT and return the new row's id, raising ``on_duplicate()``
        if it breaks a unique key."""
        try:
            self.execute(query, args)
        except Exception as exc:
            if self.dialect.error_kind(exc) is ErrorKind.DUPLICATE:
                raise on_duplicate() from exc
            raise
        row_id = self._cursor.lastrowid
        if row_id is None:
            raise StoreError(f"{self.dialect.description}: no id for the row inserted")
        return row_id

    def lock_log(self) -> int:
        """Take the rule-log lock until the transaction ends; return the log position.

        Every transaction that writes rules starts here. Holding the single
        ``log_head`` row serializes them, so rule_updates positions commit in
        the order they are assigned: a poller that has seen position p will
        never later see a smaller one appear (no gaps behind it). It also
        serializes concurrent writes to one stream, so the duplicate and cap
        checks that follow cannot race.
        """
        return int(self.scalar(self.dialect.lock_log_head))


class Lease:
    """A connection borrowed from the :class:`Pool`."""

    def __init__(self, connection: Connection, *, reused: bool) -> None:
        self.connection = connection
        self.reused = reused
        self.broken = False


class Pool:
    """At most ``size`` connections, each used by one thread at a time.

    Connections are opened on demand and kept for reuse; one marked broken is
    closed when returned, so the next borrower gets a fresh one.
    """

    def __init__(self, connect: Callable[[], Connection], size: int) -> None:
        if size < 1:
            raise ValueError("a pool needs at least one connection")
        self._connect = connect
        self._slots = threading.BoundedSemaphore(size)
        self._idle: list[Connection] = []
        self._lock = threading.Lock()
        self._closed = False

    @contextmanager
    def lease(self, description: str) -> Iterator[Lease]:
        """Borrow a connection, opening one if none is idle."""
        with self._slots:
            with self._lock:
                if self._closed:
                    raise StoreUnavailableError(f"{description}: the store has been closed")
                idle = self._idle.pop() if self._idle else None
            lease = Lease(self._connect() if idle is None else idle, reused=idle is not None)
            try:
                yield lease
            finally:
                with self._lock:
                    keep = not (lease.broken or self._closed)
                    if keep:
                        self._idle.append(lease.connection)
                if not keep:
                    _close_quietly(lease.connection)

    def close(self) -> None:
        """Close the idle connections now and the borrowed ones when returned."""
        with self._lock:
            self._closed = True
        self.drop_idle()

    def drop_idle(self) -> None:
        """Close the idle connections: the next borrower opens a new one."""
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            _close_quietly(connection)


def _close_quietly(connection: Connection) -> None:
    # Closing a connection the server already dropped may raise; it is gone either way.
    with suppress(Exception):
        connection.close()


class _StaleConnectionError(Exception):
    """The attempt failed before writing anything, on a connection worth replacing."""


class Database:
    """A dialect and a pool: runs transaction bodies, translating driver errors."""

    def __init__(self, dialect: Dialect, *, pool_size: int) -> None:
        self.dialect = dialect
        self._pool = Pool(dialect.connect, pool_size)
        self._writer = threading.Lock() if dialect.one_writer else None

    def close(self) -> None:
        """Close the pool."""
        self._pool.close()

    def run(self, what: str, body: Callable[[Tx], T], mode: Mode) -> T:
        """Run ``body`` in a transaction of the given mode, committing if it returns
        and rolling back if it raises. ``what`` completes "failed to ..." in errors.

        Driver errors become :class:`StoreUnavailableError` (the database cannot
        be reached, or the schema is missing) or :class:`StoreError`.
        """
        if self._writer is not None and mode in ("write", "manual"):
            # Taken before a pooled connection, so a waiting writer holds none.
            with self._writer:
                return self._run(what, body, mode)
        return self._run(what, body, mode)

    def _run(self, what: str, body: Callable[[Tx], T], mode: Mode) -> T:
        for attempt in (1, 2):
            try:
                with self._pool.lease(self.dialect.description) as lease:
                    return self._attempt(lease, what, body, mode, may_retry=attempt == 1)
            except _StaleConnectionError:
                # A server that dropped one idle connection (a restart, a
                # failover) has usually dropped them all.
                self._pool.drop_idle()
                continue
            except Exception as exc:
                # Errors of the body arrive translated: a raw driver error is the pool's.
                if self.dialect.error_kind(exc) is None and not isinstance(exc, OSError):
                    raise
                raise StoreUnavailableError(
                    f"cannot connect to {self.dialect.description} to {what}: {exc}"
                ) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(
        self, lease: Lease, what: str, body: Callable[[Tx], T], mode: Mode, *, may_retry: bool
    ) -> T:
        dialect = self.dialect
        cursor = lease.connection.cursor()
        tx = Tx(cursor, dialect)
        begun = False
        try:
            if mode == "snapshot":
                tx.execute(dialect.begin_snapshot)
            elif mode == "write":
                tx.execute(dialect.begin_write)
            begun = True
            result = body(tx)
            if mode in ("snapshot", "write"):
                tx.execute("COMMIT")
            return result
        except BaseException as exc:
            kind = dialect.error_kind(exc)
            lost = kind is ErrorKind.UNAVAILABLE and dialect.connections_can_break
            if lost:
                # The server rolls back the transaction of a connection it lost.
                lease.broken = True
            else:
                try:
                    tx.execute("ROLLBACK")
                except Exception:
                    lease.broken = dialect.connections_can_break
            # A pooled connection the server dropped while idle fails on first
            # use, before anything is written: retry once on a new one. A write
            # is not retried once begun: if the reply to its COMMIT was lost, it
            # may have committed.
            read_only = mode in ("read", "snapshot")
            if lost and lease.reused and may_retry and (read_only or not begun):
                raise _StaleConnectionError from exc
            translated = _translate(dialect, exc, kind, what)
            if translated is exc:
                raise
            raise translated from exc
        finally:
            with suppress(Exception):
                cursor.close()


def _translate(
    dialect: Dialect, exc: BaseException, kind: ErrorKind | None, what: str
) -> BaseException:
    where = dialect.description
    if kind is None or isinstance(exc, StoreError):
        return exc
    if kind is ErrorKind.UNAVAILABLE:
        return StoreUnavailableError(f"{where} failed to {what}: {exc}")
    if kind is ErrorKind.NO_SCHEMA:
        return StoreUnavailableError(
            f"{where} has no powertrack schema, or an outdated one: run `powertrack db migrate` "
            f"({exc})"
        )
    return StoreError(f"{where} failed to {what}: {exc}")

"""The embedded rule store: SQLite, same schema as MySQL.

A file database is opened in WAL mode, so readers (filter nodes polling the
log) never wait for a writer. Writers take SQLite's one write lock up front
(``BEGIN IMMEDIATE``), which is what serializes the rule log here. Several
processes may share one file; ``:memory:`` keeps everything in one
connection of this process.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from powertrack.store._db import Connection, Dialect, ErrorKind, Tx
from powertrack.store.migrations import DialectName
from powertrack.store.sql import SQLRuleStore

__all__ = ["SQLiteRuleStore"]

MEMORY = ":memory:"

# Seconds a writer waits for another process's write lock before giving up.
_BUSY_TIMEOUT = 10.0
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


class _SQLite(Dialect):
    name: ClassVar[DialectName] = "sqlite"
    begin_write: ClassVar[str] = "BEGIN IMMEDIATE"
    begin_snapshot: ClassVar[str] = "BEGIN"
    # BEGIN IMMEDIATE has already taken the database's only write lock.
    lock_log_head: ClassVar[str] = "SELECT position FROM log_head WHERE id = 1"
    connections_can_break: ClassVar[bool] = False
    one_writer: ClassVar[bool] = True

    def __init__(self, path: str) -> None:
        self.path = path

    @property
    def description(self) -> str:
        return f"SQLite database {self.path}"

    def already_applied(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.OperationalError) and "duplicate column name" in str(exc)

    def connect(self) -> Connection:
        connection = sqlite3.connect(
            self.path, timeout=_BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
        )
        connection.execute("PRAGMA foreign_keys = ON")
        if self.path != MEMORY:
            connection.execute("PRAGMA journal_mode = WAL")
        return connection

    def error_kind(self, exc: BaseException) -> ErrorKind | None:
        if isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc):
            return ErrorKind.DUPLICATE
        if isinstance(exc, sqlite3.OperationalError):
            if str(exc).startswith("no such table"):
                return ErrorKind.NO_SCHEMA
            return ErrorKind.UNAVAILABLE
        if isinstance(exc, sqlite3.Error):
            return ErrorKind.OTHER
        return None

    def to_db_time(self, when: datetime) -> object:
        return when.astimezone(UTC).strftime(_TIME_FORMAT)

    def from_db_time(self, value: Any) -> datetime:
        return datetime.strptime(str(value), _TIME_FORMAT).replace(tzinfo=UTC)

    def lock_migrations(self, tx: Tx) -> None:
        # SQLite's DDL is transactional: a migration applies whole or not at all.
        tx.execute("BEGIN IMMEDIATE")

    def unlock_migrations(self, tx: Tx, *, ok: bool) -> None:
        tx.execute("COMMIT" if ok else "ROLLBACK")


class SQLiteRuleStore(SQLRuleStore):
    """A rule store in the SQLite file at ``path``, or in memory for ``":memory:"``."""

    def __init__(self, path: str | Path, *, pool_size: int = 4) -> None:
        path = str(path)
        # Each connection to ":memory:" is a database of its own: share one.
        super().__init__(_SQLite(path), pool_size=1 if path == MEMORY else pool_size)
        self.path = path

"""The production rule store: MySQL (or MariaDB) through pymysql, InnoDB tables.

Sessions run at REPEATABLE READ, so ``snapshot()`` (``START TRANSACTION WITH
CONSISTENT SNAPSHOT``) sees the rules and the log head as of one instant.
Rule writers serialize on the ``log_head`` row (``SELECT ... FOR UPDATE``).
pymysql connections are not thread-safe: each is used by one worker thread at
a time, borrowed from a small pool.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, ClassVar

import pymysql
from pymysql.constants import ER

from powertrack.store._db import Connection, Dialect, ErrorKind, Tx
from powertrack.store.errors import StoreUnavailableError
from powertrack.store.migrations import DialectName
from powertrack.store.sql import SQLRuleStore

__all__ = ["DEFAULT_PORT", "MySQLRuleStore"]

DEFAULT_PORT = 3306

# A rule write waits this long (seconds) for the log lock before failing;
# writes hold it for milliseconds, so a longer wait means something is stuck.
_LOCK_WAIT_TIMEOUT = 15
# Socket timeouts (seconds): above the lock wait, so a waiting write fails
# with MySQL's clear lock-wait error rather than a bare socket timeout.
_CONNECT_TIMEOUT = 5
_IO_TIMEOUT = 60
_MIGRATION_LOCK_TIMEOUT = 60

_SCHEMA_ERRORS = frozenset({ER.NO_SUCH_TABLE, ER.BAD_FIELD_ERROR})


def _quote_name(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


_DUPLICATE_COLUMN = 1060
"""ER_DUP_FIELDNAME."""


class _MySQL(Dialect):
    name: ClassVar[DialectName] = "mysql"
    begin_write: ClassVar[str] = "START TRANSACTION"
    begin_snapshot: ClassVar[str] = "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"
    # The first statement of every rule-writing transaction. Being a locking
    # read, it does not open the transaction's read view: that opens at the
    # next plain SELECT, after the lock is held, so the duplicate and cap
    # checks see every rule write committed before ours.
    lock_log_head: ClassVar[str] = "SELECT position FROM log_head WHERE id = 1 FOR UPDATE"
    connections_can_break: ClassVar[bool] = True
    one_writer: ClassVar[bool] = False

    def __init__(self, host: str, port: int, user: str, password: str, database: str) -> None:
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database

    @property
    def description(self) -> str:
        return f"MySQL database {self.database!r} at {self.host}:{self.port}"

    def already_applied(self, exc: BaseException) -> bool:
        # MySQL 8 has no ADD COLUMN IF NOT EXISTS (MariaDB has): a column
        # migration re-run after an interruption meets its own column instead.
        return isinstance(exc, pymysql.err.MySQLError) and exc.args[:1] == (_DUPLICATE_COLUMN,)

    def connect(self) -> Connection:
        return self.connect_to(self.database)

    def connect_to(self, database: str | None) -> pymysql.Connection[Any]:
        """A configured connection to ``database`` (None: to the server only)."""
        connection: pymysql.Connection[Any] = pymysql.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            database=database,
            charset="utf8mb4",
            collation="utf8mb4_bin",
            # Without the _binary prefix, sha256 digests would be sent as
            # utf8mb4 string literals, which strict mode rejects as invalid text.
            binary_prefix=True,
            autocommit=True,
            sql_mode="STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION",
            connect_timeout=_CONNECT_TIMEOUT,
            read_timeout=_IO_TIMEOUT,
            write_timeout=_IO_TIMEOUT,
        )
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cursor.execute("SET SESSION innodb_lock_wait_timeout = %s", (_LOCK_WAIT_TIMEOUT,))
        except BaseException:
            connection.close()
            raise
        return connection

    def error_kind(self, exc: BaseException) -> ErrorKind | None:
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
        if isinstance(exc, pymysql.err.IntegrityError) and code == ER.DUP_ENTRY:
            return ErrorKind.DUPLICATE
        if isinstance(exc, pymysql.err.Error) and code in _SCHEMA_ERRORS:
            return ErrorKind.NO_SCHEMA
        if isinstance(exc, pymysql.err.OperationalError | pymysql.err.InterfaceError | OSError):
            return ErrorKind.UNAVAILABLE
        if isinstance(exc, pymysql.err.Error):
            return ErrorKind.OTHER
        return None

    def to_db_time(self, when: datetime) -> object:
        return when.astimezone(UTC).replace(tzinfo=None)

    def from_db_time(self, value: Any) -> datetime:
        if not isinstance(value, datetime):
            raise TypeError(f"expected a DATETIME from {self.description}, got {value!r}")
        return value.replace(tzinfo=UTC)

    def _migration_lock_name(self) -> str:
        # GET_LOCK names are server-wide and at most 64 characters.
        return f"powertrack.migrate.{self.database}"[:64]

    def lock_migrations(self, tx: Tx) -> None:
        # MySQL commits each DDL statement on its own, so migrations cannot run
        # in one transaction; a named lock keeps two migrators from interleaving.
        got = tx.scalar(
            "SELECT GET_LOCK(?, ?)", (self._migration_lock_name(), _MIGRATION_LOCK_TIMEOUT)
        )
        if got != 1:
            raise StoreUnavailableError(
                f"{self.description}: another process has been migrating the schema "
                f"for over {_MIGRATION_LOCK_TIMEOUT} s"
            )

    def unlock_migrations(self, tx: Tx, *, ok: bool) -> None:
        tx.execute("SELECT RELEASE_LOCK(?)", (self._migration_lock_name(),))

    def sql(self, query: str) -> str:
        return query.replace("?", "%s")

    def create_database(self) -> bool:
        """Create the database (utf8mb4, binary collation) unless it exists;
        return whether it was created."""
        try:
            connection = self.connect_to(None)
            try:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
                        (self.database,),
                    )
                    if cursor.fetchone() is not None:
                        return False
                    cursor.execute(
                        f"CREATE DATABASE IF NOT EXISTS {_quote_name(self.database)}"
                        " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
                    )
                    return True
            finally:
                connection.close()
        except (pymysql.err.Error, OSError) as exc:
            raise StoreUnavailableError(
                f"cannot create {self.description} (or check that it exists): {exc}"
            ) from exc


class MySQLRuleStore(SQLRuleStore):
    """A rule store in a MySQL or MariaDB database.

    Nothing connects until the first call. :meth:`migrate` creates the database
    itself if it does not exist yet (which needs the CREATE privilege).
    """

    def __init__(
        self,
        host: str,
        port: int = DEFAULT_PORT,
        user: str = "root",
        password: str = "",
        database: str = "powertrack",
        *,
        pool_size: int = 4,
    ) -> None:
        self._mysql = _MySQL(host, port, user, password, database)
        super().__init__(self._mysql, pool_size=pool_size)
        self.host = host
        self.port = port
        self.user = user
        self.database = database

    async def create_database(self) -> bool:
        """Create the database unless it exists; return whether it was created."""
        return await asyncio.to_thread(self._mysql.create_database)

    async def migrate(self) -> int:
        """Create the database if missing, then apply every migration not yet
        applied; return the schema version."""
        await self.create_database()
        return await super().migrate()

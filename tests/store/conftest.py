"""Fixtures for the rule-store contract tests: one suite, run on SQLite and MySQL.

The MySQL tests need the MariaDB of ``scripts/services`` on 127.0.0.1:3306
(user root, no password). If it cannot be reached they fail: a missing
service is an error to fix, never a reason to skip.

Async tests are plain ``async def`` functions, each run in its own event loop
by :func:`pytest_pyfunc_call` below; stores are not bound to a loop.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pymysql
import pytest

from powertrack.store import MySQLRuleStore, RuleStore, SQLiteRuleStore
from tests.mysql import MYSQL_USER, mysql_admin, mysql_store

_TABLES_CHILD_FIRST = ("credentials", "rule_updates", "rules", "streams", "accounts", "id_workers")


def free_port() -> int:
    """A loopback TCP port nothing listens on (free at the time of asking)."""
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Backend:
    """One database behind the contract suite, and ways to reach it.

    ``store`` is open and migrated. ``open()`` opens another store on the same
    database (another node, or the same node after a restart); ``query()``
    reads it directly, bypassing the store; ``fresh()`` is a store on a new,
    empty database (for MySQL, not even created yet); ``unreachable()`` is a
    store whose database cannot be reached. Stores opened here are closed when
    the test ends.
    """

    name: str
    query: Callable[[str], list[tuple[Any, ...]]]
    _open: Callable[[], RuleStore]
    _fresh: Callable[[], RuleStore]
    _unreachable: Callable[[], RuleStore]
    shared: RuleStore | None = None
    _opened: list[RuleStore] = field(default_factory=list)

    def open(self) -> RuleStore:
        return self._track(self._open())

    def fresh(self) -> RuleStore:
        return self._track(self._fresh())

    def unreachable(self) -> RuleStore:
        return self._track(self._unreachable())

    def _track(self, store: RuleStore) -> RuleStore:
        self._opened.append(store)
        return store

    def close_all(self) -> None:
        for store in self._opened:
            asyncio.run(store.close())

    @property
    def store(self) -> RuleStore:
        return self.shared or self._opened[0]


@dataclass
class MySQLDatabase:
    """The session's test database and one admin connection to it."""

    name: str
    admin: pymysql.Connection[Any]
    store: RuleStore

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with self.admin.cursor() as cursor:
            cursor.execute(sql)
            return [tuple(row) for row in cursor.fetchall()]


@pytest.fixture(scope="session")
def mysql_database() -> Iterator[MySQLDatabase]:
    """A migrated database on the test server for the session, dropped afterwards."""
    admin = mysql_admin()
    name = f"powertrack_test_{secrets.token_hex(6)}"
    # One store for the whole session, like a long-running node: a new
    # pymysql connection costs tens of milliseconds (it builds a TLS context).
    store = mysql_store(name)
    asyncio.run(store.migrate())
    admin.select_db(name)
    try:
        yield MySQLDatabase(name, admin, store)
    finally:
        asyncio.run(store.close())
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


def _mysql_backend(database: MySQLDatabase, created: list[str]) -> Backend:
    # Emptying the session's database is much quicker than making a new one.
    database.query("START TRANSACTION")
    for table in _TABLES_CHILD_FIRST:
        database.query(f"DELETE FROM {table}")
    database.query("UPDATE log_head SET position = 0")
    database.query("COMMIT")

    def fresh() -> RuleStore:
        name = f"powertrack_test_{secrets.token_hex(6)}"
        created.append(name)
        return mysql_store(name)

    return Backend(
        "mysql",
        database.query,
        lambda: mysql_store(database.name),
        fresh,
        lambda: MySQLRuleStore("127.0.0.1", free_port(), MYSQL_USER, "", database.name),
        shared=database.store,
    )


def _sqlite_backend(tmp_path: Path) -> Backend:
    path = tmp_path / "rules.db"
    counter = iter(range(1_000_000))

    def query(sql: str) -> list[tuple[Any, ...]]:
        with closing(sqlite3.connect(path)) as connection:
            return [tuple(row) for row in connection.execute(sql).fetchall()]

    return Backend(
        "sqlite",
        query,
        lambda: SQLiteRuleStore(path),
        lambda: SQLiteRuleStore(tmp_path / f"fresh-{next(counter)}.db"),
        lambda: SQLiteRuleStore(tmp_path / "no-such-directory" / "rules.db"),
    )


def _backend(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    created: list[str] = []
    if kind == "mysql":
        result = _mysql_backend(request.getfixturevalue("mysql_database"), created)
    else:
        result = _sqlite_backend(tmp_path)
        asyncio.run(result.open().migrate())
    try:
        yield result
    finally:
        result.close_all()
        for name in created:
            request.getfixturevalue("mysql_database").query(f"DROP DATABASE IF EXISTS `{name}`")


@pytest.fixture(params=["sqlite", "mysql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Each contract test runs once per store implementation."""
    yield from _backend(request.param, request, tmp_path)


@pytest.fixture
def mysql_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """The MySQL backend alone, for behaviour only a server has."""
    yield from _backend("mysql", request, tmp_path)


@pytest.fixture
def store(backend: Backend) -> RuleStore:
    """The backend's open, migrated, empty store."""
    return backend.store

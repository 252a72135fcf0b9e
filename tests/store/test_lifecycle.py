"""Contract: migrations, reopening, failures, and opening stores from URLs."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pymysql
import pytest

from powertrack.store import (
    MySQLRuleStore,
    NewRule,
    RuleStore,
    SQLiteRuleStore,
    StoreUnavailableError,
    _db,
    migrations,
    open_store,
    wait_until_ready,
)
from powertrack.store.ids import split_rule_id
from powertrack.store.migrations import MIGRATIONS, Migration
from tests.store.conftest import Backend
from tests.store.test_rules import add, log_size, new_stream

LATEST = max(m.version for m in MIGRATIONS)
TABLES = {"accounts", "streams", "credentials", "rules", "rule_updates", "log_head", "id_workers"}


async def test_migrate_is_versioned_and_idempotent(backend: Backend) -> None:
    store = backend.fresh()
    assert await store.migrate() == LATEST
    stream = await new_stream(store)
    [rule] = await store.add_rules(stream.id, [NewRule("cat")], rule_limit=10)
    assert await store.migrate() == LATEST
    assert await store.migrate() == LATEST
    assert await store.get_rules(stream.id) == [rule.rule]
    if backend.name == "sqlite":
        assert isinstance(store, SQLiteRuleStore)
        with sqlite3.connect(store.path) as connection:
            rows = connection.execute("SELECT version, name FROM schema_migrations").fetchall()
    else:
        assert isinstance(store, MySQLRuleStore)
        admin = pymysql.connect(
            host=store.host, port=store.port, user="root", database=store.database
        )
        with admin, admin.cursor() as cursor:
            cursor.execute("SELECT version, name FROM schema_migrations")
            rows = list(cursor.fetchall())
    assert sorted(rows) == [(m.version, m.name) for m in MIGRATIONS]


async def test_migrate_applies_only_new_versions(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = backend.fresh()
    await store.migrate()
    stream = await new_stream(store)
    extra = Migration(
        LATEST + 1,
        "a table for this test",
        mysql=(
            "CREATE TABLE IF NOT EXISTS extra (id INT PRIMARY KEY)",
            "INSERT INTO extra VALUES (1)",
        ),
        sqlite=(
            "CREATE TABLE IF NOT EXISTS extra (id INT PRIMARY KEY)",
            "INSERT INTO extra VALUES (1)",
        ),
    )
    monkeypatch.setattr(migrations, "MIGRATIONS", (*MIGRATIONS, extra))
    # Applying the whole first migration again would fail nothing (IF NOT
    # EXISTS), but inserting into `extra` twice would: so run it twice.
    assert await store.migrate() == LATEST + 1
    assert await store.migrate() == LATEST + 1
    assert (await store.get_stream_by_id(stream.id)).label == "prod"


async def test_an_unmigrated_database_says_to_migrate(backend: Backend) -> None:
    store = backend.fresh()
    if isinstance(store, MySQLRuleStore):
        await store.create_database()
    with pytest.raises(StoreUnavailableError, match="powertrack db migrate"):
        await store.list_accounts()
    with pytest.raises(StoreUnavailableError, match="powertrack db migrate"):
        await store.add_rules(1, [NewRule("cat")], rule_limit=10)


async def test_a_reopened_store_keeps_everything_and_ids_keep_rising(backend: Backend) -> None:
    first = backend.open()
    stream = await new_stream(first)
    before = await add(first, stream.id, ["a", "b"])
    await first.close()

    second = backend.open()
    assert await second.migrate() == LATEST
    assert await second.get_rules(stream.id) == before
    [after] = await second.add_rules(stream.id, [NewRule("c")], rule_limit=10)
    assert after.rule.id > max(r.id for r in before)
    assert split_rule_id(after.rule.id).worker_id != split_rule_id(before[0].id).worker_id
    assert [u.position for u in await second.updates_since(0)] == [1, 2, 3]


async def test_an_unreachable_database_is_unavailable(backend: Backend) -> None:
    store = backend.unreachable()
    with pytest.raises(StoreUnavailableError, match="cannot connect") as caught:
        await store.ping()
    if backend.name == "mysql":
        assert isinstance(store, MySQLRuleStore)
        assert f"127.0.0.1:{store.port}" in str(caught.value)
    with pytest.raises(StoreUnavailableError):
        await store.create_account("acme", connection_limit=1)
    with pytest.raises(StoreUnavailableError):
        await store.add_rules(1, [NewRule("cat")], rule_limit=10)
    with pytest.raises(StoreUnavailableError):
        await store.snapshot()


async def test_a_failure_mid_write_writes_nothing(
    backend: Backend, store: RuleStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = await new_stream(store)
    await store.add_rules(stream.id, [NewRule("a")], rule_limit=10)
    before = log_size(backend)
    real_executemany = _db.Tx.executemany

    def fail_on_log(tx: _db.Tx, query: str, rows: list[tuple[Any, ...]]) -> None:
        if "rule_updates" not in query:
            real_executemany(tx, query, rows)
        elif backend.name == "mysql":
            # Really lose the connection, after the rules were inserted.
            [(connection_id,)] = tx.rows("SELECT CONNECTION_ID()")
            backend.query(f"KILL CONNECTION {connection_id}")
            real_executemany(tx, query, rows)
        else:
            raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(_db.Tx, "executemany", fail_on_log)
    with pytest.raises(StoreUnavailableError, match="failed to add rules"):
        await store.add_rules(stream.id, [NewRule("b"), NewRule("c")], rule_limit=10)
    with pytest.raises(StoreUnavailableError, match="failed to delete rules"):
        await store.delete_rules(stream.id, values=["a"])
    monkeypatch.undo()
    assert log_size(backend) == before
    assert [r.value for r in await store.get_rules(stream.id)] == ["a"]
    assert await store.count_rules(stream.id) == 1
    # The store recovers on a new connection.
    outcomes = await store.add_rules(stream.id, [NewRule("b")], rule_limit=10)
    assert outcomes[0].created
    assert log_size(backend) == (2, 2, 2)


async def test_connections_the_server_dropped_are_replaced(mysql_backend: Backend) -> None:
    backend = mysql_backend
    store = backend.open()
    stream = await new_stream(store)
    await store.add_rules(stream.id, [NewRule("a")], rule_limit=10)
    [(own,)] = backend.query("SELECT CONNECTION_ID()")
    killed = 0
    assert isinstance(store, MySQLRuleStore)
    for (connection_id,) in backend.query(
        "SELECT ID FROM information_schema.PROCESSLIST"
        f" WHERE DB = '{store.database}' AND ID <> {own}"
    ):
        backend.query(f"KILL CONNECTION {connection_id}")
        killed += 1
    assert killed >= 1
    assert len(await store.get_rules(stream.id)) == 1
    for (connection_id,) in backend.query(
        "SELECT ID FROM information_schema.PROCESSLIST"
        f" WHERE DB = '{store.database}' AND ID <> {own}"
    ):
        backend.query(f"KILL CONNECTION {connection_id}")
    [outcome] = await store.add_rules(stream.id, [NewRule("b")], rule_limit=10)
    assert outcome.created
    await store.ping()


async def test_a_closed_store_refuses_calls(backend: Backend) -> None:
    store = backend.open()
    await store.ping()
    await store.close()
    with pytest.raises(StoreUnavailableError, match="closed"):
        await store.ping()


async def test_wait_until_ready(backend: Backend) -> None:
    await wait_until_ready(backend.store, timeout=1.0)
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError):
        await wait_until_ready(backend.unreachable(), timeout=0.1)
    assert time.monotonic() - started < 3


async def test_in_memory_sqlite_keeps_one_database(tmp_path: Path) -> None:
    for url in ("sqlite://:memory:", "sqlite:///:memory:"):
        store = open_store(url)
        try:
            assert isinstance(store, SQLiteRuleStore)
            assert store.path == ":memory:"
            await store.migrate()
            stream = await new_stream(store)
            await store.add_rules(stream.id, [NewRule("a"), NewRule("b")], rule_limit=10)
            assert [r.value for r in (await store.snapshot()).rules] == ["a", "b"]
            assert await store.count_rules(stream.id) == 2
        finally:
            await store.close()


def test_open_store_reads_sqlite_urls() -> None:
    relative = open_store("sqlite:///data/rules.db")
    absolute = open_store("sqlite:////var/lib/powertrack/rules.db")
    assert isinstance(relative, SQLiteRuleStore)
    assert relative.path == "data/rules.db"
    assert isinstance(absolute, SQLiteRuleStore)
    assert absolute.path == "/var/lib/powertrack/rules.db"


def test_open_store_reads_mysql_urls() -> None:
    store = open_store("mysql://pt%40app:p%3Ass%2Fw%20rd@db.example:3307/power_track")
    assert isinstance(store, MySQLRuleStore)
    assert (store.host, store.port, store.user, store.database) == (
        "db.example",
        3307,
        "pt@app",
        "power_track",
    )
    assert store._mysql.password == "p:ss/w rd"
    default_port = open_store("mysql+pymysql://root@localhost/powertrack")
    assert isinstance(default_port, MySQLRuleStore)
    assert default_port.port == 3306


@pytest.mark.parametrize(
    "url",
    [
        "postgres://u:p@h/db",
        "sqlite://relative.db",
        "sqlite:///",
        "sqlite:/rules.db",
        "mysql://user@host",
        "mysql://user@host:notaport/db",
        "mysql:///db",
        "rules.db",
    ],
)
def test_open_store_refuses_bad_urls(url: str) -> None:
    with pytest.raises(ValueError, match="URL"):
        open_store(url)


async def test_a_migration_interrupted_after_its_column_was_added_is_rerun(
    backend: Backend,
) -> None:
    # MySQL commits each DDL statement on its own: a migration can add its
    # column and die before it is recorded. The re-run must then go through.
    store = backend.fresh()
    assert await store.migrate() == LATEST
    stream = await new_stream(store)
    if backend.name == "sqlite":
        assert isinstance(store, SQLiteRuleStore)
        with sqlite3.connect(store.path) as connection:
            connection.execute("DELETE FROM schema_migrations WHERE version >= 2")
    else:
        assert isinstance(store, MySQLRuleStore)
        admin = pymysql.connect(
            host=store.host, port=store.port, user="root", database=store.database, autocommit=True
        )
        with admin.cursor() as cursor:
            cursor.execute("DELETE FROM schema_migrations WHERE version >= 2")
        admin.close()
    assert await store.migrate() == LATEST
    assert (await store.get_stream_by_id(stream.id)).stack == "main"

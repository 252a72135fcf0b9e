"""The stores RuleSync is tested against: SQLite, and MySQL on the MariaDB of
``scripts/services`` (127.0.0.1:3306, root, no password), which must be up."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pymysql
import pytest

from powertrack.store import MySQLRuleStore, RuleStore, SQLiteRuleStore

MYSQL_HOST = "127.0.0.1"
MYSQL_PORT = 3306
MYSQL_USER = "root"


def _mysql_admin() -> pymysql.Connection[Any]:
    return pymysql.connect(
        host=MYSQL_HOST, port=MYSQL_PORT, user=MYSQL_USER, password="", autocommit=True
    )


@pytest.fixture(params=["sqlite", "mysql"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], RuleStore]]:
    """Opens a store on this test's own empty database (not yet migrated); each
    call is another connection to the same database, as another node would have."""
    if request.param == "sqlite":
        yield lambda: SQLiteRuleStore(tmp_path / "rules.db")
        return
    try:
        admin = _mysql_admin()
    except pymysql.err.Error as exc:
        pytest.fail(
            f"MariaDB/MySQL is not reachable on {MYSQL_HOST}:{MYSQL_PORT} as {MYSQL_USER} "
            f"with no password ({exc}). Start it with scripts/services.",
            pytrace=False,
        )
    database = f"powertrack_test_{secrets.token_hex(6)}"
    try:
        yield lambda: MySQLRuleStore(MYSQL_HOST, MYSQL_PORT, MYSQL_USER, "", database)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{database}`")
        admin.close()

"""The stores RuleSync is tested against: SQLite, and MySQL on the MariaDB of
``scripts/services`` (127.0.0.1:3306, root, no password), which must be up."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from powertrack.store import RuleStore, SQLiteRuleStore
from tests.mysql import mysql_admin, mysql_store


@pytest.fixture(params=["sqlite", "mysql"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], RuleStore]]:
    """Opens a store on this test's own empty database (not yet migrated); each
    call is another connection to the same database, as another node would have."""
    if request.param == "sqlite":
        yield lambda: SQLiteRuleStore(tmp_path / "rules.db")
        return
    admin = mysql_admin()
    database = f"powertrack_test_{secrets.token_hex(6)}"
    try:
        yield lambda: mysql_store(database)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{database}`")
        admin.close()

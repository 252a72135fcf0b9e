"""The MariaDB/MySQL server the integration tests use: 127.0.0.1:3306, user root,
no password (``scripts/services`` starts it). Unreachable, it fails the tests
that need it, never skips them."""

from __future__ import annotations

from typing import Any

import pymysql
import pytest

from powertrack.store import MySQLRuleStore

MYSQL_HOST = "127.0.0.1"
MYSQL_PORT = 3306
MYSQL_USER = "root"


def mysql_admin(database: str | None = None) -> pymysql.Connection[Any]:
    """A plain autocommit connection to the test server; ``pytest.fail`` if unreachable."""
    try:
        return pymysql.connect(
            host=MYSQL_HOST,
            port=MYSQL_PORT,
            user=MYSQL_USER,
            password="",
            database=database,
            charset="utf8mb4",
            autocommit=True,
            binary_prefix=True,
        )
    except pymysql.err.Error as exc:
        pytest.fail(
            f"MariaDB/MySQL is not reachable on {MYSQL_HOST}:{MYSQL_PORT} as {MYSQL_USER} "
            f"with no password ({exc}). Start it with scripts/services.",
            pytrace=False,
        )


def mysql_store(database: str) -> MySQLRuleStore:
    """A store on ``database`` of the test server."""
    return MySQLRuleStore(MYSQL_HOST, MYSQL_PORT, MYSQL_USER, "", database)

"""Column lists and the conversion of result rows into records."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from powertrack.store._db import Dialect, Row
from powertrack.store.models import (
    Account,
    Credential,
    CredentialKind,
    RuleUpdate,
    StoredRule,
    Stream,
    UpdateOp,
)

T = TypeVar("T")

ACCOUNT = "id, name, connection_limit, rule_limit, created_at"
STREAM = "id, account_id, label, created_at, stack"
CREDENTIAL = "id, key_id, kind, account_id, stream_id, salt, secret_hash, created_at"
RULE = "id, stream_id, value, tag, created_at, code"
UPDATE = "position, stream_id, rule_id, op, value, tag, at, code"

# Placeholders per statement stay well under SQLite's and MySQL's limits.
_CHUNK = 500


def chunks(items: Sequence[T]) -> Iterable[Sequence[T]]:
    """``items`` in slices small enough for one ``IN (...)`` list each."""
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def marks(items: Sequence[Any]) -> str:
    """``?, ?, ?``: one placeholder per item."""
    return ", ".join("?" * len(items))


def value_hash(value: str) -> bytes:
    """The key of a rule value's uniqueness within its stream."""
    return hashlib.sha256(value.encode("utf-8")).digest()


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def account(row: Row, dialect: Dialect) -> Account:
    """An ``accounts`` row selected as :data:`ACCOUNT`."""
    return Account(row[0], row[1], row[2], row[3], dialect.from_db_time(row[4]))


def stream(row: Row, dialect: Dialect) -> Stream:
    """A ``streams`` row selected as :data:`STREAM`."""
    return Stream(row[0], row[1], row[2], dialect.from_db_time(row[3]), row[4])


def credential(row: Row, dialect: Dialect) -> Credential:
    """A ``credentials`` row selected as :data:`CREDENTIAL`."""
    kind = cast(CredentialKind, row[2])
    created_at = dialect.from_db_time(row[7])
    return Credential(
        row[0], row[1], kind, row[3], row[4], bytes(row[5]), bytes(row[6]), created_at
    )


def rule(row: Row, dialect: Dialect) -> StoredRule:
    """A ``rules`` row selected as :data:`RULE`."""
    code = None if row[5] is None else bytes(row[5])
    return StoredRule(row[0], row[1], row[2], row[3], dialect.from_db_time(row[4]), code)


def update(row: Row, dialect: Dialect) -> RuleUpdate:
    """A ``rule_updates`` row selected as :data:`UPDATE`."""
    op = cast(UpdateOp, row[3])
    code = None if row[7] is None else bytes(row[7])
    return RuleUpdate(
        row[0], row[1], row[2], op, row[4], row[5], dialect.from_db_time(row[6]), code
    )

"""Where rules are kept: accounts, streams, credentials, the active rules and
the rule log, in MySQL (production) or SQLite (embedded).

:func:`open_store` turns a ``database_url`` setting into a :class:`RuleStore`.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from powertrack.store.errors import (
    AlreadyExistsError,
    MoveInProgressError,
    NotFoundError,
    RuleCapExceededError,
    StoreError,
    StoreUnavailableError,
)
from powertrack.store.models import (
    DEFAULT_RULE_LIMIT,
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
    UpdateOp,
)
from powertrack.store.mysql import DEFAULT_PORT, MySQLRuleStore
from powertrack.store.protocol import RuleStore
from powertrack.store.ready import migrate_when_ready, wait_until_ready
from powertrack.store.sqlite import SQLiteRuleStore

__all__ = [
    "DEFAULT_RULE_LIMIT",
    "Account",
    "AlreadyExistsError",
    "Credential",
    "CredentialKind",
    "DeleteResult",
    "MoveInProgressError",
    "MovePartition",
    "MySQLRuleStore",
    "NewRule",
    "NotFoundError",
    "RuleCapExceededError",
    "RuleOutcome",
    "RuleStore",
    "RuleUpdate",
    "SQLiteRuleStore",
    "Snapshot",
    "StackMove",
    "StoreError",
    "StoreUnavailableError",
    "StoredRule",
    "Stream",
    "UpdateOp",
    "migrate_when_ready",
    "open_store",
    "wait_until_ready",
]

_SQLITE = "sqlite://"
_MEMORY_FORMS = (":memory:", "/:memory:")
_URL_FORMS = "sqlite:///relative.db, sqlite:////absolute.db, sqlite://:memory: or mysql://user:password@host:port/database"


def open_store(url: str) -> RuleStore:
    """The store a database URL names; nothing connects until it is first used.

    ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``,
    ``sqlite://:memory:`` (or ``sqlite:///:memory:``), and
    ``mysql://user:password@host:port/database`` (``mysql+pymysql://`` too;
    user and password percent-decoded; port 3306 when omitted). A bad URL
    raises ``ValueError``.
    """
    if url.startswith(_SQLITE):
        rest = url[len(_SQLITE) :]
        if rest in _MEMORY_FORMS:
            return SQLiteRuleStore(":memory:")
        if not rest.startswith("/") or len(rest) == 1:
            raise ValueError(f"Cannot read database URL {url!r}: expected {_URL_FORMS}")
        return SQLiteRuleStore(unquote(rest[1:]))
    parts = urlsplit(url)
    if parts.scheme not in ("mysql", "mysql+pymysql"):
        raise ValueError(f"Unsupported database URL {url!r}: expected {_URL_FORMS}")
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError as exc:
        raise ValueError(f"Bad port in database URL {url!r}") from exc
    database = unquote(parts.path.lstrip("/"))
    if not parts.hostname or not database or "/" in database:
        raise ValueError(f"Cannot read database URL {url!r}: expected {_URL_FORMS}")
    return MySQLRuleStore(
        parts.hostname,
        port,
        unquote(parts.username or "root"),
        unquote(parts.password or ""),
        database,
    )

"""Versioned schema migrations, written once for MySQL and once for SQLite.

``migrate()`` applies, in version order, every migration whose version is not
yet in ``schema_migrations``. Migrations are append-only: a released one is
never edited; a schema change is a new version. Every statement is written to
be safe to run again (``IF NOT EXISTS``, ``INSERT IGNORE``) because MySQL
commits each DDL statement on its own, so a migration interrupted half-way is
re-run from its start.

The two schemas hold the same tables and columns. MySQL text columns are
utf8mb4 with the binary collation, so values compare exactly (case, accents
and emoji all distinct), as SQLite's ``TEXT`` does by default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["MIGRATIONS", "SCHEMA_MIGRATIONS_DDL", "DialectName", "Migration"]

DialectName = Literal["mysql", "sqlite"]


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema version: the statements that reach it from the previous one."""

    version: int
    name: str
    mysql: tuple[str, ...]
    sqlite: tuple[str, ...]

    def statements(self, dialect: DialectName) -> tuple[str, ...]:
        """This migration's statements in one dialect."""
        return self.mysql if dialect == "mysql" else self.sqlite


_MYSQL_TABLE = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"

SCHEMA_MIGRATIONS_DDL: Final[dict[DialectName, str]] = {
    "mysql": f"""
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version INT NOT NULL PRIMARY KEY,
            name VARCHAR(255) NOT NULL,
            applied_at DATETIME(6) NOT NULL
        ) {_MYSQL_TABLE}""",
    "sqlite": """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER NOT NULL PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )""",
}
"""The bookkeeping table itself, created before any migration runs."""

# streams.rule_count is kept by the rule writers (who hold the log lock), so
# the cap check need not count a stream's rules, up to 250,000, on every add.
# Positions in rule_updates are assigned from log_head.position by the writer
# holding the log_head row lock, not by AUTO_INCREMENT: InnoDB hands out
# auto-increment values before commit and never returns those of rolled-back
# transactions, which would leave holes a poller cannot tell from lag.
_V1_MYSQL = (
    f"""CREATE TABLE IF NOT EXISTS accounts (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        name VARCHAR(255) NOT NULL,
        connection_limit INT NOT NULL,
        rule_limit INT NOT NULL,
        created_at DATETIME(6) NOT NULL,
        UNIQUE KEY accounts_name (name)
    ) {_MYSQL_TABLE}""",
    f"""CREATE TABLE IF NOT EXISTS streams (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        account_id BIGINT NOT NULL,
        label VARCHAR(255) NOT NULL,
        rule_count BIGINT NOT NULL DEFAULT 0,
        created_at DATETIME(6) NOT NULL,
        UNIQUE KEY streams_account_label (account_id, label),
        CONSTRAINT streams_account FOREIGN KEY (account_id) REFERENCES accounts (id)
    ) {_MYSQL_TABLE}""",
    f"""CREATE TABLE IF NOT EXISTS credentials (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        key_id VARCHAR(255) NOT NULL,
        kind VARCHAR(16) NOT NULL,
        account_id BIGINT NOT NULL,
        stream_id BIGINT NULL,
        salt VARBINARY(255) NOT NULL,
        secret_hash VARBINARY(255) NOT NULL,
        created_at DATETIME(6) NOT NULL,
        UNIQUE KEY credentials_key_id (key_id),
        CONSTRAINT credentials_kind CHECK (kind IN ('basic', 'bearer')),
        CONSTRAINT credentials_account FOREIGN KEY (account_id) REFERENCES accounts (id),
        CONSTRAINT credentials_stream FOREIGN KEY (stream_id) REFERENCES streams (id)
    ) {_MYSQL_TABLE}""",
    # A unique index cannot cover a 2,048-character utf8mb4 column (8 KiB, over
    # InnoDB's 3 KiB key limit), so uniqueness per stream is on the value's sha256.
    f"""CREATE TABLE IF NOT EXISTS rules (
        id BIGINT NOT NULL PRIMARY KEY,
        stream_id BIGINT NOT NULL,
        value VARCHAR(2048) NOT NULL,
        value_hash BINARY(32) NOT NULL,
        tag VARCHAR(255) NULL,
        created_at DATETIME(6) NOT NULL,
        UNIQUE KEY rules_stream_value (stream_id, value_hash),
        KEY rules_stream_id (stream_id, id),
        CONSTRAINT rules_stream FOREIGN KEY (stream_id) REFERENCES streams (id)
    ) {_MYSQL_TABLE}""",
    f"""CREATE TABLE IF NOT EXISTS rule_updates (
        position BIGINT NOT NULL PRIMARY KEY,
        stream_id BIGINT NOT NULL,
        rule_id BIGINT NOT NULL,
        op VARCHAR(6) NOT NULL,
        value VARCHAR(2048) NOT NULL,
        tag VARCHAR(255) NULL,
        at DATETIME(6) NOT NULL,
        KEY rule_updates_stream_position (stream_id, position),
        CONSTRAINT rule_updates_op CHECK (op IN ('add', 'delete')),
        CONSTRAINT rule_updates_stream FOREIGN KEY (stream_id) REFERENCES streams (id)
    ) {_MYSQL_TABLE}""",
    f"""CREATE TABLE IF NOT EXISTS log_head (
        id TINYINT NOT NULL PRIMARY KEY,
        position BIGINT NOT NULL,
        CONSTRAINT log_head_one_row CHECK (id = 1)
    ) {_MYSQL_TABLE}""",
    "INSERT IGNORE INTO log_head (id, position) VALUES (1, 0)",
    f"""CREATE TABLE IF NOT EXISTS id_workers (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        host VARCHAR(255) NOT NULL,
        pid INT NOT NULL,
        started_at DATETIME(6) NOT NULL
    ) {_MYSQL_TABLE}""",
)

_V1_SQLITE = (
    """CREATE TABLE IF NOT EXISTS accounts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE CHECK (length(name) <= 255),
        connection_limit INTEGER NOT NULL,
        rule_limit INTEGER NOT NULL,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS streams (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id INTEGER NOT NULL REFERENCES accounts (id),
        label TEXT NOT NULL CHECK (length(label) <= 255),
        rule_count INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        UNIQUE (account_id, label)
    )""",
    """CREATE TABLE IF NOT EXISTS credentials (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key_id TEXT NOT NULL UNIQUE CHECK (length(key_id) <= 255),
        kind TEXT NOT NULL CHECK (kind IN ('basic', 'bearer')),
        account_id INTEGER NOT NULL REFERENCES accounts (id),
        stream_id INTEGER NULL REFERENCES streams (id),
        salt BLOB NOT NULL,
        secret_hash BLOB NOT NULL,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS rules (
        id INTEGER NOT NULL PRIMARY KEY,
        stream_id INTEGER NOT NULL REFERENCES streams (id),
        value TEXT NOT NULL CHECK (length(value) <= 2048),
        value_hash BLOB NOT NULL,
        tag TEXT NULL CHECK (length(tag) <= 255),
        created_at TEXT NOT NULL,
        UNIQUE (stream_id, value_hash)
    )""",
    "CREATE INDEX IF NOT EXISTS rules_stream_id ON rules (stream_id, id)",
    """CREATE TABLE IF NOT EXISTS rule_updates (
        position INTEGER NOT NULL PRIMARY KEY,
        stream_id INTEGER NOT NULL REFERENCES streams (id),
        rule_id INTEGER NOT NULL,
        op TEXT NOT NULL CHECK (op IN ('add', 'delete')),
        value TEXT NOT NULL CHECK (length(value) <= 2048),
        tag TEXT NULL CHECK (length(tag) <= 255),
        at TEXT NOT NULL
    )""",
    """CREATE INDEX IF NOT EXISTS rule_updates_stream_position
        ON rule_updates (stream_id, position)""",
    """CREATE TABLE IF NOT EXISTS log_head (
        id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
        position INTEGER NOT NULL
    )""",
    "INSERT OR IGNORE INTO log_head (id, position) VALUES (1, 0)",
    # AUTOINCREMENT: SQLite then never hands out a worker row id twice.
    """CREATE TABLE IF NOT EXISTS id_workers (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started_at TEXT NOT NULL
    )""",
)

# A stream belongs to one stack: the set of filter nodes that match its rules,
# so a busy customer can be given nodes of its own. Neither SQLite nor MySQL 8
# has ADD COLUMN IF NOT EXISTS: a re-run that meets the column counts it as
# applied (Dialect.already_applied).
_V2_MYSQL = ("ALTER TABLE streams ADD COLUMN stack VARCHAR(64) NOT NULL DEFAULT 'main'",)

_V2_SQLITE = (
    "ALTER TABLE streams ADD COLUMN stack TEXT NOT NULL DEFAULT 'main' CHECK (length(stack) <= 64)",
)

# A live move of an account between stacks, and its handoff per side and
# firehose partition (filter/handoff.py): the cut the old stack stopped at, the
# start of the new stack's main loop, and whether the new stack has caught up
# on the offsets between. Rows are written first-writer-wins, so a partition's
# handoff never changes once recorded. ``partition`` is reserved in MySQL,
# hence ``firehose_partition``.
_V3_MYSQL = (
    f"""CREATE TABLE IF NOT EXISTS stack_moves (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        account_id BIGINT NOT NULL,
        from_stack VARCHAR(64) NOT NULL,
        to_stack VARCHAR(64) NOT NULL,
        partitions INT NOT NULL,
        sides VARCHAR(8) NOT NULL,
        created_at DATETIME(6) NOT NULL,
        KEY stack_moves_account (account_id, id)
    ) {_MYSQL_TABLE}""",
    f"""CREATE TABLE IF NOT EXISTS stack_move_partitions (
        move_id BIGINT NOT NULL,
        side CHAR(1) NOT NULL,
        firehose_partition INT NOT NULL,
        cut_offset BIGINT NOT NULL,
        start_offset BIGINT NULL,
        catchup_done BOOLEAN NOT NULL DEFAULT FALSE,
        PRIMARY KEY (move_id, side, firehose_partition),
        CONSTRAINT stack_move_partitions_move FOREIGN KEY (move_id) REFERENCES stack_moves (id)
    ) {_MYSQL_TABLE}""",
)

_V3_SQLITE = (
    """CREATE TABLE IF NOT EXISTS stack_moves (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id INTEGER NOT NULL,
        from_stack TEXT NOT NULL CHECK (length(from_stack) <= 64),
        to_stack TEXT NOT NULL CHECK (length(to_stack) <= 64),
        partitions INTEGER NOT NULL,
        sides TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS stack_moves_account ON stack_moves (account_id, id)",
    """CREATE TABLE IF NOT EXISTS stack_move_partitions (
        move_id INTEGER NOT NULL REFERENCES stack_moves (id),
        side TEXT NOT NULL,
        firehose_partition INTEGER NOT NULL,
        cut_offset INTEGER NOT NULL,
        start_offset INTEGER NULL,
        catchup_done INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (move_id, side, firehose_partition)
    )""",
)

# Each rule's compiled form (rules.codec) beside its text, in the rules and in
# the log's add entries, so filter nodes load rules without parsing them.
# NULL where a rule was added before this version, or by a writer that did
# not compile it: nodes parse the text then.
_V4_MYSQL = (
    "ALTER TABLE rules ADD COLUMN code BLOB NULL",
    "ALTER TABLE rule_updates ADD COLUMN code BLOB NULL",
)

_V4_SQLITE = (
    "ALTER TABLE rules ADD COLUMN code BLOB NULL",
    "ALTER TABLE rule_updates ADD COLUMN code BLOB NULL",
)

MIGRATIONS: Final[tuple[Migration, ...]] = (
    Migration(1, "accounts, streams, credentials, rules and the rule log", _V1_MYSQL, _V1_SQLITE),
    Migration(2, "streams.stack: the filter stack that matches a stream", _V2_MYSQL, _V2_SQLITE),
    Migration(3, "stack moves and their handoff per side and partition", _V3_MYSQL, _V3_SQLITE),
    Migration(4, "rules.code and rule_updates.code: rules' compiled forms", _V4_MYSQL, _V4_SQLITE),
)
"""Every migration, in version order."""

"""The rule transactions, as bodies for :meth:`Database.run`.

A body that writes rules takes the log lock first (:meth:`Tx.lock_log`), then
reads, checks and writes ``rules``, the stream's ``rule_count`` and
``rule_updates`` together. Log positions
are the lock holder's: it numbers its entries from the position in
``log_head`` and moves the head past them, so positions are dense and commit
in order. A dry run skips the lock and the writes and runs in a read-only
snapshot instead, computing the same outcomes from the same state.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from powertrack.store import _rows
from powertrack.store._db import Tx
from powertrack.store.errors import NotFoundError, RuleCapExceededError
from powertrack.store.ids import RuleIdGenerator
from powertrack.store.models import (
    DeleteResult,
    NewRule,
    RuleOutcome,
    RuleUpdate,
    Snapshot,
    StoredRule,
    UpdateOp,
)


def add_rules(
    tx: Tx,
    ids: RuleIdGenerator,
    stream_id: int,
    rules: Sequence[NewRule],
    *,
    rule_limit: int,
    dry_run: bool,
) -> list[RuleOutcome]:
    """Add ``rules`` to a stream: see ``RuleStore.add_rules``."""
    head = 0 if dry_run else tx.lock_log()
    current = _rule_count(tx, stream_id)
    existing = _rules_by_value(tx, stream_id, [rule.value for rule in rules])
    new_values = {rule.value for rule in rules} - existing.keys()
    # A request adding nothing new succeeds even on a stream over a lowered limit.
    if new_values and current + len(new_values) > rule_limit:
        raise RuleCapExceededError(rule_limit, current, len(new_values))
    now = _rows.now()
    created: dict[str, StoredRule] = {}
    outcomes = []
    for submitted in rules:
        known = existing.get(submitted.value) or created.get(submitted.value)
        if known is not None:
            outcomes.append(RuleOutcome(known, created=False))
            continue
        rule = StoredRule(
            ids.next_id(), stream_id, submitted.value, submitted.tag, now, submitted.code
        )
        created[rule.value] = rule
        outcomes.append(RuleOutcome(rule, created=True))
    if created and not dry_run:
        to_db = tx.dialect.to_db_time(now)
        tx.executemany(
            "INSERT INTO rules (id, stream_id, value, value_hash, tag, created_at, code)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (r.id, stream_id, r.value, _rows.value_hash(r.value), r.tag, to_db, r.code)
                for r in created.values()
            ],
        )
        tx.execute(
            "UPDATE streams SET rule_count = rule_count + ? WHERE id = ?", (len(created), stream_id)
        )
        _log(tx, head, "add", created.values(), to_db)
    return outcomes


def delete_rules(
    tx: Tx, stream_id: int, ids: Sequence[int], values: Sequence[str], *, dry_run: bool
) -> DeleteResult:
    """Delete rules by id and by value: see ``RuleStore.delete_rules``."""
    head = 0 if dry_run else tx.lock_log()
    _rule_count(tx, stream_id)
    wanted_ids = list(dict.fromkeys(ids))
    wanted_values = list(dict.fromkeys(values))
    by_id = {rule.id: rule for rule in get_rules(tx, stream_id, ids=wanted_ids)}
    by_value = _rules_by_value(tx, stream_id, wanted_values)
    doomed = {i: by_id[i] for i in wanted_ids if i in by_id}
    for value in wanted_values:
        if value in by_value:
            doomed.setdefault(by_value[value].id, by_value[value])
    if doomed and not dry_run:
        _delete(tx, head, stream_id, list(doomed.values()))
    return DeleteResult(
        deleted=tuple(doomed.values()),
        missing_ids=tuple(i for i in wanted_ids if i not in by_id),
        missing_values=tuple(v for v in wanted_values if v not in by_value),
    )


def delete_all_rules(tx: Tx, stream_id: int, *, dry_run: bool) -> DeleteResult:
    """Delete every rule of a stream: see ``RuleStore.delete_all_rules``."""
    head = 0 if dry_run else tx.lock_log()
    _rule_count(tx, stream_id)
    doomed = get_rules(tx, stream_id)
    if doomed and not dry_run:
        _delete(tx, head, stream_id, doomed)
    return DeleteResult(deleted=tuple(doomed))


def get_rules(
    tx: Tx,
    stream_id: int,
    *,
    ids: Sequence[int] | None = None,
    after_id: int | None = None,
    limit: int | None = None,
) -> list[StoredRule]:
    """Active rules of a stream: see ``RuleStore.get_rules``."""
    dialect = tx.dialect
    if ids is None:
        query = f"SELECT {_rows.RULE} FROM rules WHERE stream_id = ?"
        args: list[object] = [stream_id]
        if after_id is not None:
            query += " AND id > ?"
            args.append(after_id)
        query += " ORDER BY id"
        if limit is not None:
            query += " LIMIT ?"
            args.append(limit)
        return [_rows.rule(row, dialect) for row in tx.rows(query, args)]
    found: dict[int, StoredRule] = {}
    for chunk in _rows.chunks(list(dict.fromkeys(ids))):
        query = (
            f"SELECT {_rows.RULE} FROM rules WHERE stream_id = ? AND id IN ({_rows.marks(chunk)})"
        )
        for row in tx.rows(query, [stream_id, *chunk]):
            found[row[0]] = _rows.rule(row, dialect)
    rules = sorted(
        (r for r in found.values() if after_id is None or r.id > after_id), key=lambda r: r.id
    )
    return rules if limit is None else rules[:limit]


def count_rules(tx: Tx, stream_id: int) -> int:
    """How many rules are active in a stream (0 if there is no such stream)."""
    row = tx.row("SELECT rule_count FROM streams WHERE id = ?", (stream_id,))
    return 0 if row is None else int(row[0])


def snapshot(tx: Tx, stream_ids: Collection[int] | None) -> Snapshot:
    """Rules and log position, read in the caller's snapshot transaction."""
    position = int(tx.scalar("SELECT position FROM log_head WHERE id = 1"))
    dialect = tx.dialect
    if stream_ids is None:
        rows = tx.rows(f"SELECT {_rows.RULE} FROM rules ORDER BY id")
    else:
        rows = []
        for chunk in _rows.chunks(sorted(set(stream_ids))):
            query = f"SELECT {_rows.RULE} FROM rules WHERE stream_id IN ({_rows.marks(chunk)})"
            rows.extend(tx.rows(query, chunk))
        rows.sort(key=lambda row: int(row[0]))
    return Snapshot(rules=tuple(_rows.rule(row, dialect) for row in rows), position=position)


def updates_since(
    tx: Tx, position: int, stream_ids: Collection[int] | None, limit: int
) -> list[RuleUpdate]:
    """Log entries after ``position``: see ``RuleStore.updates_since``."""
    select = f"SELECT {_rows.UPDATE} FROM rule_updates WHERE position > ?"
    if stream_ids is None:
        rows = tx.rows(f"{select} ORDER BY position LIMIT ?", (position, limit))
    else:
        rows = []
        for chunk in _rows.chunks(sorted(set(stream_ids))):
            query = f"{select} AND stream_id IN ({_rows.marks(chunk)}) ORDER BY position LIMIT ?"
            rows.extend(tx.rows(query, [position, *chunk, limit]))
        rows = sorted(rows, key=lambda row: int(row[0]))[:limit]
    return [_rows.update(row, tx.dialect) for row in rows]


def _rule_count(tx: Tx, stream_id: int) -> int:
    """The stream's rule count; ``NotFoundError`` if there is no such stream."""
    row = tx.row("SELECT rule_count FROM streams WHERE id = ?", (stream_id,))
    if row is None:
        raise NotFoundError(f"No stream with id {stream_id}")
    return int(row[0])


def _rules_by_value(tx: Tx, stream_id: int, values: Iterable[str]) -> dict[str, StoredRule]:
    """The active rules of a stream whose value is exactly one of ``values``."""
    hashes = list({_rows.value_hash(value) for value in values})
    found: dict[str, StoredRule] = {}
    for chunk in _rows.chunks(hashes):
        query = (
            f"SELECT {_rows.RULE} FROM rules"
            f" WHERE stream_id = ? AND value_hash IN ({_rows.marks(chunk)})"
        )
        for row in tx.rows(query, [stream_id, *chunk]):
            rule = _rows.rule(row, tx.dialect)
            found[rule.value] = rule
    return found


def _delete(tx: Tx, head: int, stream_id: int, rules: Sequence[StoredRule]) -> None:
    for chunk in _rows.chunks([rule.id for rule in rules]):
        tx.execute(f"DELETE FROM rules WHERE id IN ({_rows.marks(chunk)})", chunk)
    tx.execute(
        "UPDATE streams SET rule_count = rule_count - ? WHERE id = ?", (len(rules), stream_id)
    )
    _log(tx, head, "delete", rules, tx.dialect.to_db_time(_rows.now()))


def _log(tx: Tx, head: int, op: UpdateOp, rules: Iterable[StoredRule], at: object) -> None:
    """Append one log entry per rule after position ``head`` and move the head."""
    # An add entry carries the rule's compiled form; a delete needs only the id.
    entries = [
        (
            head + n,
            rule.stream_id,
            rule.id,
            op,
            rule.value,
            rule.tag,
            at,
            rule.code if op == "add" else None,
        )
        for n, rule in enumerate(rules, start=1)
    ]
    tx.executemany(
        "INSERT INTO rule_updates (position, stream_id, rule_id, op, value, tag, at, code)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        entries,
    )
    tx.execute("UPDATE log_head SET position = ? WHERE id = 1", (head + len(entries),))

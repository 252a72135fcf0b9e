"""Transaction bodies for live moves of accounts between stacks (``stack_moves``).

The handoff rows are written first-writer-wins by filter nodes that may race
(a partition's old and new owner during a rebalance), so each write is an
insert or a conditional update that leaves an existing value alone, and the
value that won is read back in a transaction of its own: in MySQL a
transaction that lost the race could not see the winner's row in its snapshot.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from powertrack.store import _rows
from powertrack.store._db import ErrorKind, Row, Tx
from powertrack.store.errors import MoveInProgressError, NotFoundError
from powertrack.store.models import MAX_STACK_LENGTH, MovePartition, StackMove

MOVE = "id, account_id, from_stack, to_stack, partitions, sides, created_at"
PROGRESS = "move_id, side, firehose_partition, cut_offset, start_offset, catchup_done"
_KEY = "move_id = ? AND side = ? AND firehose_partition = ?"


def check_move(to_stack: str, partitions: int, sides: Sequence[str]) -> None:
    """Raise ``ValueError`` for a bad stack name, partition count or side list."""
    if not to_stack or len(to_stack) > MAX_STACK_LENGTH:
        raise ValueError(f"A stack name is 1 to {MAX_STACK_LENGTH} characters: {to_stack!r}")
    if partitions < 1:
        raise ValueError(f"A firehose has at least one partition, not {partitions}")
    if not sides or len(set(sides)) != len(sides) or any(len(side) != 1 for side in sides):
        raise ValueError(f"A move needs distinct one-letter sides, not {list(sides)!r}")


def move_account(
    tx: Tx, account_id: int, to_stack: str, partitions: int, sides: Sequence[str], now: datetime
) -> StackMove:
    """Record a move of the account's streams to ``to_stack`` and move them."""
    # The rule-log lock serializes moves too: two concurrent moves of one
    # account could otherwise both find the previous one complete.
    tx.lock_log()
    if tx.row("SELECT id FROM accounts WHERE id = ?", (account_id,)) is None:
        raise NotFoundError(f"No account with id {account_id}")
    stacks = {
        row[0]
        for row in tx.rows("SELECT DISTINCT stack FROM streams WHERE account_id = ?", (account_id,))
    }
    if not stacks:
        raise ValueError("The account has no streams: there is nothing to move")
    if len(stacks) > 1:
        raise ValueError(f"The account's streams are on several stacks: {sorted(stacks)}")
    (from_stack,) = stacks
    if from_stack == to_stack:
        raise ValueError(f"The account is already on stack {to_stack!r}")
    previous = load_moves(
        tx,
        f"SELECT {MOVE} FROM stack_moves WHERE account_id = ? ORDER BY id DESC LIMIT 1",
        (account_id,),
    )
    if previous and not previous[0].complete:
        raise MoveInProgressError(
            f"The account's move {previous[0].id} from {previous[0].from_stack!r} to "
            f"{previous[0].to_stack!r} is not handed over yet; see `powertrack stacks status`"
        )
    side_list = "".join(sides)
    move_id = tx.insert(
        "INSERT INTO stack_moves"
        " (account_id, from_stack, to_stack, partitions, sides, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (account_id, from_stack, to_stack, partitions, side_list, tx.dialect.to_db_time(now)),
        on_duplicate=lambda: MoveInProgressError("stack_moves handed out an id twice"),
    )
    tx.execute("UPDATE streams SET stack = ? WHERE account_id = ?", (to_stack, account_id))
    return StackMove(move_id, account_id, from_stack, to_stack, partitions, tuple(sides), now)


def list_moves(
    tx: Tx, account_id: int | None, stack: str | None, *, latest: bool
) -> list[StackMove]:
    """Moves by id, filtered as :meth:`RuleStore.list_moves` says."""
    conditions: list[str] = []
    args: list[object] = []
    if latest:
        conditions.append("id IN (SELECT MAX(id) FROM stack_moves GROUP BY account_id)")
    if account_id is not None:
        conditions.append("account_id = ?")
        args.append(account_id)
    if stack is not None:
        conditions.append("(from_stack = ? OR to_stack = ?)")
        args.extend((stack, stack))
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return load_moves(tx, f"SELECT {MOVE} FROM stack_moves{where} ORDER BY id", tuple(args))


def load_moves(tx: Tx, query: str, args: Sequence[object]) -> list[StackMove]:
    """The moves ``query`` (selecting :data:`MOVE`) returns, with their progress."""
    rows = tx.rows(query, args)
    progress: defaultdict[int, list[MovePartition]] = defaultdict(list)
    ids = [row[0] for row in rows]
    for chunk in _rows.chunks(ids):
        for entry in tx.rows(
            f"SELECT {PROGRESS} FROM stack_move_partitions WHERE move_id IN ({_rows.marks(chunk)})"
            " ORDER BY move_id, side, firehose_partition",
            tuple(chunk),
        ):
            progress[entry[0]].append(_partition(entry))
    return [_move(row, tx, tuple(progress[row[0]])) for row in rows]


def insert_cut(tx: Tx, move_id: int, side: str, partition: int, offset: int) -> None:
    """Record the cut unless one is recorded; see :meth:`RuleStore.record_cut`."""
    move = tx.row("SELECT account_id FROM stack_moves WHERE id = ?", (move_id,))
    if move is None:
        raise NotFoundError(f"No stack move with id {move_id}")
    # The old stack served nothing of the account below the start of the move
    # that brought the account to it: the stack before served that.
    previous = tx.row(
        "SELECT p.start_offset FROM stack_move_partitions p"
        " WHERE p.move_id = (SELECT MAX(id) FROM stack_moves WHERE account_id = ? AND id < ?)"
        " AND p.side = ? AND p.firehose_partition = ?",
        (move[0], move_id, side, partition),
    )
    cut = max(offset, previous[0]) if previous and previous[0] is not None else offset
    try:
        tx.execute(
            "INSERT INTO stack_move_partitions"
            " (move_id, side, firehose_partition, cut_offset, start_offset, catchup_done)"
            " VALUES (?, ?, ?, ?, NULL, 0)",
            (move_id, side, partition, cut),
        )
    except Exception as exc:
        if tx.dialect.error_kind(exc) is not ErrorKind.DUPLICATE:
            raise


def update_start(tx: Tx, move_id: int, side: str, partition: int, offset: int) -> None:
    """Record the start unless one is recorded; see :meth:`RuleStore.record_start`."""
    tx.execute(
        "UPDATE stack_move_partitions SET"
        " start_offset = CASE WHEN cut_offset > ? THEN cut_offset ELSE ? END,"
        " catchup_done = CASE WHEN cut_offset >= ? THEN 1 ELSE 0 END"
        f" WHERE {_KEY} AND start_offset IS NULL",
        (offset, offset, offset, move_id, side, partition),
    )


def finish_catchup(tx: Tx, move_id: int, side: str, partition: int) -> None:
    """Mark the partition's catch-up done."""
    tx.execute(
        f"UPDATE stack_move_partitions SET catchup_done = 1 WHERE {_KEY}"
        " AND start_offset IS NOT NULL",
        (move_id, side, partition),
    )


def read_partition(tx: Tx, move_id: int, side: str, partition: int) -> MovePartition | None:
    """One partition's progress, or None if its cut is not recorded."""
    row = tx.row(
        f"SELECT {PROGRESS} FROM stack_move_partitions WHERE {_KEY}", (move_id, side, partition)
    )
    return None if row is None else _partition(row)


def _partition(row: Row) -> MovePartition:
    start = None if row[4] is None else int(row[4])
    return MovePartition(str(row[1]), int(row[2]), int(row[3]), start, bool(row[5]))


def _move(row: Row, tx: Tx, progress: tuple[MovePartition, ...]) -> StackMove:
    return StackMove(
        int(row[0]),
        int(row[1]),
        str(row[2]),
        str(row[3]),
        int(row[4]),
        tuple(str(row[5])),
        tx.dialect.from_db_time(row[6]),
        progress,
    )

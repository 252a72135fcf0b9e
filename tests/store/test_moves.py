"""Contract: live moves of an account between stacks and their handoff records."""

from __future__ import annotations

import asyncio

import pytest

from powertrack.store import MoveInProgressError, NotFoundError, RuleStore, StackMove
from tests.store.conftest import Backend


@pytest.fixture(autouse=True)
def _no_moves(backend: Backend) -> None:
    # The session's MySQL database is emptied between tests table by table.
    backend.query("DELETE FROM stack_move_partitions")
    backend.query("DELETE FROM stack_moves")
    if backend.name == "mysql":
        backend.query("COMMIT")


async def _acme(store: RuleStore) -> int:
    acme = await store.create_account("acme", connection_limit=1)
    await store.create_stream(acme.id, "prod")
    await store.create_stream(acme.id, "dev")
    return acme.id


async def _hand_over(store: RuleStore, move: StackMove, offset: int = 10) -> None:
    for side in move.sides:
        for partition in range(move.partitions):
            await store.record_cut(move.id, side, partition, offset)
            progress = await store.record_start(move.id, side, partition, offset + 5)
            if not progress.catchup_done:
                await store.finish_catchup(move.id, side, partition)


async def test_a_move_moves_the_streams_and_is_recorded(store: RuleStore) -> None:
    acme = await _acme(store)
    move = await store.move_account(acme, "q-acme", partitions=2, sides=("A", "B"))
    assert (move.account_id, move.from_stack, move.to_stack) == (acme, "main", "q-acme")
    assert (move.partitions, move.sides, move.progress) == (2, ("A", "B"), ())
    assert not move.complete
    assert [s.stack for s in await store.list_streams(acme)] == ["q-acme", "q-acme"]
    assert await store.list_moves(acme) == [move]
    assert await store.list_moves(stack="q-acme") == [move]
    assert await store.list_moves(stack="main") == [move]
    assert await store.list_moves(stack="other") == []
    # A stream created during quarantine goes with the account's others.
    later = await store.create_stream(acme, "staging")
    assert later.stack == "q-acme"
    assert (await store.get_stream_by_id(later.id)).stack == "q-acme"


async def test_cut_and_start_are_first_writer_wins(store: RuleStore) -> None:
    acme = await _acme(store)
    move = await store.move_account(acme, "q-acme", partitions=2, sides=("A",))
    with pytest.raises(NotFoundError):
        await store.record_start(move.id, "A", 0, 5)
    assert await store.record_cut(move.id, "A", 0, 100) == 100
    assert await store.record_cut(move.id, "A", 0, 50) == 100
    assert await store.record_cut(move.id, "B", 0, 7) == 7

    progress = await store.record_start(move.id, "A", 0, 130)
    assert (progress.cut, progress.start, progress.catchup_done) == (100, 130, False)
    again = await store.record_start(move.id, "A", 0, 170)
    assert again == progress
    await store.finish_catchup(move.id, "A", 0)

    # A start below the cut is the cut, and nothing needs catching up.
    assert await store.record_cut(move.id, "A", 1, 40) == 40
    below = await store.record_start(move.id, "A", 1, 20)
    assert (below.start, below.catchup_done) == (40, True)

    [listed] = await store.list_moves(acme)
    assert listed.complete_on("A")
    assert listed.complete
    assert not listed.complete_on("B")
    entry = listed.partition("A", 0)
    assert entry is not None
    assert (entry.cut, entry.start, entry.catchup_done) == (100, 130, True)
    assert listed.partition("B", 1) is None
    with pytest.raises(NotFoundError):
        await store.record_cut(424242, "A", 0, 1)


async def test_concurrent_cuts_agree(backend: Backend, store: RuleStore) -> None:
    acme = await _acme(store)
    move = await store.move_account(acme, "q-acme", partitions=1, sides=("A",))
    others = [backend.open() for _ in range(4)]
    cuts = await asyncio.gather(
        *(other.record_cut(move.id, "A", 0, 10 * (i + 1)) for i, other in enumerate(others))
    )
    assert len(set(cuts)) == 1
    starts = await asyncio.gather(
        *(other.record_start(move.id, "A", 0, 500 + i) for i, other in enumerate(others))
    )
    assert len({s.start for s in starts}) == 1


async def test_a_second_move_waits_for_the_first_on_every_side(store: RuleStore) -> None:
    acme = await _acme(store)
    first = await store.move_account(acme, "q-acme", partitions=2, sides=("A", "B"))
    with pytest.raises(MoveInProgressError, match="q-acme"):
        await store.move_account(acme, "main", partitions=2, sides=("A", "B"))
    await _hand_over(store, first)
    back = await store.move_account(acme, "main", partitions=2, sides=("A", "B"))
    assert (back.from_stack, back.to_stack) == ("q-acme", "main")
    latest = await store.list_moves(latest=True)
    assert [m.id for m in latest] == [back.id]
    assert [m.id for m in await store.list_moves(acme)] == [first.id, back.id]
    assert [s.stack for s in await store.list_streams(acme)] == ["main", "main"]


async def test_a_cut_is_raised_to_the_start_of_the_move_before(store: RuleStore) -> None:
    acme = await _acme(store)
    first = await store.move_account(acme, "q-acme", partitions=1, sides=("A",))
    await store.record_cut(first.id, "A", 0, 100)
    await store.record_start(first.id, "A", 0, 200)
    await store.finish_catchup(first.id, "A", 0)
    back = await store.move_account(acme, "main", partitions=1, sides=("A",))
    # The quarantine stack committed only 150 but served nothing below 200.
    assert await store.record_cut(back.id, "A", 0, 150) == 200


async def test_bad_moves_are_refused(store: RuleStore) -> None:
    acme = await _acme(store)
    empty = await store.create_account("empty", connection_limit=1)
    with pytest.raises(NotFoundError):
        await store.move_account(424242, "q", partitions=1, sides=("A",))
    with pytest.raises(ValueError, match="already on stack"):
        await store.move_account(acme, "main", partitions=1, sides=("A",))
    with pytest.raises(ValueError, match="no streams"):
        await store.move_account(empty.id, "q", partitions=1, sides=("A",))
    for stack, partitions, sides, message in (
        ("x" * 65, 1, ("A",), "stack name"),
        ("", 1, ("A",), "stack name"),
        ("q", 0, ("A",), "partition"),
        ("q", 1, (), "sides"),
        ("q", 1, ("A", "A"), "sides"),
    ):
        with pytest.raises(ValueError, match=message):
            await store.move_account(acme, stack, partitions=partitions, sides=sides)
    assert await store.list_moves() == []

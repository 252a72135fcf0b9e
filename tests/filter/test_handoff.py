"""The handoff gate of a moved account, without a broker: which stack serves which offset."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from powertrack.filter.handoff import Handoff, Role, serves, start_offset
from powertrack.store.models import MovePartition, StackMove

ACME = 7
WHEN = datetime(2024, 5, 1, tzinfo=UTC)


def _move(
    move_id: int = 1, source: str = "main", target: str = "q-acme", *progress: MovePartition
) -> StackMove:
    return StackMove(move_id, ACME, source, target, 2, ("A",), WHEN, progress)


def _at(partition: int, cut: int, start: int | None = None, done: bool = False) -> MovePartition:
    return MovePartition("A", partition, cut, start, done)


def test_old_serves_below_the_cut_and_everything_before_it_is_known() -> None:
    assert serves(Role.OLD, None, 10**9)
    assert serves(Role.OLD, _at(0, 100), 99)
    assert not serves(Role.OLD, _at(0, 100), 100)


def test_new_serves_from_the_start_once_it_is_known() -> None:
    assert not serves(Role.NEW, None, 500)
    assert not serves(Role.NEW, _at(0, 100), 500)
    assert not serves(Role.NEW, _at(0, 100, 120), 119)
    assert serves(Role.NEW, _at(0, 100, 120), 120)


def test_the_start_is_the_cut_or_where_the_main_loop_has_got_to() -> None:
    assert start_offset(100, 40) == 100
    assert start_offset(100, 130) == 130


@given(
    cut=st.integers(0, 300),
    next_offset=st.integers(0, 300),
    offsets=st.lists(st.integers(0, 400), max_size=50),
)
def test_old_catch_up_and_new_serve_every_offset_exactly_once(
    cut: int, next_offset: int, offsets: list[int]
) -> None:
    start = start_offset(cut, next_offset)
    progress = _at(0, cut, start)
    for offset in offsets:
        old = serves(Role.OLD, progress, offset)
        catch_up = cut <= offset < start
        # The new stack's main loop reads only from where it had got to.
        new = offset >= next_offset and serves(Role.NEW, progress, offset)
        assert old + catch_up + new == 1, (offset, cut, start)


def test_a_node_follows_only_the_moves_of_its_stack() -> None:
    old, new, bystander = Handoff("A", "main"), Handoff("A", "q-acme"), Handoff("A", "other")
    move = _move()
    for handoff in (old, new, bystander):
        handoff.update([move])
    assert old.moves() == [(move, Role.OLD)]
    assert new.moves() == [(move, Role.NEW)]
    assert bystander.accounts == frozenset()
    assert bystander.serves(ACME, 0, 5)
    assert old.serves(ACME, 0, 5)
    assert not new.serves(ACME, 0, 5)
    # Accounts that have not moved are served as ever.
    assert new.serves(ACME + 1, 0, 5)


def test_cuts_are_due_on_the_old_stack_once_the_account_left_its_view() -> None:
    old = Handoff("A", "main")
    old.update([_move()])
    assert old.cuts_due(0, present={ACME}) == []
    assert old.cuts_due(0, present=set()) == [_move()]
    old.learn(1, _at(0, 100))
    assert old.cuts_due(0, present=set()) == []
    assert old.cuts_due(1, present=set()) == [_move()]
    assert not old.serves(ACME, 0, 100)
    # Another side's progress is not this node's.
    old.learn(1, MovePartition("B", 1, 5, None, False))
    assert old.cuts_due(1, present=set()) == [_move()]


def test_starts_and_catchups_are_due_on_the_new_stack() -> None:
    new = Handoff("A", "q-acme")
    new.update([_move(1, "main", "q-acme", _at(0, 100))])
    assert new.starts_due(0, present=set()) == []
    [(move, cut)] = new.starts_due(0, present={ACME})
    assert (move.id, cut) == (1, 100)
    assert new.starts_due(1, present={ACME}) == []
    new.learn(1, _at(0, 100, 130))
    assert new.starts_due(0, present={ACME}) == []
    [(_, progress)] = new.catchups_due(0, present={ACME})
    assert progress.start == 130
    assert new.serves(ACME, 0, 130)
    new.learn(1, _at(0, 100, 130, done=True))
    assert new.catchups_due(0, present={ACME}) == []


def test_a_stale_read_does_not_undo_what_the_node_recorded() -> None:
    new = Handoff("A", "q-acme")
    new.update([_move(1, "main", "q-acme", _at(0, 100))])
    new.learn(1, _at(0, 100, 130, done=True))
    new.update([_move(1, "main", "q-acme", _at(0, 100, 130))])
    assert new.catchups_due(0, present={ACME}) == []
    assert new.progress(1, 0) == _at(0, 100, 130, done=True)


def test_the_latest_move_decides_the_role() -> None:
    main = Handoff("A", "main")
    main.update([_move(1, "main", "q-acme")])
    main.update([_move(2, "q-acme", "main")])
    assert main.moves()[0][1] is Role.NEW
    assert not main.serves(ACME, 0, 10)
    main.update([_move(3, "main", "elsewhere")])
    assert main.moves()[0][1] is Role.OLD
    main.update([_move(4, "elsewhere", "q-acme")])
    assert main.accounts == frozenset()

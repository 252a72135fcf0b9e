"""The offset tracker: what is safe to commit when acknowledgements come out of order."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from powertrack.filter.offsets import OffsetTracker


def test_nothing_is_safe_before_anything_is_read() -> None:
    tracker: OffsetTracker[int] = OffsetTracker()
    assert tracker.safe_offset(0) is None
    assert tracker.to_commit() == {}
    assert tracker.in_flight() == 0


def test_messages_without_publishes_are_done_at_once() -> None:
    tracker: OffsetTracker[int] = OffsetTracker()
    tracker.read(0, 10, 0)
    tracker.read(0, 11, 0)
    assert tracker.safe_offset(0) == 12
    assert tracker.to_commit() == {0: 12}


def test_out_of_order_acknowledgements_commit_only_the_done_prefix() -> None:
    tracker: OffsetTracker[int] = OffsetTracker()
    tracker.read(0, 0, 2)
    tracker.read(0, 1, 1)
    tracker.read(0, 2, 0)
    tracker.read(0, 3, 1)
    assert tracker.safe_offset(0) is None
    assert tracker.in_flight() == 4
    tracker.acknowledge(0, 3)
    tracker.acknowledge(0, 1)
    assert tracker.safe_offset(0) is None
    tracker.acknowledge(0, 0)
    # Offset 0 still awaits one of its two publishes.
    assert tracker.safe_offset(0) is None
    tracker.acknowledge(0, 0)
    assert tracker.safe_offset(0) == 4
    assert tracker.in_flight() == 0


def test_gaps_in_offsets_are_not_waited_for() -> None:
    tracker: OffsetTracker[int] = OffsetTracker()
    tracker.read(0, 5, 1)
    tracker.read(0, 9, 1)
    tracker.acknowledge(0, 5)
    assert tracker.safe_offset(0) == 6
    tracker.acknowledge(0, 9)
    assert tracker.safe_offset(0) == 10


def test_partitions_are_independent() -> None:
    tracker: OffsetTracker[str] = OffsetTracker()
    tracker.read("a", 0, 1)
    tracker.read("b", 0, 0)
    tracker.read("b", 1, 1)
    assert tracker.to_commit() == {"b": 1}
    assert tracker.in_flight("a") == 1
    assert tracker.in_flight("b") == 1
    assert tracker.in_flight("c") == 0


def test_to_commit_reports_only_what_moved() -> None:
    tracker: OffsetTracker[int] = OffsetTracker()
    tracker.read(0, 0, 0)
    tracker.read(1, 0, 0)
    tracker.committed(tracker.to_commit())
    assert tracker.to_commit() == {}
    tracker.read(1, 1, 0)
    assert tracker.to_commit() == {1: 2}


def test_forgotten_partitions_ignore_late_acknowledgements() -> None:
    tracker: OffsetTracker[int] = OffsetTracker()
    tracker.read(0, 0, 1)
    tracker.forget([0])
    tracker.acknowledge(0, 0)
    assert tracker.safe_offset(0) is None
    assert tracker.partitions() == []
    # After a rebalance the partition may be read again from an earlier offset.
    tracker.read(0, 0, 0)
    assert tracker.safe_offset(0) == 1


def test_misuse_is_refused() -> None:
    tracker: OffsetTracker[int] = OffsetTracker()
    tracker.read(0, 3, 1)
    with pytest.raises(ValueError, match="after"):
        tracker.read(0, 3, 0)
    with pytest.raises(ValueError, match="negative"):
        tracker.read(0, 4, -1)
    tracker.acknowledge(0, 3)
    with pytest.raises(ValueError, match="already done"):
        tracker.read(0, 2, 0)
    tracker.read(0, 5, 1)
    tracker.read(0, 6, 0)
    tracker.acknowledge(0, 5)
    tracker.acknowledge(0, 7)  # never read: ignored


@given(
    publishes=st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=40),
    seed=st.integers(),
)
def test_safe_offset_agrees_with_a_brute_force_reference(publishes: list[int], seed: int) -> None:
    tracker: OffsetTracker[int] = OffsetTracker()
    for offset, count in enumerate(publishes):
        tracker.read(0, offset, count)
    acks = [offset for offset, count in enumerate(publishes) for _ in range(count)]
    random.Random(seed).shuffle(acks)
    remaining = list(publishes)
    for offset in acks:
        tracker.acknowledge(0, offset)
        remaining[offset] -= 1
        done = 0
        while done < len(remaining) and remaining[done] == 0:
            done += 1
        assert tracker.safe_offset(0) == (done or None)
        assert tracker.in_flight() == sum(remaining)
    assert tracker.safe_offset(0) == len(publishes)

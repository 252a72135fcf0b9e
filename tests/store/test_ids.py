"""The rule id generator, driven by a fake clock."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from powertrack.store.errors import StoreUnavailableError
from powertrack.store.ids import (
    MAX_SEQUENCE,
    MAX_WORKER_ID,
    RULE_ID_EPOCH_MS,
    RuleIdGenerator,
    split_rule_id,
)

T0 = 1_700_000_000_000


class FakeClock:
    """Reads out ``readings`` in turn (then stays on the last); sleeping
    advances it to the next reading."""

    def __init__(self, *readings: int) -> None:
        self.readings = list(readings)
        self.sleeps: list[float] = []

    def __call__(self) -> int:
        return self.readings[0]

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if len(self.readings) > 1:
            self.readings.pop(0)


def generator(clock: FakeClock, worker_id: int = 7, **kwargs: int) -> RuleIdGenerator:
    return RuleIdGenerator(worker_id, clock=clock, sleep=clock.sleep, **kwargs)


def test_fields_are_laid_out_as_a_snowflake() -> None:
    rule_id = generator(FakeClock(T0), worker_id=5).next_id()
    assert rule_id == ((T0 - RULE_ID_EPOCH_MS) << 22) | (5 << 12)
    assert split_rule_id(rule_id) == (T0, 5, 0)


def test_worker_id_fills_ten_bits_and_no_more() -> None:
    high = generator(FakeClock(T0), worker_id=MAX_WORKER_ID).next_id()
    assert split_rule_id(high).worker_id == 1023
    assert split_rule_id(high).unix_ms == T0
    for bad in (-1, MAX_WORKER_ID + 1):
        with pytest.raises(ValueError, match="worker id"):
            RuleIdGenerator(bad)


def test_ids_in_one_millisecond_count_the_sequence_up() -> None:
    ids = generator(FakeClock(T0)).next_id
    parts = [split_rule_id(ids()) for _ in range(3)]
    assert [p.sequence for p in parts] == [0, 1, 2]
    assert {p.unix_ms for p in parts} == {T0}


def test_a_new_millisecond_restarts_the_sequence() -> None:
    clock = FakeClock(T0)
    ids = generator(clock)
    ids.next_id()
    ids.next_id()
    clock.readings = [T0 + 1]
    assert split_rule_id(ids.next_id()) == (T0 + 1, 7, 0)


def test_sequence_overflow_waits_for_the_next_millisecond() -> None:
    clock = FakeClock(T0, T0, T0 + 1)
    ids = generator(clock)
    issued = [ids.next_id() for _ in range(MAX_SEQUENCE + 1)]
    assert split_rule_id(issued[-1]) == (T0, 7, MAX_SEQUENCE)
    assert clock.sleeps == []
    following = ids.next_id()
    assert split_rule_id(following) == (T0 + 1, 7, 0)
    assert len(clock.sleeps) == 2  # it waited, and rechecked until the clock moved
    assert issued == sorted(set(issued))
    assert following > issued[-1]


def test_clock_going_backwards_waits_until_it_passes_the_last_millisecond() -> None:
    clock = FakeClock(T0 + 100)
    ids = generator(clock)
    before = ids.next_id()
    clock.readings = [T0 + 40, T0 + 90, T0 + 101]
    after = ids.next_id()
    assert after > before
    assert split_rule_id(after) == (T0 + 101, 7, 0)
    assert clock.sleeps == [pytest.approx(0.060), pytest.approx(0.010)]


def test_clock_back_on_the_same_millisecond_continues_the_sequence() -> None:
    clock = FakeClock(T0 + 100)
    ids = generator(clock)
    ids.next_id()
    clock.readings = [T0 + 99, T0 + 100]
    assert split_rule_id(ids.next_id()) == (T0 + 100, 7, 1)


def test_clock_far_behind_refuses_instead_of_waiting() -> None:
    clock = FakeClock(T0 + 60_000)
    ids = generator(clock, max_backward_ms=5_000)
    ids.next_id()
    clock.readings = [T0]
    with pytest.raises(StoreUnavailableError, match="clock moved back by 60000 ms"):
        ids.next_id()
    assert clock.sleeps == []


def test_real_clock_ids_strictly_increase_and_tell_the_time() -> None:
    ids = RuleIdGenerator(3)
    issued = [ids.next_id() for _ in range(20_000)]
    assert all(a < b for a, b in itertools.pairwise(issued))
    created = datetime.fromtimestamp(split_rule_id(issued[-1]).unix_ms / 1000, UTC)
    assert abs((datetime.now(UTC) - created).total_seconds()) < 5
    assert 0 < issued[0] < 2**63

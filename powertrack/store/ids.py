"""Rule ids: 64-bit, time-ordered, unique across nodes and never reused.

The layout is Twitter's snowflake: 41 bits of milliseconds since
:data:`RULE_ID_EPOCH_MS`, 10 bits of worker id and 12 bits of sequence within
the millisecond. The epoch is Twitter's own, so rule ids look like, and sort
with, the rule ids PowerTrack itself hands out. A store takes its worker id
from the database (see ``id_workers``), so two nodes never share one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Final, NamedTuple

from powertrack.store.errors import StoreUnavailableError

__all__ = [
    "MAX_SEQUENCE",
    "MAX_WORKER_ID",
    "RULE_ID_EPOCH_MS",
    "RuleIdGenerator",
    "RuleIdParts",
    "split_rule_id",
    "wall_clock_ms",
]

RULE_ID_EPOCH_MS: Final = 1_288_834_974_657
"""Unix milliseconds of id time zero (Twitter's snowflake epoch, November 2010)."""

WORKER_BITS: Final = 10
SEQUENCE_BITS: Final = 12
MAX_WORKER_ID: Final = (1 << WORKER_BITS) - 1
MAX_SEQUENCE: Final = (1 << SEQUENCE_BITS) - 1
_TIME_SHIFT: Final = WORKER_BITS + SEQUENCE_BITS
_MAX_ELAPSED_MS: Final = (1 << 41) - 1

# NTP slews small corrections; a clock stepped back further than this is an
# operator's problem, and waiting it out would hold the rule-log lock meanwhile.
DEFAULT_MAX_BACKWARD_MS: Final = 5_000


def wall_clock_ms() -> int:
    """Unix time in milliseconds."""
    return time.time_ns() // 1_000_000


class RuleIdParts(NamedTuple):
    """The fields of a rule id."""

    unix_ms: int
    worker_id: int
    sequence: int


def split_rule_id(rule_id: int) -> RuleIdParts:
    """Decode a rule id into its creation time, worker id and sequence."""
    return RuleIdParts(
        unix_ms=(rule_id >> _TIME_SHIFT) + RULE_ID_EPOCH_MS,
        worker_id=(rule_id >> SEQUENCE_BITS) & MAX_WORKER_ID,
        sequence=rule_id & MAX_SEQUENCE,
    )


class RuleIdGenerator:
    """Issues strictly increasing snowflake ids for one worker id. Thread-safe.

    ``clock`` returns Unix milliseconds and ``sleep`` takes seconds; both are
    injectable so tests can drive time. If the clock goes backwards, ids wait
    until it is past the last millisecond used (raising
    :class:`StoreUnavailableError` if that is more than ``max_backward_ms``
    away); after 4,096 ids in one millisecond they wait for the next one.
    """

    def __init__(
        self,
        worker_id: int,
        *,
        clock: Callable[[], int] = wall_clock_ms,
        sleep: Callable[[float], None] = time.sleep,
        max_backward_ms: int = DEFAULT_MAX_BACKWARD_MS,
    ) -> None:
        if not 0 <= worker_id <= MAX_WORKER_ID:
            raise ValueError(f"worker id must be in 0..{MAX_WORKER_ID}, not {worker_id}")
        self.worker_id = worker_id
        self._clock = clock
        self._sleep = sleep
        self._max_backward_ms = max_backward_ms
        self._lock = threading.Lock()
        self._last_ms = -1
        self._sequence = 0

    def next_id(self) -> int:
        """A new id, greater than every id this generator issued before."""
        with self._lock:
            now = self._wait_until(self._last_ms)
            if now == self._last_ms:
                self._sequence = (self._sequence + 1) & MAX_SEQUENCE
                if self._sequence == 0:
                    now = self._wait_until(self._last_ms + 1)
            else:
                self._sequence = 0
            elapsed = now - RULE_ID_EPOCH_MS
            if not 0 <= elapsed <= _MAX_ELAPSED_MS:
                raise StoreUnavailableError(f"the clock reads {now} ms, outside the rule id range")
            self._last_ms = now
            return (elapsed << _TIME_SHIFT) | (self.worker_id << SEQUENCE_BITS) | self._sequence

    def _wait_until(self, target_ms: int) -> int:
        now = self._clock()
        if target_ms - now > self._max_backward_ms:
            raise StoreUnavailableError(
                f"the system clock moved back by {target_ms - now} ms; "
                "rule ids must not go back in time, so no rule can be added until it catches up"
            )
        while now < target_ms:
            self._sleep((target_ms - now) / 1000)
            now = self._clock()
        return now

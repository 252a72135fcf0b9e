"""The matches of one customer stream, read from a side's topic, across side failures.

A ``MatchSource`` reads ``powertrack.{side}.{account}.{label}`` (one partition)
through the process's :class:`~powertrack.delivery.feed.MatchFeed`: a
subscription from an offset it chose, so nothing is committed and every
stream keeps its own position.

Where it starts:

- live: the end of the topic when the stream starts;
- backfill (1 to 5 minutes) or a time range: the first record matched at or
  after the start time, found by :func:`offset_for_time`; a time range ends
  after the first record matched later than its end time (plus the
  tolerance) or, once the end time is that far past, at the end of the topic;
- a cursor: right after its record on the side that wrote it; on the other
  side as after a failover.

Failover: when the side being read is reported unhealthy and the other side is
healthy, reading moves to the other side, ``failover_window_ms`` before the last
delivered match's ``matched_at``, and skips what the firehose position vector
F and the tweet-id window (:class:`Progress`) show was delivered. That is
exact (no gap, no duplicate) as long as the other side is not ahead of the
failed one by more than ``failover_window_ms``; a lagging other side is
always safe.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Final, Self

from powertrack.aio import cancel_and_wait
from powertrack.broker.reader import TopicPartition
from powertrack.broker.topics import SIDES, Side, match_topic
from powertrack.coordination.sides import SideRegistry
from powertrack.delivery.cursor import (
    DEFAULT_DEDUPE_WINDOW,
    Cursor,
    Progress,
    decode_cursor,
    encode_cursor,
    stream_key,
)
from powertrack.delivery.feed import MatchFeed, Subscription
from powertrack.delivery.records import Delivered, InvalidCursorError, InvalidStartError
from powertrack.matches import is_catch_up, read_match_headers

__all__ = ["MAX_BACKFILL_MINUTES", "MatchSource", "SourceOptions", "StartAt"]

logger = logging.getLogger(__name__)

MAX_BACKFILL_MINUTES: Final = 5
_PARTITION: Final = 0
"""Match topics have one partition (``FilterConfig.match_partitions``)."""


@dataclass(frozen=True, slots=True)
class StartAt:
    """Where a stream starts; build one with a class method. Live when all are None."""

    backfill_minutes: int | None = None
    start_ms: int | None = None
    """Start of a time range (ms since the epoch, by ``matched_at``)."""
    end_ms: int | None = None
    """End of a time range (from a start time or a cursor), inclusive; None to go
    on live."""
    cursor: Cursor | None = None

    def __post_init__(self) -> None:
        given = [self.backfill_minutes, self.start_ms, self.cursor]
        if sum(value is not None for value in given) > 1:
            raise InvalidStartError("give only one of backfill, a start time or a cursor")
        if self.backfill_minutes is not None and not (
            1 <= self.backfill_minutes <= MAX_BACKFILL_MINUTES
        ):
            raise InvalidStartError(
                f"backfill must be 1 to {MAX_BACKFILL_MINUTES} minutes, not {self.backfill_minutes}"
            )
        if self.end_ms is not None:
            if self.start_ms is None and self.cursor is None:
                raise InvalidStartError("an end time needs a start time or a cursor")
            if self.start_ms is not None and self.end_ms < self.start_ms:
                raise InvalidStartError("an end time needs a start time no later than it")

    @property
    def is_live(self) -> bool:
        """Whether the stream starts at the end of the topic."""
        return self.backfill_minutes is None and self.start_ms is None and self.cursor is None

    @classmethod
    def live(cls) -> StartAt:
        """From the end of the topic on."""
        return cls()

    @classmethod
    def backfill(cls, minutes: int) -> StartAt:
        """``minutes`` (1 to 5) back, then live."""
        return cls(backfill_minutes=minutes)

    @classmethod
    def time_range(cls, start: datetime, end: datetime | None = None) -> StartAt:
        """The matches made from ``start`` to ``end`` (aware datetimes), then stop;
        with no ``end``, go on live."""
        return cls(start_ms=_ms(start), end_ms=None if end is None else _ms(end))

    @classmethod
    def from_cursor(cls, token: str, end: datetime | None = None) -> StartAt:
        """Right after the record ``token`` was delivered with, up to ``end`` if given
        (a replay resumed); ``InvalidCursorError`` if it is not a cursor."""
        return cls(cursor=decode_cursor(token), end_ms=None if end is None else _ms(end))


def _ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise InvalidStartError("times must carry a time zone")
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class SourceOptions:
    """Tunables of a ``MatchSource``; the defaults suit production."""

    failover_window_ms: int = 30_000
    """How far before the last delivered match the other side is read from on a switch:
    bounds how far ahead of the failed side the other may be."""
    time_tolerance_ms: int = 5_000
    """How far out of ``matched_at`` order records of one side's topic can be."""
    dedupe_window: int = DEFAULT_DEDUPE_WINDOW
    poll_timeout_ms: int = 500
    """Longest wait for records; also the delay before a failover is noticed."""


class MatchSource:
    """The matches of stream ``account/label``, as an async iterator of ``Delivered``.

    Use as ``async with MatchSource(...) as source: async for item in source``,
    or call :meth:`start` and :meth:`close`. Raises ``InvalidCursorError`` (from
    the constructor, or from :meth:`start` for a cursor beyond the topic's end)
    and ``InvalidStartError``.
    """

    def __init__(
        self,
        feed: MatchFeed,
        account: str,
        label: str,
        start: StartAt,
        sides: SideRegistry,
        *,
        preferred_side: Side = "A",
        options: SourceOptions | None = None,
    ) -> None:
        key = stream_key(account, label)
        if start.cursor is not None and start.cursor.stream != key:
            raise InvalidCursorError("cursor belongs to another stream")
        self._feed = feed
        self._topics = {side: match_topic(side, account, label) for side in SIDES}
        self._key = key
        self._start = start
        self._sides = sides
        self._preferred = start.cursor.side if start.cursor is not None else preferred_side
        self._options = options or SourceOptions()
        positions = start.cursor.positions if start.cursor is not None else None
        self._progress = Progress(positions, self._options.dedupe_window)
        self._subscription: Subscription | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._healthy: frozenset[Side] = frozenset()
        self._side: Side | None = None
        self._buffer: deque[Any] = deque()
        self._count = 0
        self._cursor: str | None = None
        self._last_matched_ms = start.cursor.matched_at_ms if start.cursor else None
        self._origin_ms = 0
        self._not_before_ms: int | None = None
        self._finished = False
        self._switch_retry_at = 0.0

    @property
    def count(self) -> int:
        """How many matches have been delivered."""
        return self._count

    @property
    def side(self) -> Side | None:
        """The side being read; None until its topic exists."""
        return self._side

    @property
    def cursor(self) -> str | None:
        """The cursor of the last delivered match."""
        return self._cursor

    async def start(self) -> None:
        """Connect and take the starting position."""
        now = _now_ms()
        start, tolerance = self._start, self._options.time_tolerance_ms
        if start.cursor is not None:
            self._origin_ms = start.cursor.matched_at_ms
        elif start.backfill_minutes is not None:
            self._origin_ms = self._not_before_ms = now - start.backfill_minutes * 60_000
        elif start.start_ms is not None:
            self._origin_ms = self._not_before_ms = start.start_ms
        else:
            self._origin_ms, self._not_before_ms = now, now - tolerance
        self._healthy = self._sides.healthy()
        self._watcher = asyncio.create_task(self._watch_sides())
        await self._open(self._choose(), switching=False, at_end=start.is_live)

    async def close(self) -> None:
        """Stop reading; iteration ends."""
        self._finished = True
        if self._watcher is not None:
            await cancel_and_wait(self._watcher)
            self._watcher = None
        if self._subscription is not None:
            await self._subscription.close()
            self._subscription = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Delivered:
        while not self._finished:
            if self._side is None:
                if not await self._open(self._choose(), switching=False, at_end=False):
                    await self._idle()
                continue
            if self._should_switch():
                if await self._open(_other(self._side), switching=True, at_end=False):
                    continue
                self._switch_retry_at = time.monotonic() + self._options.poll_timeout_ms / 1000
            if not self._buffer:
                assert self._subscription is not None
                self._buffer.extend(await self._subscription.records(self._options.poll_timeout_ms))
                if not self._buffer:
                    await self._idle()
                continue
            delivered = self._take(self._buffer.popleft())
            if delivered is not None:
                return delivered
        raise StopAsyncIteration

    def _take(self, record: Any) -> Delivered | None:
        assert self._side is not None
        headers = read_match_headers(record.headers)
        if headers is None:
            logger.warning("%s@%d: not a match record, skipped", record.topic, record.offset)
            return None
        tweet_id, partition, offset, matched_at = headers
        end = self._start.end_ms
        if end is not None and matched_at > end:
            if matched_at > end + self._options.time_tolerance_ms:
                self._finished = True
            return None
        progress = self._progress
        if (
            self._not_before_ms is not None
            and matched_at < self._not_before_ms
            and not progress.covers(partition)
        ):
            return None
        if is_catch_up(record.headers):
            if not progress.is_new_tweet(tweet_id):
                return None
        elif not progress.is_new(tweet_id, partition, offset):
            return None
        progress.delivered(tweet_id, partition, offset)
        self._count += 1
        self._last_matched_ms = matched_at
        cursor = Cursor(self._key, self._side, record.offset, matched_at, progress.positions)
        self._cursor = encode_cursor(cursor)
        return Delivered(
            value=record.value,
            tweet_id=tweet_id,
            side=self._side,
            topic_offset=record.offset,
            firehose_partition=partition,
            firehose_offset=offset,
            matched_at_ms=matched_at,
            cursor=self._cursor,
        )

    async def _idle(self) -> None:
        """Nothing to read: end a time range that is over, else wait a little."""
        end = self._start.end_ms
        subscription = self._subscription
        if end is not None and _now_ms() > end + self._options.time_tolerance_ms:
            if subscription is None:
                self._finished = True
                return
            if subscription.position >= await self._feed.end_offset(subscription.tp):
                self._finished = True
                return
        if subscription is None:
            await asyncio.sleep(self._options.poll_timeout_ms / 1000)

    async def _open(self, side: Side, *, switching: bool, at_end: bool) -> bool:
        """Read ``side``'s topic from where this stream stands; False if it does not exist."""
        topic = self._topics[side]
        feed = self._feed
        # Not subscribed blindly: some brokers (Tansu) create a topic a metadata
        # request names, with their default partition count.
        if topic not in await feed.topics():
            return False
        tp = TopicPartition(topic, _PARTITION)
        cursor = self._start.cursor
        if at_end:
            # Resolved now, not at the first fetch, so "live" means from start().
            offset = await feed.end_offset(tp)
        elif cursor is not None and side == cursor.side and not switching:
            offset = await self._offset_after(tp, cursor)
        else:
            if switching or cursor is not None:
                last = self._last_matched_ms
                since = (
                    self._origin_ms if last is None else last
                ) - self._options.failover_window_ms
            else:
                since = self._origin_ms - self._options.time_tolerance_ms
            offset = await feed.offset_for_time(tp, since)
        previous, self._subscription = self._subscription, None
        if previous is not None:
            await previous.close()
        self._buffer.clear()
        self._subscription = await feed.subscribe(topic, _PARTITION, offset)
        if switching:
            logger.info("Stream %s: side %s is down, reading side %s", topic, self._side, side)
        self._side = side
        return True

    async def _offset_after(self, tp: Any, cursor: Cursor) -> int:
        beginning, end = await self._feed.bounds(tp)
        if cursor.topic_offset >= end:
            raise InvalidCursorError("cursor is ahead of the stream; it is not from this server")
        return max(cursor.topic_offset + 1, beginning)

    def _should_switch(self) -> bool:
        side = self._side
        return (
            side is not None
            and side not in self._healthy
            and _other(side) in self._healthy
            # The other side's topic did not exist at the last try.
            and time.monotonic() >= self._switch_retry_at
        )

    def _choose(self) -> Side:
        if self._preferred in self._healthy:
            return self._preferred
        other = _other(self._preferred)
        # With neither side healthy the preferred one is read: its topic keeps
        # what was published, and reading moves once a side is back.
        return other if other in self._healthy else self._preferred

    async def _watch_sides(self) -> None:
        try:
            async for healthy in self._sides.changes():
                self._healthy = healthy
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("Side registry failed; keeping the last known healthy sides")


def _other(side: Side) -> Side:
    return "B" if side == "A" else "A"


def _now_ms() -> int:
    return time.time_ns() // 1_000_000

"""The match topics read by one process, shared by every stream it serves.

A stream reads one partition of one match topic from a position of its own.
Giving each stream its own Kafka consumer costs one fetch loop per connection:
a server with a hundred streams runs a hundred loops, and a broker that holds
every fetch for ``fetch_max_wait_ms`` (Tansu does) forces a choice between
latency and a flood of fetches. A ``MatchFeed`` reads for all of them with a
few consumers instead:

- **Lanes** read. A lane is one consumer holding one position per partition;
  every subscription of that partition in the lane is at that position. A
  subscription joins a lane that does not read its partition yet, or reads it
  at exactly the subscription's offset; otherwise a new lane is opened. So
  streams on different topics share one lane, and so do the connections of
  one stream that start at the same offset; a replay of the past never holds
  back a live reader of the same stream. A lane with nothing to read for
  ``idle_lane_seconds`` stops (the first one stays).
- **Look-ups** answer offsets: ends, beginnings and the offset of a time
  (:func:`~powertrack.delivery.timeindex.offset_for_time`, which reads records
  to search). A few consumers do these, one caller at a time each.

Records reach a :class:`Subscription` in offset order, each once. A
subscription holds at most ``inbound_records`` records its stream has not
taken; a stream that falls further behind is dropped from its lane and its
next read raises :class:`FeedOverflowError` (its client is too slow: the
connection's own buffer is full). No reader ever waits for another.

Changing what a lane reads reassigns its consumer, which forgets every
position; the lane then seeks each partition back to the offset it was going
to hand out next, so a change never skips or repeats a record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Final, Protocol

from powertrack.aio import cancel_and_wait
from powertrack.broker.clients import kafka_reader
from powertrack.broker.protocol import NO_CAPABILITIES, BrokerCapabilities
from powertrack.broker.reader import Reader, TopicPartition
from powertrack.delivery.records import DeliveryError
from powertrack.delivery.timeindex import offset_bounds, offset_for_time

__all__ = ["FeedOptions", "FeedOverflowError", "MatchFeed", "ReaderFactory", "Subscription"]

logger = logging.getLogger(__name__)

_FETCH_TIMEOUT_MS: Final = 1_000
"""How long one lane fetch waits for records before the lane looks again."""
_FAILED_LANE_PAUSE_S: Final = 1.0
# A look-up consumer's fetch limit: one small record, or the first batch whole.
_LOOKUP_FETCH_BYTES: Final = 1_024


class FeedOverflowError(DeliveryError):
    """A subscription held ``inbound_records`` untaken records and more came: its
    reader cannot keep up and was dropped."""


@dataclass(frozen=True, slots=True)
class FeedOptions:
    """Tunables of a ``MatchFeed``; the defaults suit production."""

    fetch_max_wait_ms: int = 50
    """How long the broker may hold a fetch with nothing new: latency against
    requests while idle. Kafka answers as soon as a record arrives; Tansu only
    at the end of the wait."""
    inbound_records: int = 5_000
    """Records a subscription may hold untaken before it is dropped as too slow
    (a fetch bigger than that is taken whole by a reader that took the last)."""
    lookups: int = 4
    """Consumers answering offset look-ups and time searches side by side."""
    idle_lane_seconds: float = 30.0
    """How long a lane with nothing to read lives on (the first lives on anyway)."""


class Subscription:
    """The records of one partition from one offset on, for one reader.

    Made by :meth:`MatchFeed.subscribe`; :meth:`close` when done.
    """

    def __init__(self, feed: MatchFeed, tp: Any, offset: int, capacity: int) -> None:
        self._feed = feed
        self.tp: Final = tp
        self._position = offset
        self._capacity = capacity
        self._records: deque[Any] = deque()
        self._arrived = asyncio.Event()
        self._error: DeliveryError | None = None
        self._lane: _Lane | None = None
        self.closed = False

    @property
    def position(self) -> int:
        """The offset after the last record received (taken or not)."""
        return self._position

    async def records(self, timeout_ms: int) -> list[Any]:
        """What arrived since the last call, waiting up to ``timeout_ms`` for something;
        raises ``FeedOverflowError`` (or the lane's read error) once dropped."""
        if not self._records and self._error is None:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), timeout_ms / 1000)
        if self._error is not None:
            raise self._error
        taken = list(self._records)
        self._records.clear()
        return taken

    async def close(self) -> None:
        """Stop receiving; later calls do nothing."""
        if not self.closed:
            self.closed = True
            self._feed._unsubscribe(self)
            self._records.clear()

    def _receive(self, records: list[Any]) -> bool:
        """Take ``records`` (in order, from :attr:`position` on); False if that
        overflows the subscription, which then fails."""
        # One fetch may bring more than the capacity: only a reader that left
        # records untaken while more came is too slow.
        if self._records and len(self._records) + len(records) > self._capacity:
            self._fail(
                FeedOverflowError(f"{self.tp.topic}: {self._capacity} records waiting to be taken")
            )
            return False
        self._records.extend(records)
        self._position = records[-1].offset + 1
        self._arrived.set()
        return True

    def _fail(self, error: DeliveryError) -> None:
        self._error = error
        self._arrived.set()


class ReaderFactory(Protocol):
    """Makes the feed's readers: a look-up's (``lookup``) or a lane's."""

    def __call__(self, *, lookup: bool, fetch_max_wait_ms: int) -> Reader: ...


class MatchFeed:
    """Reads match topics for every stream of a process; ``start`` and ``stop`` it
    (or ``async with``).

    Its readers are :class:`KafkaReader` s of ``bootstrap_servers``, or what
    ``readers`` makes (a memory reader in unit tests)."""

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        capabilities: BrokerCapabilities = NO_CAPABILITIES,
        options: FeedOptions | None = None,
        readers: ReaderFactory | None = None,
    ) -> None:
        self._bootstrap = bootstrap_servers
        self._readers = readers or self._kafka_reader
        self._capabilities = capabilities
        self.options: Final = options or FeedOptions()
        self._lanes: list[_Lane] = []
        self._opening = asyncio.Lock()
        self._idle_lookups: asyncio.Queue[Reader] = asyncio.Queue()
        self._lookup_slots = asyncio.Semaphore(max(1, self.options.lookups))
        self._all_lookups: list[Reader] = []
        self._started = False

    @property
    def lanes(self) -> int:
        """How many lanes (consumers reading records) are open."""
        return len(self._lanes)

    async def start(self) -> None:
        """Check the broker answers (with one look-up consumer)."""
        consumer = await self._new_consumer(lookup=True)
        self._all_lookups.append(consumer)
        self._idle_lookups.put_nowait(consumer)
        self._started = True

    async def stop(self) -> None:
        """Stop every lane and look-up; subscriptions still open fail."""
        self._started = False
        lanes, self._lanes = self._lanes, []
        for lane in lanes:
            await lane.stop(DeliveryError("the server is shutting down"))
        consumers, self._all_lookups = self._all_lookups, []
        for consumer in consumers:
            await consumer.stop()

    async def __aenter__(self) -> MatchFeed:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- look-ups ------------------------------------------------------------------------

    async def topics(self) -> set[str]:
        """Every topic the broker has (asking names no topic, so none is created)."""
        async with self._lookup() as consumer:
            return set(await consumer.topics())

    async def bounds(self, tp: Any) -> tuple[int, int]:
        """The first offset ``tp`` still holds, and the offset its next record will
        get (read, not trusted: see ``offset_bounds``)."""
        async with self._lookup() as consumer:
            consumer.assign([tp])
            return await offset_bounds(consumer, tp)

    async def end_offset(self, tp: Any) -> int:
        """The offset the next record of ``tp`` will get."""
        return (await self.bounds(tp))[1]

    async def offset_for_time(self, tp: Any, ts_ms: int) -> int:
        """The first offset of ``tp`` matched at or after ``ts_ms`` (see ``offset_for_time``)."""
        async with self._lookup() as consumer:
            consumer.assign([tp])
            return await offset_for_time(
                consumer,
                tp.topic,
                tp.partition,
                ts_ms,
                use_offsets_for_times=self._capabilities.offsets_for_times,
            )

    @contextlib.asynccontextmanager
    async def _lookup(self) -> AsyncIterator[Reader]:
        if not self._started:
            raise DeliveryError("the match feed is not running")
        async with self._lookup_slots:
            try:
                consumer = self._idle_lookups.get_nowait()
            except asyncio.QueueEmpty:
                consumer = await self._new_consumer(lookup=True)
                self._all_lookups.append(consumer)
            try:
                yield consumer
            finally:
                self._idle_lookups.put_nowait(consumer)

    # -- reading -------------------------------------------------------------------------

    async def subscribe(self, topic: str, partition: int, offset: int) -> Subscription:
        """The records of ``topic``/``partition`` from ``offset`` on (the topic must exist)."""
        if not self._started:
            raise DeliveryError("the match feed is not running")
        tp = TopicPartition(topic, partition)
        subscription = Subscription(self, tp, offset, self.options.inbound_records)
        lane = next((lane for lane in self._lanes if lane.can_take(tp, offset)), None)
        if lane is None:
            async with self._opening:
                lane = next((lane for lane in self._lanes if lane.can_take(tp, offset)), None)
                if lane is None:
                    lane = _Lane(self, await self._new_consumer(), first=not self._lanes)
                    self._lanes.append(lane)
                    lane.start()
        lane.add(subscription)
        return subscription

    def _unsubscribe(self, subscription: Subscription) -> None:
        lane = subscription._lane
        if lane is not None:
            lane.remove(subscription)

    def _lane_ended(self, lane: _Lane) -> None:
        with contextlib.suppress(ValueError):
            self._lanes.remove(lane)

    async def _new_consumer(self, *, lookup: bool = False) -> Reader:
        reader = self._readers(lookup=lookup, fetch_max_wait_ms=self.options.fetch_max_wait_ms)
        await reader.start()
        return reader

    def _kafka_reader(self, *, lookup: bool, fetch_max_wait_ms: int) -> Reader:
        # A look-up reads one record (a time search's probe, a partition's
        # last batch): asked for the broker's default fetch, it is answered
        # with megabytes per probe. The broker still answers the whole first
        # batch however small the limit, so a look-up always makes progress;
        # it reads offsets and timestamps only, so it skips the CRC check.
        if lookup:
            return kafka_reader(
                self._bootstrap,
                fetch_max_wait_ms=fetch_max_wait_ms,
                fetch_bytes=_LOOKUP_FETCH_BYTES,
                check_crcs=False,
            )
        return kafka_reader(self._bootstrap, fetch_max_wait_ms=fetch_max_wait_ms)


class _Lane:
    """One consumer reading each of its partitions at one position for all its subscriptions."""

    def __init__(self, feed: MatchFeed, consumer: Reader, *, first: bool) -> None:
        self._feed = feed
        self._consumer = consumer
        self._first = first
        self._subscriptions: dict[Any, list[Subscription]] = {}
        self._next: dict[Any, int] = {}
        """Per partition, the offset of the next record to hand out."""
        self._changed = asyncio.Event()
        self._dirty = False
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="match-feed-lane")

    def can_take(self, tp: Any, offset: int) -> bool:
        return not self._closing and self._next.get(tp, offset) == offset

    def add(self, subscription: Subscription) -> None:
        tp = subscription.tp
        subscription._lane = self
        if tp not in self._next:
            self._next[tp] = subscription.position
            self._dirty = True
        self._subscriptions.setdefault(tp, []).append(subscription)
        if self._dirty:
            self._changed.set()

    def remove(self, subscription: Subscription) -> None:
        tp = subscription.tp
        subscription._lane = None
        subscriptions = self._subscriptions.get(tp, [])
        with contextlib.suppress(ValueError):
            subscriptions.remove(subscription)
        if not subscriptions and tp in self._next:
            del self._subscriptions[tp]
            del self._next[tp]
            self._dirty = True
            self._changed.set()

    async def stop(self, error: DeliveryError) -> None:
        self._closing = True
        if self._task is not None:
            await cancel_and_wait(self._task)
        self._fail_all(error)
        await self._consumer.stop()

    async def _run(self) -> None:
        try:
            while True:
                try:
                    if self._dirty:
                        self._reassign()
                    self._changed.clear()
                    if not self._next:
                        if not await self._wait_for_work():
                            break
                        continue
                    batches = await self._fetch()
                    for tp, records in batches.items():
                        self._hand_out(tp, records)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    # Its readers end (their clients reconnect and resume);
                    # the lane goes on for those who come next.
                    logger.exception("reading match topics failed")
                    self._fail_all(DeliveryError(f"reading the match topic failed: {exc}"))
                    await asyncio.sleep(_FAILED_LANE_PAUSE_S)
        finally:
            self._closing = True
            self._feed._lane_ended(self)
        # Idle and not the first: nothing can join any more, so stop for good.
        await self._consumer.stop()

    def _reassign(self) -> None:
        self._dirty = False
        consumer = self._consumer
        # Assigning forgets every position: each partition goes back to where
        # its subscriptions stand.
        consumer.assign(list(self._next))
        for tp, offset in self._next.items():
            consumer.seek(tp, offset)

    async def _wait_for_work(self) -> bool:
        """Wait until something is subscribed; False when this lane should end."""
        timeout = None if self._first else self._feed.options.idle_lane_seconds
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            if not self._next:
                self._closing = True
                return False
        return True

    async def _fetch(self) -> dict[Any, list[Any]]:
        """Records fetched, or nothing as soon as the subscriptions change."""
        fetch = asyncio.ensure_future(self._consumer.getmany(timeout_ms=_FETCH_TIMEOUT_MS))
        changed = asyncio.ensure_future(self._changed.wait())
        try:
            await asyncio.wait({fetch, changed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            changed.cancel()
            if not fetch.done():
                # getmany hands records out without awaiting, so a cancelled
                # fetch has taken none.
                await cancel_and_wait(fetch)
        if fetch.cancelled():
            return {}
        result: dict[Any, list[Any]] = fetch.result()
        return result

    def _hand_out(self, tp: Any, records: list[Any]) -> None:
        expected = self._next.get(tp)
        if expected is None or not records:
            return
        if records[0].offset < expected:
            # Fetched before a seek: start at the offset due.
            records = [record for record in records if record.offset >= expected]
            if not records:
                return
        self._next[tp] = records[-1].offset + 1
        for subscription in list(self._subscriptions.get(tp, [])):
            if not subscription._receive(records):
                self.remove(subscription)

    def _fail_all(self, error: DeliveryError) -> None:
        for subscriptions in list(self._subscriptions.values()):
            for subscription in list(subscriptions):
                subscription._fail(error)
                self.remove(subscription)

"""Topic generations: retention for a broker that has none.

The embedded Tansu broker keeps every record it is sent, in memory, and
ignores ``retention.ms``; the cost of a fetch grows with what a partition
holds. So on it, every topic powertrack uses is written as a series of
*generations*: ``{topic}.__gen{n}``, one per ``period_s`` of wall time, each
with the partitions of ``topic`` itself. The owner of the broker deletes the
generations older than the newest ``keep`` (:class:`GenerationJanitor`), and
Tansu gives their memory back.

Clients see none of it. Behind the same seams (:class:`GenerationalProducer`,
:class:`GenerationalReader`, :class:`GenerationalGroupConsumer`) a topic and
its partitions keep their names, and an offset is *logical*:
``n << 24 | offset in generation n``. Logical offsets grow along a partition,
so everything that stores, compares or resumes from offsets works unchanged;
between generations they jump, as Kafka offsets may (compaction, transaction
markers), and a reader sought into a jump reads on from the next record.

- A producer writes to the generation of the time it sends
  (:meth:`GenerationPolicy.generation`), creating it first, and creates the
  next one a few seconds before it is due.
- A reader reads one generation of a partition at a time, and moves to the
  next once the generation is *closed* (no producer writes to it any more:
  :meth:`GenerationPolicy.closes_at`, ``lateness_s`` after the switch) and it
  has read to its end. Records written to the next generation in that
  ``lateness_s`` wait for it: the price of keeping each partition in order.
- A consumer group keeps its membership and its commits on ``topic`` itself
  (the *anchor*, which holds no records), and reads the generations through a
  reader: commits are logical offsets, which Kafka stores as they are.

Which broker rolls generations is the broker's own fact: its owner creates
the marker topic ``powertrack.generations.{period_s}``, and every client
looks for it when it starts. Without the marker (Apache Kafka, which has
retention) every call goes straight to the client underneath.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from powertrack.broker.errors import ProduceError
from powertrack.broker.group import ConsumeError, GroupConsumer, OnAssigned, OnRevoked
from powertrack.broker.producer import MemoryTopics, OutRecord, Producer
from powertrack.broker.protocol import TopicSpec
from powertrack.broker.reader import Reader, TopicPartition

__all__ = [
    "GENERATION_BITS",
    "GenerationJanitor",
    "GenerationPolicy",
    "GenerationalGroupConsumer",
    "GenerationalProducer",
    "GenerationalReader",
    "KafkaDirectory",
    "MemoryDirectory",
    "TopicDirectory",
    "logical_offset",
    "physical_topic",
    "policy_from_topics",
    "split_logical",
    "split_physical",
]

logger = logging.getLogger(__name__)

GENERATION_BITS: Final = 24
"""Bits of a logical offset that hold the offset inside its generation: a
generation holds at most 16,777,216 records per partition."""
_LOW_MASK: Final = (1 << GENERATION_BITS) - 1
MARKER_PREFIX: Final = "powertrack.generations."
_SEPARATOR: Final = ".__gen"
_PHYSICAL = re.compile(r"(?P<topic>.+)\.__gen(?P<n>\d+)")
_CATALOG_TTL_S: Final = 1.0
_HUNGRY_TTL_S: Final = 0.1
_PRECREATE_S: Final = 5.0
_PROBE_TIMEOUT_MS: Final = 2_000


@dataclass(frozen=True, slots=True)
class GenerationPolicy:
    """How long a generation lasts, and how many its broker keeps."""

    period_s: int
    keep: int = 5
    """Generations kept, the one being written included (the janitor's)."""
    early_s: float = 0.2
    """Producers switch this long before the period's end."""
    lateness_s: float = 0.5
    """How long after the switch a record sent to the old generation may
    still be stored; readers move on only then."""

    def __post_init__(self) -> None:
        if self.period_s < 1:
            raise ValueError("a generation lasts at least 1 s")
        if self.keep < 2:
            raise ValueError("at least 2 generations are kept")

    @property
    def marker(self) -> str:
        """The topic that tells clients this broker rolls generations."""
        return f"{MARKER_PREFIX}{self.period_s}"

    def generation(self, now: float) -> int:
        """The generation a producer writes to at ``now`` (seconds since the epoch)."""
        return math.floor((now + self.early_s) / self.period_s)

    def switches_at(self, n: int) -> float:
        """When producers stop writing to generation ``n`` for the next one."""
        return (n + 1) * self.period_s - self.early_s

    def closes_at(self, n: int) -> float:
        """When generation ``n`` is complete: no record is written to it after."""
        return self.switches_at(n) + self.lateness_s

    def retention_s(self) -> float:
        """How long a record is kept at least."""
        return (self.keep - 1) * self.period_s


def policy_from_topics(names: Iterable[str]) -> GenerationPolicy | None:
    """The policy a broker's marker topic announces; ``None`` without one."""
    for name in names:
        if name.startswith(MARKER_PREFIX) and name[len(MARKER_PREFIX) :].isdigit():
            return GenerationPolicy(int(name[len(MARKER_PREFIX) :]))
    return None


def physical_topic(topic: str, n: int) -> str:
    """The topic holding generation ``n`` of ``topic``."""
    return f"{topic}{_SEPARATOR}{n}"


def split_physical(name: str) -> tuple[str, int] | None:
    """``(topic, n)`` for a generation's topic; ``None`` for any other."""
    found = _PHYSICAL.fullmatch(name)
    return None if found is None else (found["topic"], int(found["n"]))


def logical_offset(n: int, offset: int) -> int:
    """The logical offset of ``offset`` in generation ``n``."""
    if not 0 <= offset <= _LOW_MASK:
        raise ValueError(f"offset {offset} does not fit a generation")
    return (n << GENERATION_BITS) | offset


def split_logical(offset: int) -> tuple[int, int]:
    """``(n, offset in generation n)`` of a logical offset."""
    return offset >> GENERATION_BITS, offset & _LOW_MASK


class TopicDirectory(Protocol):
    """What generations need of a broker's topic administration."""

    async def partition_counts(self) -> dict[str, int]:
        """Every topic and its partition count."""
        ...

    async def create(self, topics: Sequence[TopicSpec]) -> None:
        """Create those of ``topics`` that do not exist."""
        ...

    async def delete(self, names: Sequence[str]) -> None:
        """Delete these topics (those that exist)."""
        ...


class KafkaDirectory:
    """A :class:`TopicDirectory` of a Kafka-protocol broker (short-lived admin clients)."""

    def __init__(self, bootstrap_servers: str, *, timeout: float = 15.0) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.timeout = timeout

    async def partition_counts(self) -> dict[str, int]:
        """Every topic and its partition count."""
        from powertrack.broker import _admin

        return await _admin.partition_counts(self.bootstrap_servers, self.timeout)

    async def create(self, topics: Sequence[TopicSpec]) -> None:
        """Create the missing ones of ``topics``."""
        from powertrack.broker import _admin

        await _admin.ensure_topics(self.bootstrap_servers, topics, self.timeout)

    async def delete(self, names: Sequence[str]) -> None:
        """Delete these topics."""
        from powertrack.broker import _admin

        await _admin.delete_topics(self.bootstrap_servers, names, self.timeout)


class MemoryDirectory:
    """A :class:`TopicDirectory` of a :class:`MemoryTopics`, for unit tests."""

    def __init__(self, topics: MemoryTopics) -> None:
        self.topics = topics

    async def partition_counts(self) -> dict[str, int]:
        """Every topic and its partition count."""
        return {name: len(parts) for name, parts in self.topics.partitions.items()}

    async def create(self, topics: Sequence[TopicSpec]) -> None:
        """Create the missing ones of ``topics``."""
        for spec in topics:
            self.topics.create(spec.name, spec.partitions)

    async def delete(self, names: Sequence[str]) -> None:
        """Delete these topics."""
        for name in names:
            self.topics.delete(name)


class _Catalog:
    """Which generations of each topic exist, as a client last listed them."""

    def __init__(self, names: Callable[[], Awaitable[set[str]]]):
        self._names = names
        self._clock = time.monotonic
        self._listed_at = -math.inf
        self._topics: set[str] = set()
        self._live: dict[str, list[int]] = {}

    async def load(self) -> GenerationPolicy | None:
        await self.refresh(force=True)
        return policy_from_topics(self._topics)

    async def refresh(self, *, force: bool = False, max_age: float = _CATALOG_TTL_S) -> None:
        if not force and self._clock() - self._listed_at < max_age:
            return
        names = await self._names()
        self._listed_at = self._clock()
        self._topics = names
        live: dict[str, list[int]] = {}
        for name in names:
            found = split_physical(name)
            if found is not None:
                live.setdefault(found[0], []).append(found[1])
        for gens in live.values():
            gens.sort()
        self._live = live

    def live(self, topic: str) -> list[int]:
        return self._live.get(topic, [])

    def logical_topics(self) -> set[str]:
        return {
            name
            for name in self._topics
            if split_physical(name) is None and not name.startswith(MARKER_PREFIX)
        }


class _Record:
    """A record handed out under its topic's name and its logical offset."""

    __slots__ = ("headers", "key", "offset", "partition", "timestamp", "topic", "value")

    def __init__(self, topic: str, offset: int, record: Any) -> None:
        self.topic = topic
        self.partition: int = record.partition
        self.offset = offset
        self.timestamp: int = record.timestamp
        self.key: bytes | None = record.key
        self.value: bytes | None = record.value
        self.headers: Sequence[tuple[str, bytes]] = record.headers

    def __repr__(self) -> str:
        return f"_Record({self.topic}[{self.partition}]@{self.offset})"


class GenerationalReader:
    """A :class:`Reader` of logical topics over a reader of their generations.

    ``inner`` is a reader of the broker's real topics; it also tells, at
    :meth:`start`, whether the broker rolls generations at all (if not, every
    call goes straight to it).
    """

    def __init__(self, inner: Reader, *, clock: Callable[[], float] = time.time) -> None:
        self.inner = inner
        self._clock = clock
        self._catalog = _Catalog(inner.topics)
        self._hungry = False
        """Some partition waits for a generation not listed yet."""
        self.policy: GenerationPolicy | None = None
        self._assigned: list[TopicPartition] = []
        self._positions: dict[TopicPartition, tuple[int, int]] = {}
        self._inner_assigned: set[TopicPartition] = set()
        self._dirty: set[TopicPartition] = set()
        self._ends: dict[TopicPartition, int] = {}
        """True ends of closed generations' partitions (they no longer change)."""

    def __repr__(self) -> str:
        return f"GenerationalReader({self.inner!r}, {self.policy})"

    async def start(self) -> None:
        """Connect, and find out whether the broker rolls generations."""
        await self.inner.start()
        try:
            self.policy = await self._catalog.load()
        except BaseException:
            await self.inner.stop()
            raise

    async def stop(self) -> None:
        """Disconnect."""
        await self.inner.stop()

    async def topics(self) -> set[str]:
        """The topics there are, under their own names."""
        if self.policy is None:
            return await self.inner.topics()
        await self._catalog.refresh(force=True)
        return self._catalog.logical_topics()

    def assign(self, partitions: Iterable[TopicPartition]) -> None:
        """Read exactly these partitions; each reads from its oldest record until sought."""
        if self.policy is None:
            self.inner.assign(partitions)
            return
        self._assigned = list(dict.fromkeys(partitions))
        kept = set(self._assigned)
        self._positions = {tp: at for tp, at in self._positions.items() if tp in kept}

    def seek(self, tp: TopicPartition, offset: int) -> None:
        """Read ``tp`` from the logical ``offset`` on."""
        if self.policy is None:
            self.inner.seek(tp, offset)
            return
        if tp not in self._assigned:
            raise ValueError(f"{tp} is not assigned")
        if offset < 0:
            raise ValueError("offsets are not negative")
        self._positions[tp] = split_logical(offset)
        self._dirty.add(tp)

    async def position(self, tp: TopicPartition) -> int:
        """The logical offset of the next record of ``tp``."""
        if self.policy is None:
            return await self.inner.position(tp)
        if tp not in self._assigned:
            raise ValueError(f"{tp} is not assigned")
        await self._catalog.refresh()
        n, offset = await self._place(tp, self._clock())
        return logical_offset(n, offset)

    def highwater(self, tp: TopicPartition) -> int | None:
        """The end of the generation ``tp`` is read in, as last fetched."""
        if self.policy is None:
            return self.inner.highwater(tp)
        at = self._positions.get(tp)
        if at is None:
            return None
        found = self.inner.highwater(self._physical(tp, at[0]))
        return None if found is None else logical_offset(at[0], found)

    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[Any]]:
        """The next records of the given (or all assigned) partitions, under logical
        offsets; waits up to ``timeout_ms`` when there are none."""
        if self.policy is None:
            return await self.inner.getmany(
                *partitions, timeout_ms=timeout_ms, max_records=max_records
            )
        policy = self.policy
        asked = list(partitions) or list(self._assigned)
        for tp in asked:
            if tp not in self._assigned:
                raise ValueError(f"{tp} is not assigned")
        # The wait is bounded by the monotonic clock; generations by the wall clock.
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            await self._catalog.refresh(max_age=_HUNGRY_TTL_S if self._hungry else _CATALOG_TTL_S)
            now = self._clock()
            wanted: dict[TopicPartition, TopicPartition] = {}
            wake = math.inf
            self._hungry = False
            for tp in asked:
                n, _ = await self._place(tp, now)
                live = self._catalog.live(tp.topic)
                if n in live:
                    wanted[self._physical(tp, n)] = tp
                closes = policy.closes_at(n)
                if closes > now:
                    wake = min(wake, closes)
                if n not in live or (closes <= now and live[-1] == n):
                    # Waits for a generation the listing does not show yet.
                    self._hungry = True
                    wake = min(wake, now + _HUNGRY_TTL_S)
            self._sync(wanted)
            wait_s = min(wake - self._clock(), deadline - time.monotonic())
            wait_ms = max(0, math.ceil(wait_s * 1000))
            if wanted:
                found = await self.inner.getmany(
                    *wanted, timeout_ms=wait_ms, max_records=max_records
                )
            else:
                found = {}
                await asyncio.sleep(wait_ms / 1000)
            out = self._relabel(found, wanted)
            if out or time.monotonic() >= deadline:
                return out

    async def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        """Each partition's end in its newest generation, as a logical offset."""
        if self.policy is None:
            return await self.inner.end_offsets(partitions)
        await self._catalog.refresh()
        return await self._bound(partitions, newest=True)

    async def beginning_offsets(
        self, partitions: Sequence[TopicPartition]
    ) -> dict[TopicPartition, int]:
        """The first logical offset each partition still holds (in its oldest generation)."""
        if self.policy is None:
            return await self.inner.beginning_offsets(partitions)
        await self._catalog.refresh()
        return await self._bound(partitions, newest=False)

    async def offsets_for_times(
        self, query: Mapping[TopicPartition, int]
    ) -> dict[TopicPartition, Any]:
        """Only without generations: a broker that rolls them has no time index."""
        if self.policy is None:
            return await self.inner.offsets_for_times(query)
        raise NotImplementedError("offsets_for_times: the broker rolls topic generations")

    async def _bound(
        self, partitions: Sequence[TopicPartition], *, newest: bool
    ) -> dict[TopicPartition, int]:
        assert self.policy is not None
        answer: dict[TopicPartition, int] = {}
        current = self.policy.generation(self._clock())
        # A generation made ahead of its time holds nothing yet.
        candidates = {
            tp: [n for n in self._catalog.live(tp.topic) if n <= current] for tp in partitions
        }
        if not newest:
            ask = {
                self._physical(tp, gens[0]): (tp, gens[0])
                for tp, gens in candidates.items()
                if gens
            }
            found = await self.inner.beginning_offsets(list(ask)) if ask else {}
            for ptp, (tp, n) in ask.items():
                answer[tp] = logical_offset(n, int(found[ptp]))
        else:
            # The end is in the newest generation that holds a record of the
            # partition, so that the record before it exists (the embedded
            # broker reports less than the end, which is read from there).
            pending = {tp: list(gens) for tp, gens in candidates.items() if gens}
            while pending:
                ask = {self._physical(tp, gens[-1]): (tp, gens[-1]) for tp, gens in pending.items()}
                found = await self.inner.end_offsets(list(ask))
                for ptp, (tp, n) in ask.items():
                    end = int(found[ptp])
                    gens = pending[tp]
                    if end > 0 or len(gens) == 1:
                        answer[tp] = logical_offset(n, end)
                        del pending[tp]
                    else:
                        gens.pop()
        for tp, gens in candidates.items():
            if not gens:
                answer[tp] = logical_offset(current, 0)
        return answer

    async def _place(self, tp: TopicPartition, now: float) -> tuple[int, int]:
        """Where ``tp`` is read next: past deleted generations, and past closed
        generations read to their end."""
        assert self.policy is not None
        live = self._catalog.live(tp.topic)
        at = self._positions.get(tp)
        if at is None:
            if not live:
                # Nothing written yet: the first generation that appears is read.
                return self.policy.generation(now), 0
            n, offset = live[0], 0
        else:
            n, offset = at
        while True:
            if live and n < live[0]:
                if at is not None:
                    logger.warning(
                        "%s[%d]: generation %d was deleted before it was read; reading on "
                        "from generation %d",
                        tp.topic,
                        tp.partition,
                        n,
                        live[0],
                    )
                n, offset = live[0], 0
            later = [g for g in live if g > n]
            if not later or now < self.policy.closes_at(n):
                break
            if n in live and offset < await self._closed_end(tp, n):
                break
            n, offset = later[0], 0
        if (n, offset) != at:
            self._positions[tp] = (n, offset)
            self._dirty.add(tp)
        return n, offset

    async def _closed_end(self, tp: TopicPartition, n: int) -> int:
        """The true end of closed generation ``n`` of ``tp``. The embedded broker
        reports the last batch's first offset plus one, so the last batch is read."""
        ptp = self._physical(tp, n)
        known = self._ends.get(ptp)
        if known is not None:
            return known
        self._sync({ptp: tp, **self._current()})
        reported = int((await self.inner.end_offsets([ptp]))[ptp])
        end = reported
        if reported > 0:
            self.inner.seek(ptp, reported - 1)
            batch = await self.inner.getmany(ptp, timeout_ms=_PROBE_TIMEOUT_MS)
            records = batch.get(ptp, [])
            if records:
                end = max(reported, int(records[-1].offset) + 1)
            self._dirty.add(tp)
        self._ends[ptp] = end
        oldest = self._catalog.live(tp.topic)[:1]
        for gone in [
            p for p in self._ends if p.partition == tp.partition and _older(p, tp, oldest)
        ]:
            del self._ends[gone]
        return end

    def _current(self) -> dict[TopicPartition, TopicPartition]:
        return {
            self._physical(tp, at[0]): tp
            for tp, at in self._positions.items()
            if at[0] in self._catalog.live(tp.topic)
        }

    def _sync(self, wanted: Mapping[TopicPartition, TopicPartition]) -> None:
        """Have ``inner`` read exactly ``wanted`` (physical -> logical), each at
        its position."""
        physical = set(wanted)
        if physical != self._inner_assigned:
            self.inner.assign(sorted(physical, key=lambda p: (p.topic, p.partition)))
            self._inner_assigned = physical
            self._dirty.update(wanted.values())
        for ptp, tp in wanted.items():
            if tp in self._dirty:
                at = self._positions.get(tp)
                if at is not None and self._physical(tp, at[0]) == ptp:
                    self.inner.seek(ptp, at[1])
                    self._dirty.discard(tp)

    def _relabel(
        self,
        found: Mapping[TopicPartition, list[Any]],
        wanted: Mapping[TopicPartition, TopicPartition],
    ) -> dict[TopicPartition, list[Any]]:
        out: dict[TopicPartition, list[Any]] = {}
        for ptp, records in found.items():
            tp = wanted.get(ptp)
            if tp is None or not records:
                continue
            n = self._positions[tp][0]
            base = n << GENERATION_BITS
            topic = tp.topic
            out[tp] = [_Record(topic, base | record.offset, record) for record in records]
            self._positions[tp] = (n, int(records[-1].offset) + 1)
        return out

    @staticmethod
    def _physical(tp: TopicPartition, n: int) -> TopicPartition:
        return TopicPartition(physical_topic(tp.topic, n), tp.partition)


def _older(ptp: TopicPartition, tp: TopicPartition, oldest: list[int]) -> bool:
    found = split_physical(ptp.topic)
    return found is not None and found[0] == tp.topic and bool(oldest) and found[1] < oldest[0]


class GenerationalGroupConsumer:
    """A :class:`GroupConsumer` of a logical topic.

    ``inner`` is a member of the group on the topic itself (the anchor): it
    keeps the membership, the assignment and the commits. ``reader`` reads the
    assigned partitions' generations (a :class:`GenerationalReader`). Without
    generations, every call goes to ``inner``.
    """

    def __init__(
        self,
        make_inner: Callable[[OnRevoked, OnAssigned], GroupConsumer],
        reader: GenerationalReader,
        *,
        on_revoked: OnRevoked,
        on_assigned: OnAssigned,
    ) -> None:
        self._on_assigned = on_assigned
        self.inner = make_inner(on_revoked, self._assigned)
        self.reader = reader
        self._unplaced: set[TopicPartition] = set()

    def __repr__(self) -> str:
        return f"GenerationalGroupConsumer({self.inner!r})"

    @property
    def generational(self) -> bool:
        return self.reader.policy is not None

    async def start(self) -> None:
        """Find out whether the broker rolls generations, then join the group."""
        await self.reader.start()
        if not self.generational:
            await self.reader.stop()
        try:
            await self.inner.start()
        except BaseException:
            if self.generational:
                await self.reader.stop()
            raise

    async def stop(self) -> None:
        """Leave the group (its partitions revoked first) and disconnect."""
        try:
            await self.inner.stop()
        finally:
            if self.generational:
                await self.reader.stop()

    def assignment(self) -> set[TopicPartition]:
        """The partitions this member reads now."""
        return self.inner.assignment()

    async def getmany(self, *, timeout_ms: int) -> dict[TopicPartition, list[Any]]:
        """The next records of the member's partitions, under logical offsets."""
        if not self.generational:
            return await self.inner.getmany(timeout_ms=timeout_ms)
        # The anchor holds no records; asking keeps the member in the group.
        await self.inner.getmany(timeout_ms=0)
        await self._place()
        partitions = sorted(self.inner.assignment(), key=lambda tp: tp.partition)
        if not partitions:
            await asyncio.sleep(timeout_ms / 1000)
            return {}
        return await self.reader.getmany(*partitions, timeout_ms=timeout_ms)

    async def position(self, tp: TopicPartition) -> int:
        """The logical offset of the next record of ``tp``."""
        if not self.generational:
            return await self.inner.position(tp)
        await self._place()
        try:
            return await self.reader.position(tp)
        except ValueError as exc:
            raise ConsumeError(str(exc)) from exc

    def seek(self, tp: TopicPartition, offset: int) -> None:
        """Read ``tp`` from the logical ``offset`` on."""
        if not self.generational:
            self.inner.seek(tp, offset)
            return
        self._unplaced.discard(tp)
        self.reader.seek(tp, offset)

    def highwater(self, tp: TopicPartition) -> int | None:
        """The end of the generation being read, as last fetched."""
        if not self.generational:
            return self.inner.highwater(tp)
        return self.reader.highwater(tp)

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Commit logical offsets (on the anchor)."""
        await self.inner.commit(offsets)

    async def committed(self, tp: TopicPartition) -> int | None:
        """The group's committed offset of ``tp``."""
        return await self.inner.committed(tp)

    def _assigned(self, partitions: Sequence[TopicPartition]) -> None:
        if self.generational:
            self.reader.assign(partitions)
            self._unplaced = set(partitions)
        self._on_assigned(partitions)

    async def _place(self) -> None:
        """Read newly assigned partitions from the group's commits."""
        while self._unplaced:
            tp = self._unplaced.pop()
            committed = await self.inner.committed(tp)
            if committed is not None:
                self.reader.seek(tp, committed)


class GenerationalProducer:
    """A :class:`Producer` of logical topics over a producer of their generations.

    ``directory`` tells at :meth:`start` whether the broker rolls generations
    (its marker topic), and creates them.
    """

    def __init__(
        self,
        inner: Producer,
        directory: TopicDirectory,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.inner = inner
        self._directory = directory
        self._clock = clock
        self.policy: GenerationPolicy | None = None
        self._created: set[str] = set()
        self._partitions: dict[str, int] = {}
        self._topics: set[str] = set()
        self._precreating: asyncio.Task[None] | None = None
        self._ahead: int | None = None
        """The generation last created ahead of its time."""
        self._generation: int | None = None

    def __repr__(self) -> str:
        return f"GenerationalProducer({self.inner!r}, {self.policy})"

    async def start(self) -> None:
        """Connect, and find out whether the broker rolls generations."""
        await self.inner.start()
        try:
            counts = await self._directory.partition_counts()
        except BaseException:
            await self.inner.stop()
            raise
        self.policy = policy_from_topics(counts)
        self._created = set(counts)

    async def stop(self) -> None:
        """Send what is queued, then disconnect."""
        if self._precreating is not None:
            self._precreating.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._precreating
            self._precreating = None
        await self.inner.stop()

    async def partitions(self, topic: str) -> int:
        """The partition count of ``topic`` (the anchor's)."""
        known = self._partitions.get(topic)
        if known is None:
            known = await self.inner.partitions(topic)
            self._partitions[topic] = known
        return known

    async def send_batch(
        self, topic: str, partition: int, records: Sequence[OutRecord]
    ) -> asyncio.Future[None]:
        """Queue ``records`` for ``topic``'s ``partition`` in the generation of now."""
        if self.policy is None:
            return await self.inner.send_batch(topic, partition, records)
        now = self._clock()
        n = self.policy.generation(now)
        name = physical_topic(topic, n)
        self._topics.add(topic)
        if name not in self._created:
            await self._create([topic], n)
        if n != self._generation:
            self._roll(n)
        if (
            self._ahead != n + 1
            and self._precreating is None
            and now > self.policy.switches_at(n) - _PRECREATE_S
        ):
            self._ahead = n + 1
            self._precreating = asyncio.create_task(self._precreate(n + 1))
        return await self.inner.send_batch(name, partition, records)

    async def flush(self) -> None:
        """Wait for every queued batch."""
        await self.inner.flush()

    def forget_topics(self, names: Iterable[str]) -> None:
        """Passed on to ``inner``."""
        self.inner.forget_topics(names)

    def _roll(self, n: int) -> None:
        """A new generation: the client stops asking the broker about older ones
        (the embedded broker would create a topic it is asked about again)."""
        self._generation = n
        old = []
        for name in self._created:
            found = split_physical(name)
            if found is not None and found[1] < n:
                old.append(name)
        self.inner.forget_topics(old)
        self._created.difference_update(old)

    async def _precreate(self, n: int) -> None:
        try:
            await self._create(sorted(self._topics), n)
        except Exception as exc:
            # Sending creates what is missing anyway; this only saves the wait.
            logger.warning("Could not create generation %d ahead of time: %s", n, exc)
        finally:
            self._precreating = None

    async def _create(self, topics: Sequence[str], n: int) -> None:
        specs = []
        for topic in topics:
            name = physical_topic(topic, n)
            if name not in self._created:
                specs.append(TopicSpec(name, await self.partitions(topic)))
        if not specs:
            return
        try:
            await self._directory.create(specs)
        except Exception as exc:
            raise ProduceError(f"cannot create generation {n} of {topics}: {exc}") from exc
        self._created.update(spec.name for spec in specs)


class GenerationJanitor:
    """Deletes generations older than the policy keeps: run by the broker's owner."""

    def __init__(
        self,
        directory: TopicDirectory,
        policy: GenerationPolicy,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.directory = directory
        self.policy = policy
        self._clock = clock
        self.deleted = 0

    async def sweep(self) -> list[str]:
        """Delete the generations that are too old now; returns their topics."""
        oldest_kept = self.policy.generation(self._clock()) - self.policy.keep + 1
        counts = await self.directory.partition_counts()
        doomed = []
        for name in counts:
            found = split_physical(name)
            if found is not None and found[1] < oldest_kept:
                doomed.append(name)
        if doomed:
            await self.directory.delete(sorted(doomed))
            self.deleted += len(doomed)
            logger.info("Deleted %d topic generation(s) older than %d", len(doomed), oldest_kept)
        return doomed

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Sweep every quarter period until ``stop`` is set (or cancelled); a
        failed sweep is logged and tried again."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                await self.sweep()
            except Exception as exc:
                logger.warning("Deleting old topic generations failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(1.0, self.policy.period_s / 4))

"""Reading topic partitions from chosen offsets: the ``Reader`` seam.

A reader is a consumer outside any consumer group: it is assigned partitions,
told where to read (``seek``), and fetches what follows. Delivery reads match
topics this way, and finds a partition's bounds and a time's offset with the
same calls.

:class:`KafkaReader` is the aiokafka implementation (Apache Kafka in
production, the embedded Tansu broker otherwise); :class:`MemoryReader` reads
a :class:`MemoryTopics` for unit tests. Both pass the same contract tests
(tests/broker/test_reader.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final, Protocol

from aiokafka.structs import TopicPartition  # type: ignore[import-untyped, unused-ignore]

from powertrack.broker.producer import MemoryTopics

__all__ = ["KafkaReader", "MemoryReader", "ReadRecord", "Reader", "TopicPartition", "poll_memory"]

_MEMORY_POLL_S: Final = 0.005

Fetched = dict[TopicPartition, list[Any]]


async def poll_memory(take: Callable[[], Fetched], timeout_ms: int) -> Fetched:
    """What ``take`` hands out, asked again every few ms until it hands out some
    or ``timeout_ms`` is up: how memory readers wait as a broker's fetch does."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        found = take()
        if found or time.monotonic() >= deadline:
            return found
        await asyncio.sleep(min(_MEMORY_POLL_S, max(0.0, deadline - time.monotonic())))


class ReadRecord(Protocol):
    """A record as a reader hands it out."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def timestamp(self) -> int:
        """Milliseconds since the epoch."""
        ...

    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes]]: ...


class Reader(Protocol):
    """Reads assigned partitions from chosen offsets."""

    async def start(self) -> None:
        """Connect."""
        ...

    async def stop(self) -> None:
        """Disconnect; records not yet handed out are dropped."""
        ...

    async def topics(self) -> set[str]:
        """Every topic there is (asking creates none)."""
        ...

    def assign(self, partitions: Iterable[TopicPartition]) -> None:
        """Read exactly these partitions from now on."""
        ...

    def seek(self, tp: TopicPartition, offset: int) -> None:
        """Hand out ``tp``'s records from ``offset`` on (it must be assigned)."""
        ...

    async def position(self, tp: TopicPartition) -> int:
        """The offset of the next record :meth:`getmany` hands out of ``tp``."""
        ...

    def highwater(self, tp: TopicPartition) -> int | None:
        """The end of ``tp`` as last fetched, if known."""
        ...

    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[Any]]:
        """The next records of the given partitions (all assigned ones if none are
        given), at most ``max_records`` in all; waits up to ``timeout_ms`` when
        there are none yet. Each partition's records are in offset order and
        move its position past them."""
        ...

    async def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        """The offset each partition's next record will get, as the broker reports it
        (the embedded broker can report less: see ``delivery/timeindex.py``)."""
        ...

    async def beginning_offsets(
        self, partitions: Sequence[TopicPartition]
    ) -> dict[TopicPartition, int]:
        """The first offset each partition still holds."""
        ...

    async def offsets_for_times(
        self, query: Mapping[TopicPartition, int]
    ) -> dict[TopicPartition, Any]:
        """For each partition, the first record at or after the time (ms) asked, as an
        object with an ``offset``; ``None`` where there is none. Only where the
        broker answers it (``BrokerCapabilities.offsets_for_times``)."""
        ...


class KafkaReader:
    """A :class:`Reader` over an aiokafka consumer without a group.

    ``fetch_bytes`` bounds what one fetch asks for (per partition and in all);
    the broker still answers the first record batch whole, however small the
    bound, so a small one suits readers that look at one record at a time.
    ``check_crcs=False`` skips the checksum of what is read;
    ``max_poll_records`` bounds what one :meth:`getmany` hands out.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        fetch_max_wait_ms: int = 500,
        fetch_bytes: int | None = None,
        check_crcs: bool = True,
        max_poll_records: int | None = None,
        client_id: str = "powertrack-reader",
    ) -> None:
        from aiokafka import AIOKafkaConsumer  # type: ignore[import-untyped, unused-ignore]

        limits: dict[str, Any] = (
            {}
            if fetch_bytes is None
            else {"fetch_max_bytes": fetch_bytes, "max_partition_fetch_bytes": fetch_bytes}
        )
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers,
            client_id=client_id,
            group_id=None,
            enable_auto_commit=False,
            fetch_max_wait_ms=fetch_max_wait_ms,
            check_crcs=check_crcs,
            max_poll_records=max_poll_records,
            # Only reached when retention removed the records asked for.
            auto_offset_reset="earliest",
            **limits,
        )
        self._bootstrap = bootstrap_servers

    def __repr__(self) -> str:
        return f"KafkaReader({self._bootstrap!r})"

    async def start(self) -> None:
        """Connect; see :meth:`Reader.start`."""
        await self._consumer.start()

    async def stop(self) -> None:
        """Disconnect; see :meth:`Reader.stop`."""
        await self._consumer.stop()

    async def topics(self) -> set[str]:
        """See :meth:`Reader.topics`."""
        return set(await self._consumer.topics())

    def assign(self, partitions: Iterable[TopicPartition]) -> None:
        """See :meth:`Reader.assign`."""
        self._consumer.assign(list(partitions))

    def seek(self, tp: TopicPartition, offset: int) -> None:
        """See :meth:`Reader.seek`."""
        self._consumer.seek(tp, offset)

    async def position(self, tp: TopicPartition) -> int:
        """See :meth:`Reader.position`."""
        return int(await self._consumer.position(tp))

    def highwater(self, tp: TopicPartition) -> int | None:
        """See :meth:`Reader.highwater`."""
        found = self._consumer.highwater(tp)
        return None if found is None else int(found)

    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[Any]]:
        """See :meth:`Reader.getmany`."""
        found: dict[TopicPartition, list[Any]] = await self._consumer.getmany(
            *partitions, timeout_ms=timeout_ms, max_records=max_records
        )
        return found

    async def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        """See :meth:`Reader.end_offsets`."""
        found = await self._consumer.end_offsets(list(partitions))
        return {tp: int(offset) for tp, offset in found.items()}

    async def beginning_offsets(
        self, partitions: Sequence[TopicPartition]
    ) -> dict[TopicPartition, int]:
        """See :meth:`Reader.beginning_offsets`."""
        found = await self._consumer.beginning_offsets(list(partitions))
        return {tp: int(offset) for tp, offset in found.items()}

    async def offsets_for_times(
        self, query: Mapping[TopicPartition, int]
    ) -> dict[TopicPartition, Any]:
        """See :meth:`Reader.offsets_for_times`."""
        found: dict[TopicPartition, Any] = await self._consumer.offsets_for_times(dict(query))
        return found


class _Found:
    __slots__ = ("offset", "timestamp")

    def __init__(self, offset: int, timestamp: int) -> None:
        self.offset = offset
        self.timestamp = timestamp


class MemoryReader:
    """A :class:`Reader` over a :class:`MemoryTopics`, for unit tests.

    It hands out the stored records themselves (``StoredRecord``), at most
    ``fetch_records`` per partition and fetch, as a broker answers a fetch
    with what fits its size limit.
    """

    def __init__(self, topics: MemoryTopics, *, fetch_records: int = 500) -> None:
        self.store = topics
        self.fetch_records = fetch_records
        self._positions: dict[TopicPartition, int] = {}
        self._started = False

    async def start(self) -> None:
        """Connect; fails while the topics are down."""
        if self.store.down:
            raise ConnectionError("cannot connect: the memory broker is down")
        self._started = True

    async def stop(self) -> None:
        """Disconnect."""
        self._started = False
        self._positions.clear()

    async def topics(self) -> set[str]:
        """The topics there are."""
        self._check()
        return set(self.store.partitions)

    def assign(self, partitions: Iterable[TopicPartition]) -> None:
        """Read these partitions, each from its first record until sought elsewhere."""
        wanted = list(partitions)
        self._positions = {tp: self._positions.get(tp, 0) for tp in wanted}

    def seek(self, tp: TopicPartition, offset: int) -> None:
        """Read ``tp`` from ``offset`` on."""
        if tp not in self._positions:
            raise ValueError(f"{tp} is not assigned")
        if offset < 0:
            raise ValueError("offsets are not negative")
        self._positions[tp] = offset

    async def position(self, tp: TopicPartition) -> int:
        """The offset :meth:`getmany` reads ``tp`` from next."""
        if tp not in self._positions:
            raise ValueError(f"{tp} is not assigned")
        return self._positions[tp]

    def highwater(self, tp: TopicPartition) -> int | None:
        """The partition's record count."""
        partitions = self.store.partitions.get(tp.topic)
        if partitions is None or not 0 <= tp.partition < len(partitions):
            return None
        return len(partitions[tp.partition])

    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[Any]]:
        """The next records, waiting up to ``timeout_ms`` for some."""
        self._check()
        asked = list(partitions) or list(self._positions)
        for tp in asked:
            if tp not in self._positions:
                raise ValueError(f"{tp} is not assigned")
        return await poll_memory(lambda: self._take(asked, max_records), timeout_ms)

    def _take(
        self, asked: list[TopicPartition], max_records: int | None
    ) -> dict[TopicPartition, list[Any]]:
        found: dict[TopicPartition, list[Any]] = {}
        room = max_records if max_records is not None else len(asked) * self.fetch_records
        for tp in asked:
            if room <= 0:
                break
            log = self._log(tp)
            start = self._positions[tp]
            taken = log[start : start + min(self.fetch_records, room)]
            if taken:
                found[tp] = list(taken)
                self._positions[tp] = start + len(taken)
                room -= len(taken)
        return found

    async def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        """Each partition's record count."""
        self._check()
        return {tp: len(self._log(tp)) for tp in partitions}

    async def beginning_offsets(
        self, partitions: Sequence[TopicPartition]
    ) -> dict[TopicPartition, int]:
        """0: memory topics keep every record."""
        self._check()
        for tp in partitions:
            self._log(tp)
        return dict.fromkeys(partitions, 0)

    async def offsets_for_times(
        self, query: Mapping[TopicPartition, int]
    ) -> dict[TopicPartition, Any]:
        """The first record at or after each time, as Kafka answers it."""
        self._check()
        answer: dict[TopicPartition, Any] = {}
        for tp, ts_ms in query.items():
            answer[tp] = next(
                (_Found(r.offset, r.timestamp) for r in self._log(tp) if r.timestamp >= ts_ms),
                None,
            )
        return answer

    def _log(self, tp: TopicPartition) -> list[Any]:
        partitions = self.store.partitions.get(tp.topic)
        if partitions is None or not 0 <= tp.partition < len(partitions):
            raise ValueError(f"{tp} does not exist")
        log: list[Any] = partitions[tp.partition]
        return log

    def _check(self) -> None:
        if not self._started:
            raise RuntimeError("the reader is not started")

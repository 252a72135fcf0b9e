"""Publishing records: the ``Producer`` seam, over aiokafka or in memory.

A producer takes records a batch at a time, for one topic partition, and
answers each batch with one future: done when the broker has stored every
record of it, failed with :class:`ProduceError` when it has not. No Python
await is spent per record, and the caller acknowledges a batch's records in
one callback. Batches sent to one partition are stored in the order they
were sent, unless a failed one is sent again.

:class:`KafkaProducer` is the aiokafka implementation (Apache Kafka in
production, the embedded Tansu broker otherwise); :class:`MemoryProducer`
writes to a :class:`MemoryTopics` for unit tests. Both pass the same
contract tests (tests/broker/test_producer.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from powertrack.broker.errors import ProduceError

__all__ = [
    "DEFAULT_BATCH_BYTES",
    "KafkaProducer",
    "MemoryProducer",
    "MemoryTopics",
    "OutRecord",
    "ProduceError",
    "Producer",
    "StoredRecord",
    "default_partition",
]

DEFAULT_BATCH_BYTES: Final = 512 * 1024
"""Largest batch a producer builds: well inside Kafka's default
``message.max.bytes`` (1 MB), large enough that a busy partition takes few
produce requests (each costs the embedded broker about 150 µs)."""

Headers = Sequence[tuple[str, bytes]]


@dataclass(frozen=True, slots=True)
class OutRecord:
    """One record to publish."""

    value: bytes
    key: bytes | None = None
    headers: Headers = ()


class Producer(Protocol):
    """Publishes batches of records to topic partitions."""

    async def start(self) -> None:
        """Connect; raises :class:`ProduceError` if the broker cannot be reached."""
        ...

    async def stop(self) -> None:
        """Send what is queued (as :meth:`flush`), then disconnect."""
        ...

    async def partitions(self, topic: str) -> int:
        """How many partitions ``topic`` has; :class:`ProduceError` if it is unknown."""
        ...

    async def send_batch(
        self, topic: str, partition: int, records: Sequence[OutRecord]
    ) -> asyncio.Future[None]:
        """Queue ``records`` for ``topic``'s ``partition``, in order.

        The returned future is done when the broker has stored all of them;
        it fails with :class:`ProduceError` when any was not (then none of
        them may be taken as stored). Raises :class:`ProduceError` at once
        when the batch cannot even be queued. A batch larger than the
        producer's batch size is sent as several, under the one future.
        """
        ...

    async def flush(self) -> None:
        """Wait until every batch queued so far is stored or has failed."""
        ...

    def forget_topics(self, names: Iterable[str]) -> None:
        """Stop keeping metadata of these topics (ones no longer written to)."""
        ...


def default_partition(key: bytes | None, partitions: int) -> int:
    """The partition Kafka's default partitioner gives ``key`` (murmur2, as the
    Java client and aiokafka compute it); partition 0 for no key."""
    if partitions < 1:
        raise ValueError("partitions must be at least 1")
    if key is None or partitions == 1:
        return 0
    return (_murmur2(key) & 0x7FFFFFFF) % partitions


def key_hash(key: bytes) -> int:
    """What :func:`default_partition` takes the partition of ``key`` from, for
    keys sent to many topics: ``key_hash(key) % partitions`` is the partition."""
    return _murmur2(key) & 0x7FFFFFFF


def _murmur2(data: bytes) -> int:
    # Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), seed 0x9747b28c.
    length = len(data)
    m, r = 0x5BD1E995, 24
    h = (0x9747B28C ^ length) & 0xFFFFFFFF
    whole = length & ~3
    for i in range(0, whole, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> r
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
    rest = length & 3
    if rest == 3:
        h ^= data[whole + 2] << 16
    if rest >= 2:
        h ^= data[whole + 1] << 8
    if rest >= 1:
        h ^= data[whole]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h


def _join(
    loop: asyncio.AbstractEventLoop, parts: list[asyncio.Future[Any]]
) -> asyncio.Future[None]:
    """One future for several: done when all are, failed with the first failure."""
    joined: asyncio.Future[None] = loop.create_future()
    remaining = len(parts)

    def done(part: asyncio.Future[Any]) -> None:
        nonlocal remaining
        remaining -= 1
        if part.cancelled():
            error: BaseException | None = ProduceError("the send was cancelled")
        else:
            error = part.exception()
        if joined.done():
            return
        if error is not None:
            joined.set_exception(_failed(error))
        elif remaining == 0:
            joined.set_result(None)

    for part in parts:
        part.add_done_callback(done)
    return joined


def _failed(error: BaseException) -> ProduceError:
    if isinstance(error, ProduceError):
        return error
    failed = ProduceError(f"{type(error).__name__}: {error}")
    failed.__cause__ = error
    return failed


class KafkaProducer:
    """A :class:`Producer` over an aiokafka ``AIOKafkaProducer``.

    ``acks="all"``: a record the leader alone stored is lost if the leader
    fails before a replica copies it. ``idempotent`` only where the broker
    supports it (``BrokerCapabilities.idempotent_producer``). No linger: a
    batch is already as large as the caller's work allows, and a lingering
    batch would make the next one for its partition wait.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        client_id: str = "powertrack",
        idempotent: bool = False,
        batch_bytes: int = DEFAULT_BATCH_BYTES,
        request_timeout_ms: int = 30_000,
        linger_ms: int = 0,
    ) -> None:
        from aiokafka import AIOKafkaProducer  # type: ignore[import-untyped, unused-ignore]

        self.batch_bytes = batch_bytes
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers,
            client_id=client_id,
            acks="all",
            enable_idempotence=idempotent,
            max_batch_size=batch_bytes,
            max_request_size=max(1 << 20, 2 * batch_bytes),
            request_timeout_ms=request_timeout_ms,
            linger_ms=linger_ms,
        )
        self._bootstrap = bootstrap_servers
        self._topics: set[str] = set()

    def __repr__(self) -> str:
        return f"KafkaProducer({self._bootstrap!r})"

    async def start(self) -> None:
        """Connect; see :meth:`Producer.start`."""
        from aiokafka.errors import KafkaError  # type: ignore[import-untyped, unused-ignore]

        try:
            await self._producer.start()
        except KafkaError as exc:
            await self._producer.stop()
            raise ProduceError(f"cannot connect to the broker at {self._bootstrap}: {exc}") from exc

    async def stop(self) -> None:
        """Flush, then disconnect."""
        await self._producer.stop()

    async def partitions(self, topic: str) -> int:
        """The partition count of ``topic``, from the client's metadata."""
        from aiokafka.errors import KafkaError  # type: ignore[import-untyped, unused-ignore]

        try:
            found = await self._producer.partitions_for(topic)
        except KafkaError as exc:
            raise ProduceError(f"topic {topic!r}: {exc}") from exc
        if not found:
            raise ProduceError(f"topic {topic!r} has no partitions")
        return len(found)

    async def send_batch(
        self, topic: str, partition: int, records: Sequence[OutRecord]
    ) -> asyncio.Future[None]:
        """Queue ``records`` in batches of at most ``batch_bytes``; see ``Producer``."""
        from aiokafka.errors import KafkaError  # type: ignore[import-untyped, unused-ignore]

        loop = asyncio.get_running_loop()
        if not records:
            empty: asyncio.Future[None] = loop.create_future()
            empty.set_result(None)
            return empty
        parts: list[asyncio.Future[Any]] = []
        builder = self._producer.create_batch()
        try:
            for record in records:
                # aiokafka's builder takes headers as a list only.
                headers = record.headers if type(record.headers) is list else list(record.headers)
                appended = builder.append(
                    timestamp=None, key=record.key, value=record.value, headers=headers
                )
                if appended is None:
                    # Full: send it and start the next. A first record always fits.
                    parts.append(await self._submit(builder, topic, partition))
                    builder = self._producer.create_batch()
                    builder.append(
                        timestamp=None, key=record.key, value=record.value, headers=headers
                    )
            parts.append(await self._submit(builder, topic, partition))
        except KafkaError as exc:
            failure = ProduceError(f"cannot publish to {topic}[{partition}]: {exc}")
            if not parts:
                raise failure from exc
            # Some parts are queued already: the whole batch counts as failed.
            parts.append(_failed_future(loop, failure))
        return _join(loop, parts)

    async def _submit(self, builder: Any, topic: str, partition: int) -> asyncio.Future[Any]:
        self._topics.add(topic)
        future: asyncio.Future[Any] = await self._producer.send_batch(
            builder, topic, partition=partition
        )
        return future

    async def flush(self) -> None:
        """Wait for every queued batch."""
        await self._producer.flush()

    def forget_topics(self, names: Iterable[str]) -> None:
        """Leave these topics out of the client's metadata requests from now on
        (a broker that creates topics on request would create them again)."""
        gone = set(names)
        self._topics -= gone
        self._producer.client.set_topics(self._topics)


def _failed_future(loop: asyncio.AbstractEventLoop, error: BaseException) -> asyncio.Future[None]:
    future: asyncio.Future[None] = loop.create_future()
    future.set_exception(error)
    return future


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A record as :class:`MemoryTopics` stores it."""

    topic: str
    partition: int
    offset: int
    timestamp: int
    """Milliseconds since the epoch, when it was stored."""
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]


@dataclass
class MemoryTopics:
    """Topics in memory, for unit tests: what a :class:`MemoryProducer` stores.

    While :attr:`down` is true every send fails, as against a broker that is
    unreachable; :attr:`hold` keeps acknowledgements back until
    :meth:`release`, as a slow broker does.
    """

    partitions: dict[str, list[list[StoredRecord]]] = field(default_factory=dict)
    committed: dict[str, dict[tuple[str, int], int]] = field(default_factory=dict)
    """Consumer groups' committed offsets: group -> (topic, partition) -> offset."""
    down: bool = False
    hold: bool = False
    _held: list[tuple[asyncio.Future[None], list[StoredRecord]]] = field(default_factory=list)

    def create(self, topic: str, partitions: int = 1) -> None:
        """Create ``topic`` unless it exists."""
        if partitions < 1:
            raise ValueError("partitions must be at least 1")
        self.partitions.setdefault(topic, [[] for _ in range(partitions)])

    def delete(self, topic: str) -> None:
        """Delete ``topic`` (its records and the groups' commits on it) if it exists."""
        self.partitions.pop(topic, None)
        for offsets in self.committed.values():
            for key in [key for key in offsets if key[0] == topic]:
                del offsets[key]

    def records(self, topic: str, partition: int | None = None) -> list[StoredRecord]:
        """The stored records of ``topic`` (one partition, or all in partition order)."""
        stored = self.partitions.get(topic, [])
        if partition is not None:
            return list(stored[partition])
        return [record for part in stored for record in part]

    def release(self, *, fail: bool = False) -> int:
        """Store (or, with ``fail``, drop and fail) the held batches; returns how many."""
        held, self._held = self._held, []
        for future, batch in held:
            if future.done():
                continue
            if fail:
                future.set_exception(ProduceError("the memory broker dropped the batch"))
            else:
                self._store(batch)
                future.set_result(None)
        return len(held)

    def _store(self, batch: list[StoredRecord]) -> None:
        for record in batch:
            log = self.partitions[record.topic][record.partition]
            log.append(
                StoredRecord(
                    record.topic,
                    record.partition,
                    len(log),
                    record.timestamp,
                    record.key,
                    record.value,
                    record.headers,
                )
            )


class MemoryProducer:
    """A :class:`Producer` that stores into a :class:`MemoryTopics`."""

    def __init__(self, topics: MemoryTopics) -> None:
        self.topics = topics
        self._started = False
        self.batches = 0
        """Batches sent (for tests: how many requests a real broker would see)."""

    async def start(self) -> None:
        """Connect; fails while the topics are down."""
        if self.topics.down:
            raise ProduceError("cannot connect: the memory broker is down")
        self._started = True

    async def stop(self) -> None:
        """Wait for held batches (as :meth:`flush`), then disconnect."""
        if self._started:
            await self.flush()
        self._started = False

    async def partitions(self, topic: str) -> int:
        """The partition count of ``topic``."""
        self._check()
        found = self.topics.partitions.get(topic)
        if found is None:
            raise ProduceError(f"topic {topic!r} does not exist")
        return len(found)

    async def send_batch(
        self, topic: str, partition: int, records: Sequence[OutRecord]
    ) -> asyncio.Future[None]:
        """Store ``records`` (or hold them; see :class:`MemoryTopics`)."""
        self._check()
        count = await self.partitions(topic)
        if not 0 <= partition < count:
            raise ProduceError(f"topic {topic!r} has no partition {partition}")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.batches += 1
        if self.topics.down:
            future.set_exception(ProduceError("the memory broker is down"))
            return future
        now = time.time_ns() // 1_000_000
        batch = [
            StoredRecord(topic, partition, -1, now, r.key, r.value, tuple(r.headers))
            for r in records
        ]
        if self.topics.hold:
            self.topics._held.append((future, batch))
        else:
            self.topics._store(batch)
            future.set_result(None)
        return future

    def forget_topics(self, names: Iterable[str]) -> None:
        """Nothing to forget: memory topics keep no metadata."""

    async def flush(self) -> None:
        """Wait until the held batches are released (see :meth:`MemoryTopics.release`)."""
        self._check()
        held = [future for future, _ in self.topics._held if not future.done()]
        if held:
            await asyncio.wait(held)

    def _check(self) -> None:
        if not self._started:
            raise ProduceError("the producer is not started")

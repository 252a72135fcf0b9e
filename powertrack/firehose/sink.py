"""Where produced tweets go: the ``TweetSink`` interface and its implementations.

Producers (replay, the synthetic generator, the tweet-posting API) write to a
:class:`TweetSink` and never see the broker client. :class:`KafkaTweetSink`
publishes to a Kafka-protocol topic; :class:`ListTweetSink` keeps tweets in
memory so producers can be tested without a broker.

Delivery is two-step so a producer can keep many tweets in flight: ``send``
queues a tweet and ``flush`` waits until every queued tweet is stored by the
broker. A failed delivery is raised as :class:`PublishError` by the next
``send`` or ``flush``, whichever comes first.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Protocol

import orjson

if TYPE_CHECKING:
    # Imported where a Kafka sink is made: code that only publishes through
    # the protocol (the API, tests with ListTweetSink) never loads the client.
    from powertrack.broker.producer import OutRecord, Producer
    from powertrack.broker.protocol import Broker

__all__ = [
    "KafkaTweetSink",
    "ListTweetSink",
    "PublishError",
    "TweetSink",
    "firehose_sink",
    "kafka_tweet_sink",
    "tweet_key",
]

# Long enough to ride out a broker leader election, short enough that a
# client posting a tweet hears about a dead broker within a few seconds.
DEFAULT_REQUEST_TIMEOUT_MS = 10_000
# A few milliseconds of batching multiplies replay throughput at high rates
# and adds no noticeable latency at low ones.
DEFAULT_LINGER_MS = 5
# A batch as large as the producer's (powertrack.broker.producer.DEFAULT_BATCH_BYTES),
# so each batch handed over is one produce request's worth for its partition.
DEFAULT_BATCH_BYTES = 512 * 1024
DEFAULT_BATCH_RECORDS = 2048
# Batches queued or unacknowledged: 16 of 512 KB bound what a slow broker costs.
DEFAULT_MAX_IN_FLIGHT = 16
# Connections to the broker: one request is in flight on each at a time.
DEFAULT_CONNECTIONS = 2
# What a record adds to its key and value in a batch (lengths, offsets, headers
# count), rounded up, so a batch gathered to batch_bytes fits the producer's.
_RECORD_OVERHEAD = 24
# aiokafka's batch builder takes headers as a list only (OutRecord's default
# is a tuple); shared, as nothing appends to it.
_NO_HEADERS: list[tuple[str, bytes]] = []


class PublishError(Exception):
    """Tweets could not be published: the broker is unreachable or refused them."""


class TweetSink(Protocol):
    """A destination for tweets, keyed by tweet id."""

    async def send(self, tweet_id: int, raw: bytes) -> None:
        """Queue one tweet (its JSON as ``raw``); raise :class:`PublishError` if it
        cannot be queued or an earlier tweet failed to be delivered."""
        ...

    async def flush(self) -> None:
        """Wait until every tweet sent so far is delivered; raise
        :class:`PublishError` if any was not."""
        ...


def tweet_key(tweet_id: int) -> bytes:
    """The message key of a tweet: its id in ASCII decimal.

    Keying by id sends every copy of a tweet to the same partition, so a
    duplicate (a replay, a producer retry) lands next to the original and a
    consumer can drop it by id.
    """
    return str(tweet_id).encode("ascii")


class KafkaTweetSink:
    """Publishes tweets to ``topic`` through started producers owned by the caller.

    Tweets are gathered per partition (the partition Kafka's default
    partitioner gives their key, so every copy of a tweet lands on the same
    one) and handed to a producer a batch at a time: when a partition's batch
    reaches ``batch_bytes`` or ``batch_records``, when the oldest gathered
    tweet has waited ``linger_ms``, or on :meth:`flush`. No await is spent on
    the broker per tweet.

    With several producers (several connections), partition ``p`` always goes
    through producer ``p % len(producers)``: each connection has one request in
    flight at a time, so two let the broker store one request while the next
    is being built. A partition's batches are sent in the order they were
    gathered. At most ``max_in_flight`` batches are queued or unacknowledged;
    beyond that :meth:`send` waits, so memory stays bounded when the broker is
    slower than the producer.

    Producers should publish with ``acks="all"`` (as :class:`KafkaProducer`
    does): a tweet acknowledged by the leader alone is lost if the leader fails
    before a replica copies it. Call :meth:`close` (as :func:`kafka_tweet_sink`
    does) before stopping the producers, so gathered tweets are handed over.
    """

    def __init__(
        self,
        producer: Producer | Sequence[Producer],
        topic: str,
        *,
        batch_bytes: int = DEFAULT_BATCH_BYTES,
        batch_records: int = DEFAULT_BATCH_RECORDS,
        linger_ms: float = DEFAULT_LINGER_MS,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    ) -> None:
        # Imported here: the broker package loads the Kafka client.
        from powertrack.broker.producer import OutRecord, ProduceError, default_partition

        if batch_bytes < 1 or batch_records < 1 or max_in_flight < 1:
            raise ValueError("batch_bytes, batch_records and max_in_flight must be positive")
        if linger_ms < 0:
            raise ValueError(f"linger_ms must not be negative, not {linger_ms}")
        self._producers = list(producer) if isinstance(producer, Sequence) else [producer]
        if not self._producers:
            raise ValueError("a Kafka sink needs a producer")
        self._record = OutRecord
        self._produce_error = ProduceError
        self._partition_of = default_partition
        self._topic = topic
        self._batch_bytes = batch_bytes
        self._batch_records = batch_records
        self._linger_s = linger_ms / 1000
        self._max_in_flight = max_in_flight
        self._partitions = 0  # known on the first send
        # Per partition: the tweets gathered and their size in bytes.
        self._batches: dict[int, list[OutRecord]] = {}
        self._sizes: dict[int, int] = {}
        # Per producer: batches waiting to be handed over, in the order they
        # were gathered, and the task that hands them over one at a time.
        self._queues: list[collections.deque[tuple[int, list[OutRecord]]]] = [
            collections.deque() for _ in self._producers
        ]
        self._queued = 0
        self._wake = [asyncio.Event() for _ in self._producers]
        self._workers: list[asyncio.Task[None]] = []
        self._in_flight: dict[asyncio.Future[None], int] = {}
        self._changed = asyncio.Event()  # a batch was handed over or acknowledged
        self._timer: asyncio.TimerHandle | None = None
        self._failed = 0
        self._error: BaseException | None = None

    @property
    def topic(self) -> str:
        """The topic tweets are published to."""
        return self._topic

    @property
    def in_flight(self) -> int:
        """Batches queued for a producer or not yet acknowledged by the broker."""
        return self._queued + len(self._in_flight)

    @property
    def gathered(self) -> int:
        """Tweets sent to the sink and not yet in a batch handed over."""
        return sum(len(batch) for batch in self._batches.values())

    async def send(self, tweet_id: int, raw: bytes) -> None:
        """Queue one tweet; see :meth:`TweetSink.send`.

        Returns without waiting unless the tweet completes a batch while
        ``max_in_flight`` batches are outstanding.
        """
        if self._failed:
            self._raise_failures()
        if not self._partitions:
            await self._load_partitions()
        key = str(tweet_id).encode("ascii")  # tweet_key, inline: this runs per tweet
        partition = self._partition_of(key, self._partitions)
        size = len(raw) + len(key) + _RECORD_OVERHEAD
        batch = self._batches.get(partition)
        if batch is not None and self._sizes[partition] + size <= self._batch_bytes:
            batch.append(self._record(raw, key, _NO_HEADERS))
            self._sizes[partition] += size
            if len(batch) < self._batch_records:
                return
            self._hand_over([partition])
        else:
            # A full batch is handed over; this tweet starts the next one.
            full = batch is not None
            if full:
                self._hand_over([partition])
            self._batches[partition] = [self._record(raw, key, _NO_HEADERS)]
            self._sizes[partition] = size
            if self._batch_records == 1:
                self._hand_over([partition])
            elif self._timer is None:
                self._timer = asyncio.get_running_loop().call_later(
                    self._linger_s, self._linger_over
                )
            if not full and self._batch_records > 1:
                return
        while self.in_flight > self._max_in_flight:
            await self._wait_for_change()
        if self._failed:
            self._raise_failures()

    async def flush(self) -> None:
        """Hand over every gathered tweet and wait for all; see :meth:`TweetSink.flush`."""
        self._hand_over(list(self._batches))
        while self.in_flight:
            await self._wait_for_change()
        self._raise_failures()

    async def close(self) -> None:
        """Hand over what is gathered, wait for it and stop handing over, without
        raising: failures are left unreported, as when a producer stops."""
        try:
            with contextlib.suppress(PublishError):
                await self.flush()
        finally:
            workers, self._workers = self._workers, []
            for worker in workers:
                worker.cancel()
            if workers:
                await asyncio.wait(workers)

    async def _load_partitions(self) -> None:
        try:
            count = await self._producers[0].partitions(self._topic)
        except self._produce_error as exc:
            raise PublishError(f"cannot publish to topic {self._topic!r}: {exc}") from exc
        self._partitions = self._partitions or count

    def _hand_over(self, partitions: list[int]) -> None:
        """Queue the gathered batches of ``partitions`` for their producers.

        Synchronous, so batches are queued in the order they were gathered:
        a partition's tweets are stored in the order they were sent.
        """
        if not self._workers or any(worker.done() for worker in self._workers):
            for worker in self._workers:
                worker.cancel()
            self._workers = [
                asyncio.ensure_future(self._work(index)) for index in range(len(self._producers))
            ]
        count = len(self._producers)
        for partition in partitions:
            records = self._batches.pop(partition, None)
            if records is None:
                continue
            del self._sizes[partition]
            self._queues[partition % count].append((partition, records))
            self._queued += 1
            self._wake[partition % count].set()
        if not self._batches and self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def _work(self, index: int) -> None:
        """Hand producer ``index``'s queued batches over, one after another."""
        producer, queue, wake = self._producers[index], self._queues[index], self._wake[index]
        try:
            while True:
                while not queue:
                    wake.clear()
                    await wake.wait()
                partition, records = queue[0]
                try:
                    future = await producer.send_batch(self._topic, partition, records)
                except Exception as exc:  # ProduceError, or a producer's bug
                    self._note_failure(len(records), exc)
                else:
                    self._in_flight[future] = len(records)
                    future.add_done_callback(self._delivered)
                queue.popleft()
                self._queued -= 1
                self._changed.set()
        finally:
            # Stopped (by close, or the loop ending): what is queued is not delivered.
            lost = sum(len(records) for _, records in queue)
            if lost:
                self._note_failure(lost, PublishError("the sink was closed"))
            self._queued -= len(queue)
            queue.clear()
            self._changed.set()

    async def _wait_for_change(self) -> None:
        self._changed.clear()
        await self._changed.wait()

    def _delivered(self, future: asyncio.Future[None]) -> None:
        count = self._in_flight.pop(future, 0)
        self._changed.set()
        if future.cancelled():
            self._note_failure(count, asyncio.CancelledError())
        elif (error := future.exception()) is not None:
            self._note_failure(count, error)

    def _note_failure(self, count: int, error: BaseException) -> None:
        self._failed += count
        self._error = self._error or error

    def _linger_over(self) -> None:
        self._timer = None
        self._hand_over(list(self._batches))

    def _raise_failures(self) -> None:
        # Reported once: a sink shared by requests recovers when the broker does.
        if not self._failed:
            return
        failed, error = self._failed, self._error
        self._failed, self._error = 0, None
        raise PublishError(
            f"{failed} tweet(s) were not delivered to topic {self._topic!r}: {error}"
        ) from error


@asynccontextmanager
async def kafka_tweet_sink(
    bootstrap: str,
    topic: str,
    *,
    idempotent: bool = False,
    request_timeout_ms: int = DEFAULT_REQUEST_TIMEOUT_MS,
    linger_ms: float = DEFAULT_LINGER_MS,
    connections: int = DEFAULT_CONNECTIONS,
) -> AsyncIterator[KafkaTweetSink]:
    """A :class:`KafkaTweetSink` over ``connections`` producers (:class:`KafkaProducer`)
    connected to ``bootstrap``.

    ``idempotent`` turns on the idempotent producer, which stops a retried
    batch from being written twice; only pass it for brokers that support
    ``InitProducerId``. ``linger_ms`` is how long a gathered tweet may wait for
    its batch to fill. Raises :class:`PublishError` if the broker cannot be
    reached. Leaving the block sends whatever is still queued, then disconnects.
    """
    from powertrack.broker.clients import kafka_producer
    from powertrack.broker.producer import ProduceError

    if connections < 1:
        raise ValueError(f"connections must be at least 1, not {connections}")
    producers: list[Producer] = []
    try:
        for _ in range(connections):
            producer = kafka_producer(
                bootstrap,
                client_id="powertrack-firehose",
                idempotent=idempotent,
                request_timeout_ms=request_timeout_ms,
            )
            await producer.start()  # stops itself if it cannot start
            producers.append(producer)
    except ProduceError as exc:
        for started in producers:
            await started.stop()
        raise PublishError(str(exc)) from exc
    sink = KafkaTweetSink(producers, topic, linger_ms=linger_ms)
    try:
        yield sink
    finally:
        try:
            await sink.close()
        finally:
            for started in producers:
                await started.stop()


@asynccontextmanager
async def firehose_sink(
    broker: Broker, topic: str, *, partitions: int
) -> AsyncIterator[KafkaTweetSink]:
    """A sink publishing to the firehose ``topic`` of a started ``broker``.

    Creates the topic with ``partitions`` partitions if it does not exist (an
    existing topic is left as it is), and uses the idempotent producer where
    the broker supports it. Raises ``TopicNameError`` for a name Kafka would
    refuse, ``BrokerError`` if the topic cannot be created, and
    :class:`PublishError` if no producer can connect.
    """
    from powertrack.broker import TopicSpec, firehose_topic

    name = firehose_topic(topic)
    await broker.ensure_topics([TopicSpec(name, partitions)])
    idempotent = broker.capabilities.idempotent_producer
    async with kafka_tweet_sink(broker.bootstrap_servers, name, idempotent=idempotent) as sink:
        yield sink


class ListTweetSink:
    """An in-memory sink for tests: delivered tweets collect in :attr:`sent`.

    Tweets are held in :attr:`pending` until :meth:`flush`, as a broker client
    holds them until acknowledged. While :attr:`down` is true every call raises
    :class:`PublishError` and a flush drops the pending tweets, as a broker
    that is unreachable never stores them.
    """

    def __init__(self) -> None:
        self.sent: list[tuple[int, bytes]] = []
        self.pending: list[tuple[int, bytes]] = []
        self.flushes = 0
        self.down = False

    async def send(self, tweet_id: int, raw: bytes) -> None:
        """Queue one tweet, or raise :class:`PublishError` while down."""
        if self.down:
            raise PublishError("the list sink is down")
        self.pending.append((tweet_id, raw))

    async def flush(self) -> None:
        """Deliver the queued tweets, or drop them and raise while down."""
        if self.down:
            self.pending.clear()
            raise PublishError("the list sink is down")
        self.flushes += 1
        self.sent.extend(self.pending)
        self.pending.clear()

    def tweets(self) -> list[dict[str, Any]]:
        """The delivered tweets, decoded."""
        return [orjson.loads(raw) for _, raw in self.sent]

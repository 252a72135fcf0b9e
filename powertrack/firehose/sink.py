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
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Protocol

import orjson

if TYPE_CHECKING:
    # Imported where a Kafka sink is made: code that only publishes through
    # the protocol (the API, tests with ListTweetSink) never loads the client.
    from aiokafka import AIOKafkaProducer  # type: ignore[import-untyped, unused-ignore]

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
    """Publishes tweets to ``topic`` with a started ``producer`` owned by the caller.

    The producer should be created with ``acks="all"`` (as :func:`kafka_tweet_sink`
    does): a tweet acknowledged by the leader alone is lost if the leader fails
    before a replica copies it.
    """

    def __init__(self, producer: AIOKafkaProducer, topic: str) -> None:
        from aiokafka.errors import KafkaError  # type: ignore[import-untyped, unused-ignore]

        self._kafka_error = KafkaError
        self._producer = producer
        self._topic = topic
        self._pending: set[asyncio.Future[Any]] = set()
        self._failed = 0
        self._error: BaseException | None = None

    @property
    def topic(self) -> str:
        """The topic tweets are published to."""
        return self._topic

    async def send(self, tweet_id: int, raw: bytes) -> None:
        """Queue one tweet; see :meth:`TweetSink.send`."""
        self._raise_failures()
        try:
            future = await self._producer.send(self._topic, value=raw, key=tweet_key(tweet_id))
        except self._kafka_error as exc:
            raise PublishError(f"cannot publish to topic {self._topic!r}: {exc}") from exc
        self._pending.add(future)
        future.add_done_callback(self._delivered)

    async def flush(self) -> None:
        """Wait for every queued tweet; see :meth:`TweetSink.flush`."""
        while self._pending:
            await asyncio.wait(list(self._pending))
        self._raise_failures()

    def _delivered(self, future: asyncio.Future[Any]) -> None:
        self._pending.discard(future)
        if future.cancelled():
            error: BaseException | None = asyncio.CancelledError()
        else:
            error = future.exception()
        if error is not None:
            self._failed += 1
            self._error = self._error or error

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
    linger_ms: int = DEFAULT_LINGER_MS,
) -> AsyncIterator[KafkaTweetSink]:
    """A :class:`KafkaTweetSink` over a producer connected to ``bootstrap``.

    ``idempotent`` turns on the idempotent producer, which stops a retried
    batch from being written twice; only pass it for brokers that support
    ``InitProducerId``. Raises :class:`PublishError` if the broker cannot be
    reached. Leaving the block sends whatever is still queued, then disconnects.
    """
    from aiokafka import AIOKafkaProducer  # type: ignore[import-untyped, unused-ignore]
    from aiokafka.errors import KafkaError  # type: ignore[import-untyped, unused-ignore]

    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id="powertrack-firehose",
        acks="all",
        enable_idempotence=idempotent,
        request_timeout_ms=request_timeout_ms,
        linger_ms=linger_ms,
    )
    try:
        await producer.start()
    except KafkaError as exc:
        await producer.stop()
        raise PublishError(f"cannot connect to the broker at {bootstrap}: {exc}") from exc
    try:
        yield KafkaTweetSink(producer, topic)
    finally:
        await producer.stop()


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

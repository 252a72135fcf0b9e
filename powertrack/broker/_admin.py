"""Kafka-protocol operations shared by every ``Broker``: readiness, topics, probes.

Each call opens its own short-lived client: a client is tied to the event loop
it was started in, and a broker object may outlive a loop (the command line
and the tests start a broker in one ``asyncio.run`` and use it in others).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any, Final

from aiokafka import (  # type: ignore[import-untyped, unused-ignore]
    AIOKafkaConsumer,
    AIOKafkaProducer,
    TopicPartition,
)
from aiokafka.admin import (  # type: ignore[import-untyped, unused-ignore]
    AIOKafkaAdminClient,
    NewTopic,
)
from aiokafka.errors import (  # type: ignore[import-untyped, unused-ignore]
    KafkaError,
    TopicAlreadyExistsError,
    UnknownTopicOrPartitionError,
    for_code,
)

from powertrack.broker.errors import BrokerError, BrokerUnavailableError
from powertrack.broker.protocol import TopicSpec
from powertrack.broker.topics import validate_topic_name

__all__ = [
    "check_reachable",
    "delete_topics",
    "ensure_topics",
    "list_topics",
    "partition_counts",
    "probe_offsets_for_times",
    "producer_starts",
]

log = logging.getLogger(__name__)

# Year 9999: no record is that late, so a broker that really searches by time
# finds nothing (offset -1, which aiokafka turns into None).
_FAR_FUTURE_MS: Final = 253_402_300_799_000
_CREATED_POLL_SECONDS: Final = 0.05


async def check_reachable(bootstrap_servers: str, timeout: float) -> None:
    """Return once a broker at ``bootstrap_servers`` answers a metadata request.

    Raises ``BrokerUnavailableError`` if none does within ``timeout`` seconds.
    """
    async with _admin(bootstrap_servers, timeout):
        pass


async def partition_counts(bootstrap_servers: str, timeout: float) -> dict[str, int]:
    """The partition count of every topic, Kafka's internal ones left out."""
    async with _admin(bootstrap_servers, timeout) as admin:
        return await _partition_counts(admin, bootstrap_servers)


async def list_topics(bootstrap_servers: str, timeout: float) -> set[str]:
    """The names of the cluster's topics, Kafka's internal ones left out."""
    return set(await partition_counts(bootstrap_servers, timeout))


async def ensure_topics(
    bootstrap_servers: str, topics: Sequence[TopicSpec], timeout: float
) -> None:
    """Create the missing ones of ``topics`` and wait until the cluster lists them.

    A topic that exists is left alone, even with another partition count:
    adding partitions moves keys to other partitions, which is an operator's
    decision, so it is only logged.
    """
    wanted = _unique(topics)
    for spec in wanted.values():
        validate_topic_name(spec.name)
    deadline = time.monotonic() + timeout
    async with _admin(bootstrap_servers, timeout) as admin:
        existing = await _partition_counts(admin, bootstrap_servers)
        for spec in wanted.values():
            have = existing.get(spec.name)
            if have is not None and have != spec.partitions:
                log.warning(
                    "Topic %s has %d partitions, not the %d asked for; leaving it as it is",
                    spec.name,
                    have,
                    spec.partitions,
                )
        missing = [spec for name, spec in wanted.items() if name not in existing]
        if not missing:
            return
        await _create(admin, bootstrap_servers, missing, timeout)
        names = {spec.name for spec in missing}
        # CreateTopics returns once the controller has the topics; the broker
        # answering metadata requests may learn of them a moment later.
        while not names <= set(await _partition_counts(admin, bootstrap_servers)):
            if time.monotonic() > deadline:
                raise BrokerError(
                    f"Created topics {sorted(names)} on {bootstrap_servers}, but they were "
                    f"not listed within {timeout} s"
                )
            await asyncio.sleep(_CREATED_POLL_SECONDS)
        log.info("Created topics %s", ", ".join(sorted(names)))


async def delete_topics(bootstrap_servers: str, names: Sequence[str], timeout: float) -> None:
    """Delete the topics ``names`` (a missing one is not an error)."""
    if not names:
        return
    async with _admin(bootstrap_servers, timeout) as admin:
        try:
            response = await admin.delete_topics(list(names), timeout_ms=_milliseconds(timeout))
        except (KafkaError, OSError, TimeoutError) as exc:
            raise _translate(exc, f"Deleting topics on {bootstrap_servers} failed") from exc
    for topic, code, *_ in response.topic_error_codes:
        error = for_code(code)
        if code == 0 or error is UnknownTopicOrPartitionError:
            continue
        raise BrokerError(
            f"{bootstrap_servers} refused to delete topic {topic!r}: {error.__name__}"
        )


async def producer_starts(bootstrap_servers: str, timeout: float, **config: Any) -> bool:
    """True when a producer with ``config`` starts within ``timeout`` seconds.

    With ``enable_idempotence`` or a ``transactional_id`` the producer asks the
    broker for a producer id as it starts, so nothing is written to any topic.
    """
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        request_timeout_ms=_milliseconds(timeout),
        **config,
    )
    try:
        with _quiet_producer_id_errors():
            async with asyncio.timeout(timeout):
                await producer.start()
    except (KafkaError, OSError, TimeoutError) as exc:
        log.debug("A producer with %s did not start: %r", config, exc)
        return False
    finally:
        await producer.stop()
    return True


async def probe_offsets_for_times(
    bootstrap_servers: str, topic: str, partition: int, timeout: float
) -> bool:
    """True when the broker answers ListOffsets by timestamp from its records.

    Asks for the first record after a time no record can have: a broker that
    searches answers "none"; one that ignores the time names an offset anyway.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        request_timeout_ms=_milliseconds(timeout),
        enable_auto_commit=False,
    )
    tp = TopicPartition(topic, partition)
    try:
        async with asyncio.timeout(timeout):
            await consumer.start()
            offsets = await consumer.offsets_for_times({tp: _FAR_FUTURE_MS})
    except (KafkaError, OSError, TimeoutError) as exc:
        log.debug("ListOffsets by timestamp failed on %s: %r", tp, exc)
        return False
    finally:
        await consumer.stop()
    return offsets.get(tp) is None


@contextlib.asynccontextmanager
async def _admin(bootstrap_servers: str, timeout: float) -> AsyncIterator[Any]:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers, request_timeout_ms=_milliseconds(timeout)
    )
    try:
        async with asyncio.timeout(timeout):
            await admin.start()
    except (KafkaError, OSError, TimeoutError) as exc:
        await admin.close()
        raise BrokerUnavailableError(
            f"No Kafka broker answered at {bootstrap_servers}: {exc!r}"
        ) from exc
    try:
        yield admin
    finally:
        await admin.close()


async def _partition_counts(admin: Any, bootstrap_servers: str) -> dict[str, int]:
    # All topics, never named ones: a metadata request naming a missing topic
    # creates it on brokers with automatic topic creation (Tansu always has it).
    try:
        described: list[dict[str, Any]] = await admin.describe_topics()
    except (KafkaError, OSError, TimeoutError) as exc:
        raise _translate(exc, f"Listing the topics on {bootstrap_servers} failed") from exc
    return {
        str(topic["topic"]): len(topic["partitions"])
        for topic in described
        if not topic["is_internal"]
    }


async def _create(
    admin: Any, bootstrap_servers: str, topics: Sequence[TopicSpec], timeout: float
) -> None:
    new_topics = [
        NewTopic(
            spec.name,
            num_partitions=spec.partitions,
            replication_factor=spec.replication_factor,
            topic_configs=dict(spec.config),
        )
        for spec in topics
    ]
    try:
        response = await admin.create_topics(new_topics, timeout_ms=_milliseconds(timeout))
    except (KafkaError, OSError, TimeoutError) as exc:
        raise _translate(exc, f"Creating topics on {bootstrap_servers} failed") from exc
    for topic, code, *rest in response.topic_errors:
        error = for_code(code)
        # Another process may have created the topic since it was listed.
        if code == 0 or error is TopicAlreadyExistsError:
            continue
        detail = rest[0] if rest and rest[0] else error.__name__
        raise BrokerError(f"{bootstrap_servers} refused to create topic {topic!r}: {detail}")


def _translate(exc: BaseException, what: str) -> BrokerError:
    retriable = isinstance(exc, OSError | TimeoutError) or getattr(exc, "retriable", False)
    kind = BrokerUnavailableError if retriable else BrokerError
    return kind(f"{what}: {exc!r}")


def _unique(topics: Sequence[TopicSpec]) -> Mapping[str, TopicSpec]:
    wanted: dict[str, TopicSpec] = {}
    for spec in topics:
        seen = wanted.setdefault(spec.name, spec)
        if seen != spec:
            raise ValueError(f"topic {spec.name!r} is asked for twice, differently")
    return wanted


class _DropProducerIdErrors(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Unexpected error during InitProducerId")


@contextlib.contextmanager
def _quiet_producer_id_errors() -> Iterator[None]:
    # aiokafka logs a refused InitProducerId as an error before raising it;
    # during a probe that refusal is an answer, not a fault to alert on.
    sender_log = logging.getLogger("aiokafka.producer.sender")
    quiet = _DropProducerIdErrors()
    sender_log.addFilter(quiet)
    try:
        yield
    finally:
        sender_log.removeFilter(quiet)


def _milliseconds(seconds: float) -> int:
    return max(1, int(seconds * 1000))

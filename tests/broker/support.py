"""aiokafka clients set up as powertrack's nodes will use them, and helpers to drive them."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiokafka import (  # type: ignore[import-untyped, unused-ignore]
    AIOKafkaConsumer,
    AIOKafkaProducer,
    TopicPartition,
)
from aiokafka.admin import AIOKafkaAdminClient  # type: ignore[import-untyped, unused-ignore]

from powertrack.broker import TopicSpec
from powertrack.broker.generations import TopicDirectory
from tests.services import KAFKA_ENV

# Kafka refuses sessions shorter than group.min.session.timeout.ms (6 s by
# default). Tansu takes any, and a join there waits half the session timeout,
# so against the embedded broker the tests use short sessions to stay fast.
SESSION_TIMEOUT_MS = 6000 if os.environ.get(KAFKA_ENV) else 2000
HEARTBEAT_INTERVAL_MS = SESSION_TIMEOUT_MS // 6


def topic_creator(directory: TopicDirectory) -> Callable[[str, int], Awaitable[None]]:
    """``create(topic, partitions)``: makes a topic through ``directory`` (a
    ``KafkaDirectory`` of the test broker, a ``MemoryDirectory``)."""

    async def create(topic: str, partitions: int) -> None:
        await directory.create([TopicSpec(topic, partitions)])

    return create


def unique(prefix: str) -> str:
    """A topic or group name no other test uses on the shared broker."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def producer(bootstrap_servers: str) -> Any:
    """A producer that waits for every in-sync replica, as the filter nodes' does."""
    return AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")


def group_consumer(bootstrap_servers: str, group: str, *topics: str) -> Any:
    """A member of ``group`` subscribed to ``topics``, committing by hand."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=SESSION_TIMEOUT_MS,
        heartbeat_interval_ms=HEARTBEAT_INTERVAL_MS,
    )


def offsets_reader(bootstrap_servers: str, group: str) -> Any:
    """A consumer that reads ``group``'s committed offsets without joining the group."""
    return AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, group_id=group, enable_auto_commit=False
    )


async def consume(consumer: Any, count: int, timeout: float = 10.0) -> list[Any]:
    """The next ``count`` records ``consumer`` fetches; fails if they take over ``timeout`` s."""
    records: list[Any] = []
    deadline = time.monotonic() + timeout
    while len(records) < count:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"got {len(records)} of {count} records in {timeout} s")
        batches = await consumer.getmany(timeout_ms=int(min(remaining, 0.2) * 1000))
        for batch in batches.values():
            records.extend(batch)
    return records


async def drain(consumers: Sequence[Any], quiet: float = 0.5) -> list[list[Any]]:
    """What each of ``consumers`` fetches, polling together, until none gets anything
    for ``quiet`` seconds."""
    fetched: list[list[Any]] = [[] for _ in consumers]
    while True:
        batches = await asyncio.gather(
            *(consumer.getmany(timeout_ms=int(quiet * 1000)) for consumer in consumers)
        )
        if not any(batches):
            return fetched
        for records, batch in zip(fetched, batches, strict=True):
            for part in batch.values():
                records.extend(part)


async def poll_until_assigned(
    consumers: Sequence[Any], partitions: int, timeout: float = 20.0
) -> list[list[Any]]:
    """Poll ``consumers`` until together they own all ``partitions``, each at least one.

    Returns what each fetched meanwhile. Polling is what lets aiokafka
    consumers take part in a rebalance, so all of them are polled together.
    """
    fetched: list[list[Any]] = [[] for _ in consumers]
    deadline = time.monotonic() + timeout
    while True:
        owned = [consumer.assignment() for consumer in consumers]
        if all(owned) and sum(len(parts) for parts in owned) == partitions:
            return fetched
        if time.monotonic() > deadline:
            raise AssertionError(f"assignment after {timeout} s: {owned}")
        batches = await asyncio.gather(
            *(consumer.getmany(timeout_ms=100) for consumer in consumers)
        )
        for records, batch in zip(fetched, batches, strict=True):
            for part in batch.values():
                records.extend(part)


def partitions_of(topic: str, count: int) -> list[Any]:
    """``TopicPartition`` 0 to ``count - 1`` of ``topic``."""
    return [TopicPartition(topic, partition) for partition in range(count)]


async def partition_counts(bootstrap_servers: str) -> dict[str, int]:
    """Each topic's partition count, as a plain aiokafka admin client sees it."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        return {topic["topic"]: len(topic["partitions"]) for topic in await admin.describe_topics()}
    finally:
        await admin.close()

"""The Kafka clients powertrack's parts read and write with.

Each factory gives the aiokafka implementation of a seam wrapped for topic
generations (:mod:`powertrack.broker.generations`): against a broker that
rolls them (the embedded broker under ``powertrack up``) the wrapper reads
and writes a topic's generations; against any other it passes every call
straight through. Parts build their clients here, never from aiokafka.
"""

from __future__ import annotations

from typing import Any

from powertrack.broker.generations import (
    GenerationalGroupConsumer,
    GenerationalProducer,
    GenerationalReader,
    KafkaDirectory,
)
from powertrack.broker.group import KafkaGroupConsumer, OnAssigned, OnRevoked
from powertrack.broker.producer import KafkaProducer
from powertrack.broker.reader import KafkaReader

__all__ = ["kafka_group_consumer", "kafka_producer", "kafka_reader"]


def kafka_reader(bootstrap_servers: str, **options: Any) -> GenerationalReader:
    """A :class:`~powertrack.broker.reader.Reader` (options as ``KafkaReader``'s)."""
    return GenerationalReader(KafkaReader(bootstrap_servers, **options))


def kafka_producer(bootstrap_servers: str, **options: Any) -> GenerationalProducer:
    """A :class:`~powertrack.broker.producer.Producer` (options as ``KafkaProducer``'s)."""
    return GenerationalProducer(
        KafkaProducer(bootstrap_servers, **options), KafkaDirectory(bootstrap_servers)
    )


def kafka_group_consumer(
    bootstrap_servers: str,
    topic: str,
    group: str,
    *,
    on_revoked: OnRevoked,
    on_assigned: OnAssigned,
    client_id: str = "powertrack",
    max_poll_records: int = 500,
    fetch_max_wait_ms: int = 500,
    **options: Any,
) -> GenerationalGroupConsumer:
    """A :class:`~powertrack.broker.group.GroupConsumer` of ``topic`` for ``group``
    (options as ``KafkaGroupConsumer``'s)."""

    def member(revoked: OnRevoked, assigned: OnAssigned) -> KafkaGroupConsumer:
        return KafkaGroupConsumer(
            bootstrap_servers,
            topic,
            group,
            on_revoked=revoked,
            on_assigned=assigned,
            client_id=client_id,
            max_poll_records=max_poll_records,
            fetch_max_wait_ms=fetch_max_wait_ms,
            **options,
        )

    reader = KafkaReader(
        bootstrap_servers,
        client_id=client_id,
        max_poll_records=max_poll_records,
        fetch_max_wait_ms=fetch_max_wait_ms,
    )
    return GenerationalGroupConsumer(
        member, GenerationalReader(reader), on_revoked=on_revoked, on_assigned=on_assigned
    )

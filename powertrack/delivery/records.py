"""What a stream delivers, and delivery's errors."""

from __future__ import annotations

from dataclasses import dataclass

from powertrack.broker.topics import Side

__all__ = [
    "Delivered",
    "DeliveryError",
    "InvalidCursorError",
    "InvalidStartError",
]


class DeliveryError(Exception):
    """Base class of the errors the delivery layer raises."""


class InvalidCursorError(DeliveryError, ValueError):
    """A ``cursor`` a client sent back cannot be used; the message says why."""


class InvalidStartError(DeliveryError, ValueError):
    """Where a stream was asked to start is not allowed; the message says why."""


@dataclass(frozen=True, slots=True)
class Delivered:
    """One match as a stream delivers it, and the cursor to resume right after it."""

    value: bytes
    """The record exactly as the filter node published it."""
    tweet_id: int
    side: Side
    """The side whose topic the record was read from."""
    topic_offset: int
    firehose_partition: int
    firehose_offset: int
    matched_at_ms: int
    cursor: str

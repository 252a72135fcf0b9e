"""What a stream delivers, how it is read off a match record, and delivery's errors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from powertrack.broker.topics import Side
from powertrack.filter.output import (
    CATCH_UP,
    FIREHOSE_OFFSET,
    FIREHOSE_PARTITION,
    MATCHED_AT,
    TWEET_ID,
    header,
)

__all__ = [
    "Delivered",
    "DeliveryError",
    "InvalidCursorError",
    "InvalidStartError",
    "MatchHeaders",
    "is_catch_up",
    "read_match_headers",
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


class MatchHeaders(NamedTuple):
    """The headers a filter node puts on every match record, decoded."""

    tweet_id: int
    firehose_partition: int
    firehose_offset: int
    matched_at_ms: int


def read_match_headers(headers: Sequence[tuple[str, bytes]]) -> MatchHeaders | None:
    """The decoded match headers, or None when one is missing or not a number."""
    values: list[int] = []
    for name in (TWEET_ID, FIREHOSE_PARTITION, FIREHOSE_OFFSET, MATCHED_AT):
        raw = header(headers, name)
        if raw is None:
            return None
        try:
            values.append(int(raw))
        except ValueError:
            return None
    return MatchHeaders(*values)


def is_catch_up(headers: Sequence[tuple[str, bytes]]) -> bool:
    """Whether a match was published by a stack move's catch-up."""
    return header(headers, CATCH_UP) == b"1"

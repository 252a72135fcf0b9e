"""Delivery: a customer stream's matches read back from Kafka.

``MatchSource`` reads one stream's match topic on a healthy side from a
``StartAt`` (live, backfill, a time range or a cursor), moves to the other
side when its side fails, and delivers each match once as a ``Delivered``
carrying its cursor. ``offset_for_time`` finds a time's offset on brokers
without ``offsets_for_times``.
"""

from __future__ import annotations

from powertrack.delivery.cursor import (
    Cursor,
    Progress,
    decode_cursor,
    encode_cursor,
    stream_key,
)
from powertrack.delivery.records import (
    Delivered,
    DeliveryError,
    InvalidCursorError,
    InvalidStartError,
)
from powertrack.delivery.source import (
    MAX_BACKFILL_MINUTES,
    MatchSource,
    SourceOptions,
    StartAt,
)
from powertrack.delivery.timeindex import offset_for_time

__all__ = [
    "MAX_BACKFILL_MINUTES",
    "Cursor",
    "Delivered",
    "DeliveryError",
    "InvalidCursorError",
    "InvalidStartError",
    "MatchSource",
    "Progress",
    "SourceOptions",
    "StartAt",
    "decode_cursor",
    "encode_cursor",
    "offset_for_time",
    "stream_key",
]

"""Delivery: a customer stream's matches read back from Kafka.

A ``MatchFeed`` reads the match topics of every stream a process serves with
a few shared consumers. ``MatchSource`` reads one stream's match topic through
it on a healthy side from a ``StartAt`` (live, backfill, a time range or a
cursor), moves to the other side when its side fails, and delivers each match
once as a ``Delivered`` carrying its cursor. ``offset_for_time`` finds a
time's offset on brokers without ``offsets_for_times``.

``format`` writes a match as a PowerTrack or v2 line, ``StreamConnection``
serves one customer connection, and ``DeliveryServices`` bundles what the
streaming endpoints (``powertrack.api.routes.streams``) need.
"""

from __future__ import annotations

from powertrack.delivery.connection import (
    DeliveryConfig,
    Ending,
    Shape,
    StreamConnection,
    accepts_gzip,
    ending_line,
)
from powertrack.delivery.cursor import (
    Cursor,
    Progress,
    decode_cursor,
    encode_cursor,
    stream_key,
)
from powertrack.delivery.feed import FeedOptions, FeedOverflowError, MatchFeed, Subscription
from powertrack.delivery.format import (
    InvalidFieldsError,
    V2Fields,
    powertrack_line,
    v2_line,
)
from powertrack.delivery.records import (
    Delivered,
    DeliveryError,
    InvalidCursorError,
    InvalidStartError,
)
from powertrack.delivery.services import DeliveryServices
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
    "DeliveryConfig",
    "DeliveryError",
    "DeliveryServices",
    "Ending",
    "FeedOptions",
    "FeedOverflowError",
    "InvalidCursorError",
    "InvalidFieldsError",
    "InvalidStartError",
    "MatchFeed",
    "MatchSource",
    "Progress",
    "Shape",
    "SourceOptions",
    "StartAt",
    "StreamConnection",
    "Subscription",
    "V2Fields",
    "accepts_gzip",
    "decode_cursor",
    "encode_cursor",
    "ending_line",
    "offset_for_time",
    "powertrack_line",
    "stream_key",
    "v2_line",
]

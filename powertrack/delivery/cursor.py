"""Cursors, and what a stream remembers so it delivers each match once.

A cursor is opaque to clients: urlsafe base64 (unpadded) of compact JSON
holding

- ``k``: a checksum of the stream (``account/label``), so a cursor from
  another stream is refused rather than read as a position in this one;
- ``s``, ``o``: the side, and the offset in that side's topic of the last
  delivered record;
- ``t``: that record's ``matched_at`` (ms);
- ``f``: the firehose position vector F, flattened ``[partition, offset, ...]``:
  for every firehose partition a delivered match came from, the highest
  firehose offset delivered.

On the side that wrote it, resuming is exact: the next record is at ``o + 1``.
On the other side topic offsets mean nothing, but F does: each side publishes
the matches of one firehose partition in firehose order, so every record of
partition ``p`` with firehose offset ``<= F[p]`` was delivered and every later
one was not, whatever the interleaving of partitions.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeGuard

import orjson

from powertrack.broker.topics import SIDES, Side
from powertrack.delivery.records import InvalidCursorError

__all__ = [
    "DEFAULT_DEDUPE_WINDOW",
    "Cursor",
    "Progress",
    "decode_cursor",
    "encode_cursor",
    "stream_key",
]

_VERSION: Final = 1
# Far more than any cursor powertrack writes (a few hundred bytes for a
# firehose of dozens of partitions); refused unread beyond it.
_MAX_TOKEN_LENGTH: Final = 16_384
DEFAULT_DEDUPE_WINDOW: Final = 100_000
"""Tweet ids remembered to drop duplicates: a crashed filter node re-publishes at
most what it matched since its last commit, a few seconds' worth."""


def stream_key(account: str, label: str) -> int:
    """The checksum a cursor carries of the stream it belongs to."""
    return zlib.crc32(f"{account}/{label}".encode())


@dataclass(frozen=True, slots=True)
class Cursor:
    """A decoded cursor: where a stream stood after one delivered record."""

    stream: int
    """:func:`stream_key` of the stream."""
    side: Side
    topic_offset: int
    matched_at_ms: int
    positions: Mapping[int, int] = field(default_factory=dict)
    """F: firehose partition -> highest firehose offset delivered."""


def encode_cursor(cursor: Cursor) -> str:
    """The opaque token for ``cursor``."""
    flat: list[int] = []
    for partition, offset in sorted(cursor.positions.items()):
        flat += (partition, offset)
    body = orjson.dumps(
        {
            "v": _VERSION,
            "k": cursor.stream,
            "s": cursor.side,
            "o": cursor.topic_offset,
            "t": cursor.matched_at_ms,
            "f": flat,
        }
    )
    return base64.urlsafe_b64encode(body).rstrip(b"=").decode("ascii")


def decode_cursor(token: str) -> Cursor:
    """The cursor ``token`` stands for; ``InvalidCursorError`` if it is not one."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        raise InvalidCursorError("cursor is empty or too long; send back a cursor as received")
    try:
        body = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        document = orjson.loads(body)
    except (binascii.Error, ValueError) as exc:
        raise InvalidCursorError("cursor is malformed; send back a cursor as received") from exc
    return _from_document(document)


def _from_document(document: Any) -> Cursor:
    if not isinstance(document, dict) or document.get("v") != _VERSION:
        raise InvalidCursorError("cursor is not one this server wrote")
    stream, side = document.get("k"), document.get("s")
    offset, matched_at, flat = document.get("o"), document.get("t"), document.get("f")
    if (
        side not in SIDES
        or not _is_count(stream)
        or not _is_count(offset)
        or not _is_count(matched_at)
        or not isinstance(flat, list)
        or len(flat) % 2
        or not all(_is_count(n) for n in flat)
    ):
        raise InvalidCursorError("cursor is corrupt; send back a cursor as received")
    positions = dict(zip(flat[::2], flat[1::2], strict=True))
    return Cursor(stream, side, offset, matched_at, positions)


def _is_count(value: object) -> TypeGuard[int]:
    return type(value) is int and value >= 0


class Progress:
    """What a stream has delivered: F, and the most recent tweet ids.

    F drops every record its firehose position shows was delivered, which
    catches a side's own re-publishing after a crash and, after a switch of
    side, everything the other side already delivered. The tweet-id window
    catches what F cannot see: a tweet the firehose carried twice, at two
    positions (an ingest retried after a lost acknowledgement).

    F assumes each side publishes one firehose partition's matches in firehose
    order. A publish a filter node retries after its producer gave up can land
    behind a later match of its partition; F then treats it as delivered.
    """

    def __init__(
        self, positions: Mapping[int, int] | None = None, window: int = DEFAULT_DEDUPE_WINDOW
    ) -> None:
        if window < 1:
            raise ValueError("the tweet-id window must hold at least one id")
        self._positions = dict(positions or {})
        self._recent: deque[int] = deque()
        self._recent_set: set[int] = set()
        self._window = window

    @property
    def positions(self) -> dict[int, int]:
        """A copy of F."""
        return dict(self._positions)

    def covers(self, partition: int) -> bool:
        """Whether a match of firehose ``partition`` has been delivered."""
        return partition in self._positions

    def is_new(self, tweet_id: int, partition: int, offset: int) -> bool:
        """Whether a record of ``tweet_id`` from ``partition``/``offset`` is still to deliver."""
        if offset <= self._positions.get(partition, -1):
            return False
        return tweet_id not in self._recent_set

    def is_new_tweet(self, tweet_id: int) -> bool:
        """Whether ``tweet_id`` was not delivered recently: the only test for a stack
        move's catch-up matches, which arrive after newer ones of their partition."""
        return tweet_id not in self._recent_set

    def delivered(self, tweet_id: int, partition: int, offset: int) -> None:
        """Record that the match of ``tweet_id`` at ``partition``/``offset`` went out."""
        if offset > self._positions.get(partition, -1):
            self._positions[partition] = offset
        if tweet_id in self._recent_set:
            return
        self._recent.append(tweet_id)
        self._recent_set.add(tweet_id)
        if len(self._recent) > self._window:
            self._recent_set.discard(self._recent.popleft())

"""Cursors and the delivered-match bookkeeping, without Kafka."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from powertrack.delivery import (
    Cursor,
    InvalidCursorError,
    InvalidStartError,
    Progress,
    StartAt,
    decode_cursor,
    encode_cursor,
    stream_key,
)

counts = st.integers(min_value=0, max_value=2**53)


@given(
    side=st.sampled_from(["A", "B"]),
    offset=counts,
    matched_at=counts,
    positions=st.dictionaries(st.integers(0, 1023), counts, max_size=64),
)
def test_a_cursor_survives_encoding(
    side: str, offset: int, matched_at: int, positions: dict[int, int]
) -> None:
    cursor = Cursor(stream_key("acme", "prod"), side, offset, matched_at, positions)  # type: ignore[arg-type]
    token = encode_cursor(cursor)
    assert token.isascii()
    assert "=" not in token
    assert "+" not in token
    assert "/" not in token
    assert decode_cursor(token) == cursor


def _token(document: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(document)).decode().rstrip("=")


GOOD = {"v": 1, "k": 7, "s": "A", "o": 3, "t": 1000, "f": [0, 5, 2, 9]}


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not base64!",
        "x" * 20_000,
        base64.urlsafe_b64encode(b"not json").decode(),
        _token([1, 2]),
        _token({**GOOD, "v": 2}),
        _token({**GOOD, "s": "C"}),
        _token({**GOOD, "o": -1}),
        _token({**GOOD, "t": "1000"}),
        _token({**GOOD, "k": True}),
        _token({**GOOD, "f": [0, 5, 2]}),
        _token({**GOOD, "f": [0, 5.5]}),
        _token({key: value for key, value in GOOD.items() if key != "o"}),
    ],
)
def test_a_bad_cursor_is_refused_with_a_message(token: str) -> None:
    with pytest.raises(InvalidCursorError, match="cursor"):
        decode_cursor(token)
    with pytest.raises(InvalidCursorError):
        StartAt.from_cursor(token)


def test_a_good_document_decodes() -> None:
    assert decode_cursor(_token(GOOD)) == Cursor(7, "A", 3, 1000, {0: 5, 2: 9})


def test_the_position_vector_drops_what_was_delivered() -> None:
    progress = Progress({0: 10, 1: 3})
    assert not progress.is_new(1, 0, 10)
    assert not progress.is_new(2, 0, 4)
    assert progress.is_new(3, 0, 11)
    assert progress.is_new(4, 2, 0)
    assert not progress.covers(2)
    progress.delivered(4, 2, 0)
    assert progress.covers(2)
    assert not progress.is_new(4, 2, 0)
    # Same tweet seen through another partition's interleaving: the id catches it.
    assert not progress.is_new(4, 5, 100)
    assert progress.positions == {0: 10, 1: 3, 2: 0}


def test_the_tweet_id_window_forgets_the_oldest() -> None:
    progress = Progress(window=3)
    for tweet_id in range(5):
        progress.delivered(tweet_id, 0, tweet_id)
    assert progress.is_new(0, 1, 0)
    assert progress.is_new(1, 1, 1)
    assert not progress.is_new(2, 1, 2)
    assert not progress.is_new(4, 1, 3)


def test_the_position_never_goes_back() -> None:
    progress = Progress()
    progress.delivered(1, 0, 9)
    progress.delivered(2, 0, 4)
    assert progress.positions == {0: 9}


def _day(day: int) -> datetime:
    return datetime(2024, 1, day, tzinfo=UTC)


@pytest.mark.parametrize(
    "make",
    [
        lambda: StartAt.backfill(0),
        lambda: StartAt.backfill(6),
        lambda: StartAt.time_range(datetime(2024, 1, 1), datetime(2024, 1, 2)),
        lambda: StartAt.time_range(_day(2), _day(1)),
        lambda: StartAt(backfill_minutes=2, start_ms=1),
        lambda: StartAt(end_ms=5),
    ],
)
def test_a_bad_start_is_refused(make: object) -> None:
    with pytest.raises(InvalidStartError):
        make()  # type: ignore[operator]


def test_a_time_range_is_kept_in_ms() -> None:
    start = StartAt.time_range(
        datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, 0, 1, tzinfo=UTC)
    )
    assert start.end_ms is not None
    assert start.start_ms is not None
    assert start.end_ms - start.start_ms == 60_000

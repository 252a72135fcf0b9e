"""MatchSource against the embedded broker: where streams start, cursors, failover."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest

from powertrack.coordination.sides import LocalSideRegistry
from powertrack.delivery import (
    Cursor,
    InvalidCursorError,
    MatchFeed,
    MatchSource,
    SourceOptions,
    StartAt,
    encode_cursor,
    stream_key,
)
from tests.delivery.support import (
    FEED,
    LABEL,
    Match,
    assert_quiet,
    create_topics,
    firehose,
    ids,
    interleave,
    new_account,
    now_ms,
    publish,
    registry,
    rest,
    take,
    with_crash,
)

OPTIONS = SourceOptions(poll_timeout_ms=200)


@asynccontextmanager
async def _source(
    bootstrap: str, account: str, start: StartAt, sides: LocalSideRegistry
) -> AsyncIterator[MatchSource]:
    """A started source on a feed of its own."""
    async with (
        MatchFeed(bootstrap, options=FEED) as feed,
        MatchSource(feed, account, LABEL, start, sides, options=OPTIONS) as source,
    ):
        yield source


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


async def test_live_delivers_only_what_is_published_after_it_starts(
    kafka_bootstrap: str,
) -> None:
    account = new_account()
    topics = await create_topics(kafka_bootstrap, account)
    streams = firehose(2, 6)
    old = interleave([s[:3] for s in streams], seed=1, start_ms=now_ms() - 2_000)
    await publish(kafka_bootstrap, topics["A"], old)
    sides = await registry("A", "B")
    async with _source(kafka_bootstrap, account, StartAt.live(), sides) as source:
        new = interleave([s[3:] for s in streams], seed=2, start_ms=now_ms())
        # The firehose carried the first new tweet twice, on another partition.
        again = Match(new[0].tweet_id, 7, 0, now_ms())
        await publish(kafka_bootstrap, topics["A"], [*new[:4], again, *new[4:]])
        items = await take(source, len(new))
        assert ids(items) == [m.tweet_id for m in new]
        assert source.side == "A"
        assert {item.side for item in items} == {"A"}
        assert items[0].value == b'{"id":%d,"matching_rules":[]}' % new[0].tweet_id
        await assert_quiet(source, 0.5)


async def test_a_stream_waits_for_its_topic(kafka_bootstrap: str) -> None:
    account = new_account()
    sides = await registry("A", "B")
    async with _source(kafka_bootstrap, account, StartAt.live(), sides) as source:
        assert source.side is None
        await assert_quiet(source, 0.3)
        topics = await create_topics(kafka_bootstrap, account)
        await publish(kafka_bootstrap, topics["A"], [Match(9, 0, 0, now_ms())])
        assert ids(await take(source, 1)) == [9]
        assert source.side == "A"


async def test_backfill_starts_minutes_back_then_goes_live(kafka_bootstrap: str) -> None:
    account = new_account()
    topics = await create_topics(kafka_bootstrap, account)
    now = now_ms()
    too_old = [Match(1, 0, 0, now - 400_000), Match(2, 1, 0, now - 190_000)]
    recent = [Match(3, 0, 1, now - 170_000), Match(4, 1, 1, now - 60_000)]
    await publish(kafka_bootstrap, topics["B"], too_old + recent)
    start = StartAt.backfill(3)
    # Side A is down: the stream reads B from the start.
    async with _source(kafka_bootstrap, account, start, await registry("B")) as source:
        assert ids(await take(source, 2)) == [3, 4]
        await publish(kafka_bootstrap, topics["B"], [Match(5, 0, 2, now_ms())])
        assert ids(await take(source, 1)) == [5]
        assert source.count == 3


async def test_a_time_range_ends_with_its_count(kafka_bootstrap: str) -> None:
    account = new_account()
    topics = await create_topics(kafka_bootstrap, account)
    base = now_ms() - 3_600_000
    matches = interleave(firehose(3, 10), seed=3, start_ms=base, step_ms=1_000)
    matches = with_crash(matches, at=15, back=4)
    await publish(kafka_bootstrap, topics["A"], matches)
    start_ms, end_ms = matches[5].matched_at_ms, matches[24].matched_at_ms
    expected = {m.tweet_id for m in matches if start_ms <= m.matched_at_ms <= end_ms}
    start = StartAt.time_range(_at(start_ms), _at(end_ms))
    async with _source(kafka_bootstrap, account, start, await registry("A", "B")) as source:
        items = await rest(source)
        assert len(ids(items)) == len(set(ids(items)))
        assert set(ids(items)) == expected
        assert source.count == len(expected) == 16  # 20 records, 4 of them re-published


async def test_a_cursor_from_the_end_of_a_batch_resumes(kafka_bootstrap: str) -> None:
    # The last record delivered sat at the end of a multi-record batch, and
    # nothing came since: its cursor is at the true end of the topic (Tansu
    # reports an end inside that batch), so resuming waits for what comes next.
    account = new_account()
    topics = await create_topics(kafka_bootstrap, account)
    matches = interleave(firehose(2, 10), seed=9, start_ms=now_ms() - 30_000)
    await publish(kafka_bootstrap, topics["A"], matches[:15], batched=True)
    sides = await registry("A")
    async with _source(kafka_bootstrap, account, StartAt.backfill(1), sides) as source:
        items = await take(source, 15)
    assert items[-1].topic_offset == 14
    resumed = StartAt.from_cursor(items[-1].cursor)
    async with _source(kafka_bootstrap, account, resumed, sides) as source:
        await publish(kafka_bootstrap, topics["A"], matches[15:], batched=True)
        assert ids(await take(source, 5)) == [m.tweet_id for m in matches[15:]]
        await assert_quiet(source, 0.3)


async def test_live_starts_after_the_last_record_of_a_batch(kafka_bootstrap: str) -> None:
    account = new_account()
    topics = await create_topics(kafka_bootstrap, account)
    matches = interleave(firehose(2, 10), seed=10, start_ms=now_ms())
    await publish(kafka_bootstrap, topics["A"], matches[:15], batched=True)
    async with _source(kafka_bootstrap, account, StartAt.live(), await registry("A")) as source:
        await publish(kafka_bootstrap, topics["A"], matches[15:])
        assert ids(await take(source, 5)) == [m.tweet_id for m in matches[15:]]
        await assert_quiet(source, 0.3)


async def test_a_cursor_resumes_on_its_side_with_nothing_lost_or_repeated(
    kafka_bootstrap: str,
) -> None:
    account = new_account()
    topics = await create_topics(kafka_bootstrap, account)
    matches = interleave(firehose(3, 8), seed=4, start_ms=now_ms() - 60_000)
    first, second = matches[:10], matches[10:]
    await publish(kafka_bootstrap, topics["A"], first)
    sides = await registry("A", "B")
    async with _source(kafka_bootstrap, account, StartAt.backfill(2), sides) as source:
        items = await take(source, 7)
    assert ids(items) == [m.tweet_id for m in first[:7]]
    # A node crashed after the cursor's record and re-published from before it.
    await publish(kafka_bootstrap, topics["A"], first[4:] + second)
    resumed = StartAt.from_cursor(items[-1].cursor)
    async with _source(kafka_bootstrap, account, resumed, sides) as source:
        again = await take(source, len(matches) - 7)
        assert ids(again) == [m.tweet_id for m in matches[7:]]
        await assert_quiet(source, 0.5)


async def test_a_cursor_resumes_on_the_other_side_when_its_side_is_down(
    kafka_bootstrap: str,
) -> None:
    account = new_account()
    topics = await create_topics(kafka_bootstrap, account)
    streams = firehose(4, 8)
    start_ms = now_ms() - 60_000
    on_a = interleave(streams, seed=5, start_ms=start_ms)
    on_b = with_crash(interleave(streams, seed=6, start_ms=start_ms + 300), at=20, back=6)
    await publish(kafka_bootstrap, topics["A"], on_a[:18])
    await publish(kafka_bootstrap, topics["B"], on_b)
    async with _source(
        kafka_bootstrap, account, StartAt.backfill(2), await registry("A", "B")
    ) as source:
        before = await take(source, 12)
    assert {item.side for item in before} == {"A"}
    resumed = StartAt.from_cursor(before[-1].cursor)
    async with _source(kafka_bootstrap, account, resumed, await registry("B")) as source:
        after = await take(source, 32 - 12)
        assert source.side == "B"
        await assert_quiet(source, 0.5)
    delivered = ids(before) + ids(after)
    assert sorted(delivered) == sorted(m.tweet_id for m in on_a)


async def test_failover_mid_stream_has_no_gap_and_no_duplicate(kafka_bootstrap: str) -> None:
    account = new_account()
    topics = await create_topics(kafka_bootstrap, account)
    streams = firehose(4, 10)
    start_ms = now_ms() - 30_000
    # Side A dies after publishing 25 matches (one crash on the way); B has all,
    # in its own order, with a crash of its own, and goes on after the failover.
    on_a = with_crash(interleave(streams, seed=7, start_ms=start_ms), at=12, back=5)
    on_b = with_crash(interleave(streams, seed=8, start_ms=start_ms - 200), at=30, back=8)
    await publish(kafka_bootstrap, topics["A"], on_a[:25])
    await publish(kafka_bootstrap, topics["B"], on_b[:35])
    sides = await registry("A", "B")
    async with _source(kafka_bootstrap, account, StartAt.backfill(1), sides) as source:
        before = await take(source, 15)
        assert {item.side for item in before} == {"A"}
        await sides.deregister("A", "node-A")
        after = await take(source, 5)
        await publish(kafka_bootstrap, topics["B"], on_b[35:])
        after += await take(source, 40 - 15 - 5)
        assert source.side == "B"
        await assert_quiet(source, 0.5)
        last = after[-1].cursor
    # What A had published before it was seen down may still come from A.
    read_from = [item.side for item in before + after]
    assert read_from == sorted(read_from)
    assert set(read_from[-20:]) == {"B"}
    delivered = ids(before) + ids(after)
    assert len(delivered) == len(set(delivered)) == 40
    assert set(delivered) == {tweet_id for s in streams for tweet_id, _, _ in s}
    # Within each firehose partition the client sees firehose order.
    for partition in range(4):
        offsets = [i.firehose_offset for i in before + after if i.firehose_partition == partition]
        assert offsets == sorted(offsets)
    assert last is not None


async def test_catch_up_matches_arriving_after_newer_ones_are_delivered(
    kafka_bootstrap: str,
) -> None:
    # A stack move: the new stack's main loop publishes partition 0 from offset
    # 10, then its catch-up publishes offsets 5 to 9 (the range between the old
    # stack's cut and the new stack's start), behind the newer matches.
    account = new_account()
    topics = await create_topics(kafka_bootstrap, account)
    sides = await registry("A")
    start = now_ms()
    live = [Match(1000 + offset, 0, offset, start + offset) for offset in range(10, 14)]
    caught_up = [
        Match(2000 + offset, 0, offset, start + 20 + offset, catch_up=True)
        for offset in range(5, 10)
    ]
    async with _source(kafka_bootstrap, account, StartAt.live(), sides) as source:
        # A catch-up match the live loop already delivered is still dropped.
        again = Match(live[0].tweet_id, 0, 7, start + 40, catch_up=True)
        await publish(kafka_bootstrap, topics["A"], [*live, *caught_up, again])
        items = await take(source, len(live) + len(caught_up))
        assert ids(items) == [m.tweet_id for m in [*live, *caught_up]]
        await assert_quiet(source, 0.5)


async def test_a_cursor_of_another_stream_or_past_the_end_is_refused(
    kafka_bootstrap: str,
) -> None:
    account = new_account()
    topics = await create_topics(kafka_bootstrap, account)
    await publish(kafka_bootstrap, topics["A"], [Match(1, 0, 0, now_ms())])
    other = encode_cursor(Cursor(stream_key("someone", "else"), "A", 0, now_ms()))
    async with MatchFeed(kafka_bootstrap, options=FEED) as feed:
        sides = await registry("A")
        with pytest.raises(InvalidCursorError, match="another stream"):
            MatchSource(feed, account, LABEL, StartAt.from_cursor(other), sides)
        ahead = encode_cursor(Cursor(stream_key(account, LABEL), "A", 5, now_ms()))
        source = MatchSource(feed, account, LABEL, StartAt.from_cursor(ahead), sides)
        with pytest.raises(InvalidCursorError, match="ahead"):
            await source.start()
        await source.close()

"""Replaying a file of tweets: pass-through, malformed lines, rewriting, loops, pacing."""

from __future__ import annotations

import asyncio
import copy
import io
import os
import random
import threading
from pathlib import Path
from typing import Any

import orjson
import pytest

from powertrack.firehose.replay import Pacer, _plain_id, replay
from powertrack.firehose.sink import ListTweetSink
from powertrack.firehose.synthetic import SyntheticTweets, to_v2
from powertrack.firehose.v2 import iso_time, snowflake_ms
from powertrack.samples import sample_tweets_path
from powertrack.store.ids import RuleIdGenerator
from powertrack.tweets.model import Tweet
from tests.firehose.fakes import FakeClock

NOW_MS = 1_767_225_600_123  # 2026-01-01T00:00:00.123Z


class SlowSink(ListTweetSink):
    """A sink each send of which takes ``cost`` seconds of fake time."""

    def __init__(self, clock: FakeClock, cost: float) -> None:
        super().__init__()
        self.clock = clock
        self.cost = cost

    async def send(self, tweet_id: int, raw: bytes) -> None:
        self.clock.now += self.cost
        await super().send(tweet_id, raw)


def _write(path: Path, tweets: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(tweet) + b"\n" for tweet in tweets))
    return path


@pytest.fixture(scope="module")
def tweets() -> list[dict[str, Any]]:
    """A few tweets of every kind; read-only (they share nested objects)."""
    return SyntheticTweets(7, users=300).take(5)


async def test_tweets_are_sent_as_read_and_keyed_by_id() -> None:
    source = sample_tweets_path()
    sink = ListTweetSink()
    counts = await replay(source, sink)
    lines = [line for line in source.read_bytes().splitlines() if line.strip()]
    assert (counts.sent, counts.skipped, counts.passes) == (len(lines), 0, 1)
    assert [raw for _, raw in sink.sent] == lines
    assert [key for key, _ in sink.sent] == [int(Tweet.from_json(line).id) for line in lines]


async def test_malformed_lines_are_skipped_and_reported_with_their_line_number(
    tmp_path: Path, tweets: list[dict[str, Any]]
) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(
        b"\n".join(
            [
                orjson.dumps(tweets[0]),
                b"{not json",
                b"",
                b"[1, 2]",
                b'{"delete": {"status": {"id": 1}}}',
                orjson.dumps(tweets[1]),
            ]
        )
    )
    errors = io.StringIO()
    sink = ListTweetSink()
    counts = await replay(path, sink, errors=errors)
    assert (counts.sent, counts.skipped) == (2, 3)
    report = errors.getvalue().splitlines()
    assert [line.split(": skipped")[0] for line in report] == [
        f"{path}:2",
        f"{path}:4",
        f"{path}:5",
    ]
    assert "not JSON" in report[0]
    assert "delete" in report[2]


async def test_timestamps_are_rewritten_to_now_and_ids_kept(
    tmp_path: Path, tweets: list[dict[str, Any]]
) -> None:
    path = _write(tmp_path / "t.jsonl", tweets)
    sink = ListTweetSink()
    await replay(path, sink, rewrite_timestamps=True, wall_ms=lambda: NOW_MS)
    for original, sent in zip(tweets, sink.tweets(), strict=True):
        assert sent["id_str"] == original["id_str"]
        assert sent["created_at"] == "Thu Jan 01 00:00:00 +0000 2026"
        assert sent["timestamp_ms"] == str(NOW_MS)
        assert sent["text"] == original["text"]
        assert Tweet.from_json(sent).created_at_ms == NOW_MS


async def test_fresh_ids_are_increasing_and_agree_with_the_new_time(
    tmp_path: Path, tweets: list[dict[str, Any]]
) -> None:
    path = _write(tmp_path / "t.jsonl", tweets)
    sink = ListTweetSink()
    await replay(path, sink, new_ids=True, rewrite_timestamps=True, ids=RuleIdGenerator(3))
    keys = [key for key, _ in sink.sent]
    assert keys == sorted(set(keys))
    assert not set(keys) & {tweet["id"] for tweet in tweets}
    for key, sent in zip(keys, sink.tweets(), strict=True):
        assert sent["id"] == key
        assert sent["id_str"] == str(key)
        assert Tweet.from_json(sent).created_at_ms == snowflake_ms(key)


async def test_v2_messages_are_renumbered_and_restamped(
    tmp_path: Path, tweets: list[dict[str, Any]]
) -> None:
    messages = [to_v2(tweet) for tweet in tweets]
    bare = messages[0]["data"]  # a v2 tweet object without the stream's wrapper
    path = _write(tmp_path / "v2.jsonl", [*messages, bare])
    sink = ListTweetSink()
    counts = await replay(path, sink, new_ids=True, rewrite_timestamps=True)
    assert counts.sent == len(messages) + 1
    for key, sent in zip([k for k, _ in sink.sent], sink.tweets(), strict=True):
        data = sent.get("data", sent)
        assert data["id"] == str(key)
        assert data["edit_history_tweet_ids"] == [str(key)]
        assert data["created_at"] == iso_time(snowflake_ms(key) // 1000 * 1000)
        if "in_reply_to_user_id" not in data:
            assert data["conversation_id"] == str(key)
        assert Tweet.from_json(sent).id == str(key)


async def test_loop_renumbers_every_pass_and_stops_at_the_limit(
    tmp_path: Path, tweets: list[dict[str, Any]]
) -> None:
    path = _write(tmp_path / "t.jsonl", tweets[:3])
    sink = ListTweetSink()
    counts = await replay(path, sink, loop=True, limit=7)
    assert (counts.sent, counts.passes) == (7, 3)
    keys = [key for key, _ in sink.sent]
    assert len(set(keys)) == 7
    texts = [tweet["text"] for tweet in sink.tweets()]
    assert texts == [tweet["text"] for tweet in tweets[:3]] * 2 + [tweets[0]["text"]]


async def test_loop_over_a_file_without_tweets_ends(tmp_path: Path) -> None:
    path = tmp_path / "junk.jsonl"
    path.write_bytes(b"nope\n{}\n")
    errors = io.StringIO()
    counts = await replay(path, ListTweetSink(), loop=True, errors=errors)
    assert (counts.sent, counts.skipped, counts.passes) == (0, 2, 1)
    assert len(errors.getvalue().splitlines()) == 2


async def test_pacing_follows_a_schedule_that_does_not_drift(
    tmp_path: Path, tweets: list[dict[str, Any]]
) -> None:
    path = _write(tmp_path / "t.jsonl", tweets)
    clock = FakeClock()
    # Each send costs a fifth of the interval; a sleep-per-tweet pacer would
    # take 20% longer, a schedule absorbs it.
    sink = SlowSink(clock, cost=0.02)
    start = clock.now
    counts = await replay(
        path, sink, rate=10.0, loop=True, limit=41, clock=clock, sleep=clock.sleep
    )
    assert counts.sent == 41
    # 41 tweets, 40 intervals of 0.1 s, the last send's cost on top.
    assert clock.now - start == pytest.approx(4.0 + 0.02, abs=0.01)


async def test_pacer_restarts_its_schedule_after_a_long_stall() -> None:
    clock = FakeClock()
    pacer = Pacer(100.0, clock=clock, sleep=clock.sleep)
    await pacer.wait()
    clock.now += 0.5  # behind, but within the catch-up allowance
    for _ in range(5):
        await pacer.wait()
    assert clock.slept == []
    clock.now += 10.0  # a stall: no burst of 1,000 catch-up tweets
    await pacer.wait()
    await pacer.wait()
    assert clock.slept == [pytest.approx(0.01)]


def test_a_pacer_needs_a_positive_rate() -> None:
    with pytest.raises(ValueError, match="positive"):
        Pacer(0)


async def test_a_pipe_is_read_without_blocking_the_event_loop(
    tweets: list[dict[str, Any]],
) -> None:
    read_end, write_end = os.pipe()
    lines = [orjson.dumps(tweet) + b"\n" for tweet in tweets]

    def write_slowly() -> None:
        with os.fdopen(write_end, "wb", buffering=0) as pipe:
            for line in lines:
                pipe.write(line)
                threading.Event().wait(0.01)

    writer = threading.Thread(target=write_slowly)
    writer.start()
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.001)

    ticker = asyncio.create_task(tick())
    sink = ListTweetSink()
    with os.fdopen(read_end, "rb") as stream:
        counts = await replay(stream, sink)
    ticker.cancel()
    writer.join()
    assert counts.sent == len(tweets)
    assert [raw + b"\n" for _, raw in sink.sent] == lines
    assert ticks > len(tweets)


async def test_loop_needs_a_source_that_can_be_read_again() -> None:
    read_end, write_end = os.pipe()
    os.close(write_end)
    with os.fdopen(read_end, "rb") as stream, pytest.raises(ValueError, match="pipe"):
        await replay(stream, ListTweetSink(), loop=True)


async def test_a_seekable_stream_can_loop(tweets: list[dict[str, Any]]) -> None:
    stream = io.BytesIO(b"\n".join(orjson.dumps(tweet) for tweet in tweets[:2]))
    counts = await replay(stream, ListTweetSink(), loop=True, limit=5)
    assert (counts.sent, counts.passes) == (5, 3)


async def test_stop_ends_the_replay_and_flushes(
    tmp_path: Path, tweets: list[dict[str, Any]]
) -> None:
    path = _write(tmp_path / "t.jsonl", tweets)
    stop = asyncio.Event()

    class StoppingSink(ListTweetSink):
        async def send(self, tweet_id: int, raw: bytes) -> None:
            await super().send(tweet_id, raw)
            if len(self.pending) == 2:
                stop.set()

    sink = StoppingSink()
    counts = await replay(path, sink, loop=True, stop=stop)
    assert counts.sent == 2
    assert len(sink.sent) == 2
    assert sink.pending == []


_ODD_VALUES: list[Any] = [None, 7, -1, 1.5, "12", "x1", "", "١٢", [], {}, {"$numberLong": "5"}]
_ODD_VALUES += [True, {"full_text": "t"}, {"full_text": 3}]
_FIELDS: tuple[str, ...] = ("id_str", "id", "text", "full_text", "extended_tweet", "user")
_FIELDS += ("delete", "data", "note_tweet", "author_id", "edit_history_tweet_ids")
_FIELDS += ("dm_conversation_id",)


def test_the_id_read_directly_is_the_one_the_parser_gives() -> None:
    # The replay reads the id of a usual tweet without a Tweet.from_json; it
    # must answer only where the parser accepts the tweet, and with its id.
    rng = random.Random(5)
    answered = 0
    lines = sample_tweets_path().read_bytes().splitlines()[:200]
    lines += [orjson.dumps(to_v2(tweet)) for tweet in SyntheticTweets(4).take(100)]
    for line in lines:
        for _ in range(8):
            obj = orjson.loads(line)
            target = obj["data"] if type(obj.get("data")) is dict and rng.random() < 0.8 else obj
            for _ in range(rng.randint(0, 2)):
                name = rng.choice(_FIELDS)
                if rng.random() < 0.3:
                    target.pop(name, None)
                else:
                    target[name] = copy.deepcopy(rng.choice(_ODD_VALUES))
            quick = _plain_id(copy.deepcopy(obj))
            if quick is None:
                continue
            answered += 1
            assert quick == int(Tweet.from_json(obj).id)
    assert answered > 1000

"""Generating synthetic tweets onto the firehose: fresh ids and times, formats, pacing."""

from __future__ import annotations

import asyncio

import pytest

from powertrack.firehose.generate import generate
from powertrack.firehose.sink import ListTweetSink
from powertrack.firehose.v2 import iso_time, snowflake_ms
from powertrack.store.ids import RuleIdGenerator, split_rule_id, wall_clock_ms
from powertrack.tweets.model import Tweet
from tests.firehose.fakes import FakeClock


async def test_tweets_get_fresh_increasing_ids_and_the_time_of_their_id() -> None:
    sink = ListTweetSink()
    before = wall_clock_ms()
    sent = await generate(sink, ids=RuleIdGenerator(9), rate=None, limit=400, seed=1, users=300)
    assert sent == 400
    keys = [key for key, _ in sink.sent]
    assert keys == sorted(set(keys))
    assert {split_rule_id(key).worker_id for key in keys} == {9}
    assert split_rule_id(keys[0]).unix_ms >= before
    for key, tweet in zip(keys, sink.tweets(), strict=True):
        parsed = Tweet.from_json(tweet)
        assert parsed.id == str(key)
        assert parsed.created_at_ms == snowflake_ms(key)


async def test_replies_answer_tweets_that_were_sent() -> None:
    sink = ListTweetSink()
    await generate(sink, ids=RuleIdGenerator(1), rate=None, limit=1500, seed=2, users=300)
    sent_ids = {key for key, _ in sink.sent}
    replies = [t for t in sink.tweets() if t["in_reply_to_status_id"] is not None]
    assert len(replies) > 50
    answered = [t for t in replies if t["in_reply_to_status_id"] in sent_ids]
    # The first replies may answer roots older than the run; later ones may not.
    assert len(answered) >= len(replies) * 0.9
    for reply in answered:
        assert reply["in_reply_to_status_id_str"] == str(reply["in_reply_to_status_id"])
        assert reply["in_reply_to_status_id"] < reply["id"]


async def test_v2_format_sends_filtered_stream_messages() -> None:
    sink = ListTweetSink()
    await generate(
        sink, ids=RuleIdGenerator(2), rate=None, limit=50, seed=3, users=300, tweet_format="v2"
    )
    for key, message in zip([k for k, _ in sink.sent], sink.tweets(), strict=True):
        assert message["data"]["id"] == str(key)
        assert message["data"]["created_at"] == iso_time(snowflake_ms(key) // 1000 * 1000)
        assert message["includes"]["users"]
        assert Tweet.from_json(message).id == str(key)


async def test_the_same_seed_gives_the_same_texts() -> None:
    runs = []
    for worker in (1, 2):
        sink = ListTweetSink()
        await generate(sink, ids=RuleIdGenerator(worker), rate=None, limit=30, seed=4, users=300)
        runs.append([tweet["text"] for tweet in sink.tweets()])
    assert runs[0] == runs[1]


async def test_generation_is_paced_and_stops_on_request() -> None:
    clock = FakeClock()
    stop = asyncio.Event()

    class StoppingSink(ListTweetSink):
        async def send(self, tweet_id: int, raw: bytes) -> None:
            await super().send(tweet_id, raw)
            if len(self.pending) == 21:
                stop.set()

    sink = StoppingSink()
    start = clock.now
    sent = await generate(
        sink,
        ids=RuleIdGenerator(0),
        rate=20.0,
        seed=5,
        users=300,
        stop=stop,
        clock=clock,
        sleep=clock.sleep,
    )
    assert sent == 21
    assert len(sink.sent) == 21
    assert clock.now - start == pytest.approx(1.0)


async def test_a_negative_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="limit"):
        await generate(ListTweetSink(), ids=RuleIdGenerator(0), rate=None, limit=-1)

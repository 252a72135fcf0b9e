"""Produce synthetic tweets onto the firehose at a steady rate.

Tweets come from :class:`~powertrack.firehose.synthetic.SyntheticTweets`
(Zipf vocabulary, languages, mentions, hashtags, links, media, retweets,
quotes, replies, geo) and are stamped as if posted now: each gets a fresh
snowflake id and a ``created_at`` equal to that id's time. Replies are
pointed at the fresh id of the tweet they answer while it is recent enough
to be remembered, so conversations hold together downstream.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Literal

import orjson

from powertrack.firehose._people import twitter_time
from powertrack.firehose.replay import Pacer, Sleep
from powertrack.firehose.sink import TweetSink
from powertrack.firehose.synthetic import Mix, SyntheticTweets, to_v2
from powertrack.firehose.v2 import snowflake_ms
from powertrack.store.ids import RuleIdGenerator, wall_clock_ms

__all__ = ["TweetFormat", "generate"]

TweetFormat = Literal["v1.1", "v2"]

# The synthetic stream answers one of its 500 most recent thread roots, which
# lie within roughly the last 1,100 tweets; remember comfortably more.
_REMEMBERED_IDS = 4096


async def generate(
    sink: TweetSink,
    *,
    ids: RuleIdGenerator,
    rate: float | None,
    limit: int | None = None,
    seed: int | None = None,
    tweet_format: TweetFormat = "v1.1",
    mix: Mix | None = None,
    users: int = 5000,
    stop: asyncio.Event | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    wall_ms: Callable[[], int] = wall_clock_ms,
) -> int:
    """Send synthetic tweets to ``sink``; return how many were sent.

    ``rate`` is tweets per second (None: as fast as the sink takes them).
    Runs until ``limit`` tweets are sent or ``stop`` is set; flushes the sink
    before returning. ``seed`` fixes the texts and authors (random when None);
    ids and times always come from ``ids`` and the clock.
    """
    if limit is not None and limit < 0:
        raise ValueError(f"limit must not be negative, not {limit}")
    if seed is None:
        seed = random.randrange(1 << 32)
    # Simulated time starts now so that retweeted and quoted originals are a
    # little older than the tweets embedding them, as on the real stream.
    source = SyntheticTweets(
        seed, users=users, mix=mix, start_ms=wall_ms(), tweets_per_second=rate or 1000.0
    )
    pacer = Pacer(rate, clock=clock, sleep=sleep) if rate is not None else None
    fresh: OrderedDict[int, int] = OrderedDict()
    sent = 0
    while (limit is None or sent < limit) and not (stop is not None and stop.is_set()):
        tweet = source.next_tweet()
        tweet_id = _restamp(tweet, ids.next_id(), fresh)
        raw = orjson.dumps(to_v2(tweet) if tweet_format == "v2" else tweet)
        if pacer is not None:
            await pacer.wait()
        await sink.send(tweet_id, raw)
        sent += 1
    await sink.flush()
    return sent


def _restamp(tweet: dict[str, Any], new_id: int, fresh: OrderedDict[int, int]) -> int:
    """Give ``tweet`` its new id and time, and remember the id it replaced."""
    fresh[tweet["id"]] = new_id
    if len(fresh) > _REMEMBERED_IDS:
        fresh.popitem(last=False)
    # Only top-level keys change: nested objects are shared with other tweets.
    tweet["id"] = new_id
    tweet["id_str"] = str(new_id)
    ms = snowflake_ms(new_id)
    tweet["created_at"] = twitter_time(ms // 1000)
    tweet["timestamp_ms"] = str(ms)
    parent = fresh.get(tweet["in_reply_to_status_id"] or 0)
    if parent is not None:
        tweet["in_reply_to_status_id"] = parent
        tweet["in_reply_to_status_id_str"] = str(parent)
    return new_id

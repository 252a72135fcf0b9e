"""Every real tweet of the shared corpora parses, and the result holds together.

The corpora live beside the repository (``../shared/data``, see SOURCES.md):
13,954 v1.1 statuses and 1,177 v2 filtered-stream messages. The v2 file holds
one direct-message event, which is not a tweet and is the only line rejected.
"""

from __future__ import annotations

import copy
import random
from collections import Counter
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from powertrack.tweets.errors import TweetFormatError
from powertrack.tweets.model import Tweet
from tests.tweets import corpus

MEDIA_TYPES = {"photo", "video", "animated_gif"}
# 2006-03-21 (the first tweet) to 2030: catches seconds-for-milliseconds slips.
FIRST_TWEET_MS, YEAR_2030_MS = 1142899200000, 1893456000000


def _parse_all(lines: list[bytes]) -> tuple[list[Tweet], Counter[str]]:
    tweets: list[Tweet] = []
    rejected: Counter[str] = Counter()
    for line in lines:
        try:
            tweets.append(Tweet.from_json(line))
        except TweetFormatError as error:
            rejected[str(error)] += 1
    return tweets, rejected


@pytest.fixture(scope="module")
def v11() -> list[Tweet]:
    lines = corpus.lines("tweets-v11.jsonl.gz")
    tweets, rejected = _parse_all(lines)
    assert not rejected
    assert len(tweets) == len(lines) == 13954
    return tweets


@pytest.fixture(scope="module")
def v2() -> list[Tweet]:
    lines = corpus.lines("tweets-v2.jsonl.gz")
    tweets, rejected = _parse_all(lines)
    assert rejected == Counter({"data: a direct-message event, not a tweet": 1})
    assert len(tweets) == len(lines) - 1 == 1176
    return tweets


def _with_nested(tweets: list[Tweet]) -> Iterator[Tweet]:
    for tweet in tweets:
        yield tweet
        for inner in (tweet.retweeted, tweet.quoted):
            if inner is not None:
                yield from _with_nested([inner])


def _check_invariants(tweets: list[Tweet]) -> None:
    for tweet in _with_nested(tweets):
        assert tweet.id.isdigit()
        assert tweet.author.id == "" or tweet.author.id.isdigit()
        assert tweet.created_at_ms is None or FIRST_TWEET_MS < tweet.created_at_ms < YEAR_2030_MS
        for status_id in (tweet.in_reply_to_status_id, tweet.in_reply_to_user_id):
            assert status_id is None or status_id.isdigit()
        assert all(tag and not tag.isdigit() for tag in tweet.hashtags)
        assert all(mention.screen_name for mention in tweet.mentions)
        assert all(mention.id == "" or mention.id.isdigit() for mention in tweet.mentions)
        assert all(item.type in MEDIA_TYPES for item in tweet.media)
        assert all(url.url or url.expanded_url for url in tweet.urls)
        if tweet.point is not None:
            lon, lat = tweet.point
            assert -180 <= lon <= 180
            assert -90 <= lat <= 90
        if tweet.place is not None and tweet.place.bbox is not None:
            west, south, east, north = tweet.place.bbox
            assert west <= east
            assert south <= north
        if tweet.quoted is not None:
            assert tweet.is_quote
    for tweet in tweets:
        # Stubs of originals missing from v2 includes are the only empty texts.
        assert tweet.text
        if tweet.retweeted is not None and tweet.retweeted.text:
            assert tweet.text == tweet.retweeted.text
            assert set(tweet.retweeted.hashtags) <= set(tweet.hashtags)


def _counts(tweets: list[Tweet]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for tweet in tweets:
        counts["hashtags"] += bool(tweet.hashtags)
        counts["mentions"] += bool(tweet.mentions)
        counts["symbols"] += bool(tweet.symbols)
        counts["urls"] += bool(tweet.urls)
        counts["media"] += bool(tweet.media)
        counts["videos"] += any(item.type != "photo" for item in tweet.media)
        counts["place"] += tweet.place is not None
        counts["point"] += tweet.point is not None
        counts["retweets"] += tweet.retweeted is not None
        counts["quotes"] += tweet.quoted is not None
        counts["retweeted quotes"] += tweet.retweeted is not None and tweet.quoted is not None
        counts["replies"] += tweet.in_reply_to_status_id is not None
        counts["verified"] += tweet.author.verified
        counts["lang"] += tweet.lang is not None
        counts["source"] += bool(tweet.source)
    return counts


def test_v11_corpus_parses_and_holds_together(v11: list[Tweet]) -> None:
    _check_invariants(v11)
    counts = _counts(v11)
    assert all(counts[name] > 0 for name in _counts([]) | counts), counts
    assert counts["retweets"] == 2063
    assert counts["place"] == 344
    assert counts["point"] == 173
    assert sum(tweet.nullcast for tweet in v11) == 1
    assert all(tweet.conversation_id is None for tweet in v11)
    assert all("<" not in tweet.source for tweet in v11)


def test_v2_corpus_parses_and_holds_together(v2: list[Tweet]) -> None:
    _check_invariants(v2)
    counts = _counts(v2)
    expected = set(_counts([]) | counts) - {"retweeted quotes"}
    assert all(counts[name] > 0 for name in expected), counts
    assert counts["retweets"] == 640
    assert sum(tweet.conversation_id is not None for tweet in v2) > 0
    assert sum(tweet.author.screen_name != "" for tweet in v2) > 1100


def test_bytes_and_dicts_give_the_same_tweets() -> None:
    for name in ("tweets-v11.jsonl.gz", "tweets-v2.jsonl.gz"):
        for line in corpus.lines(name)[::97]:
            document = orjson.loads(line)
            if "dm_conversation_id" not in document.get("data", {}):
                assert Tweet.from_json(line) == Tweet.from_json(document)


_JUNK: tuple[Any, ...] = (None, 0, -1, 1.5, True, "", "x", "12", [], [1], {}, {"a": 1}, [{}])


def test_damaged_corpus_tweets_are_refused_only_without_an_id_or_a_text() -> None:
    chance = random.Random(20240601)
    documents = [
        (orjson.loads(line), name == corpus.V2)
        for name in (corpus.V11, corpus.V2)
        for line in chance.sample(corpus.lines(name), 100)
    ]
    outcomes: Counter[str] = Counter()
    for _ in range(3000):
        original, v2 = chance.choice(documents)
        document = copy.deepcopy(original)
        path = chance.choice(list(corpus.paths(document))[1:])
        junk = copy.deepcopy(chance.choice(_JUNK))
        corpus.put(document, path, corpus.DELETE if chance.random() < 0.2 else junk)
        # Anything but TweetFormatError (KeyError, TypeError...) fails the test.
        try:
            Tweet.from_json(document)
        except TweetFormatError:
            outcomes["refused"] += 1
            assert not corpus.has_id_and_text(document, v2), path
        else:
            outcomes["read"] += 1
            assert corpus.has_id_and_text(document, v2), path
    # Most damage lands on optional fields; some takes the id or the text.
    assert outcomes["read"] > outcomes["refused"] > 0, outcomes

"""From a firehose record to the match records a stack publishes for it.

Shared by a node's main loop and its catch-ups (filter/handoff.py), so that a
match published by either carries the same value and headers.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import orjson

from powertrack.broker.producer import key_hash
from powertrack.filter.stack import StackView
from powertrack.matches import (
    Headers,
    MatchedRule,
    MatchTemplate,
    match_headers,
    tweet_format,
)
from powertrack.metrics import IGNORED_FIELDS
from powertrack.tweets.errors import TweetFormatError, describe
from powertrack.tweets.model import Tweet

__all__ = ["Publish", "match_publishes", "match_streams", "parse_tweet"]

Record = Any
"""An aiokafka consumer record, untyped."""


@dataclass(slots=True)
class Publish:
    """One record to publish for the firehose message at ``partition``/``offset``."""

    topic: str
    value: bytes
    key: bytes | None
    headers: Headers
    partition: int
    offset: int
    match: bool
    """False for a dead letter."""
    attempts: int = 0
    key_hash: int | None = None
    """``broker.producer.key_hash(key)``, where known: one per tweet, not per record."""


def parse_tweet(raw: bytes | None) -> tuple[dict[str, Any], Tweet]:
    """The decoded JSON and the tweet of a firehose message; ``TweetFormatError`` if
    it is not a tweet. Decoded once: the document also tells the tweet's format.

    The fields the tweet was read without are counted in
    ``powertrack_tweet_fields_ignored_total`` (metrics.IGNORED_FIELDS)."""
    if raw is None:
        raise TweetFormatError("not a tweet: an empty message")
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise TweetFormatError(f"not JSON: {exc}") from None
    if type(document) is not dict:
        raise TweetFormatError(f"not a tweet: expected a JSON object, got {describe(document)}")
    ignored: list[str] = []
    tweet = Tweet.from_json(document, ignored)
    if ignored:
        IGNORED_FIELDS.count(ignored)
    return document, tweet


def match_streams(rules: StackView, tweet: Tweet) -> dict[int, list[MatchedRule]]:
    """The view's streams the tweet matches, each with its matching rules."""
    by_stream: dict[int, list[MatchedRule]] = defaultdict(list)
    for rule_id in rules.index.match(tweet):
        info = rules.sync.rule_info(rule_id)
        # None: a rule deleted while this tweet was matched.
        if info is not None and info.stream_id in rules.topics:
            by_stream[info.stream_id].append(MatchedRule(rule_id, info.tag))
    return by_stream


def match_publishes(
    rules: StackView,
    record: Record,
    document: dict[str, Any],
    tweet: Tweet,
    by_stream: dict[int, list[MatchedRule]],
    *,
    catch_up: bool = False,
) -> list[Publish]:
    """One match record per stream of ``by_stream``, to the stream's topic."""
    if not by_stream:
        return []
    partition, offset = record.partition, record.offset
    fmt = tweet_format(document)
    headers = match_headers(
        tweet.id, partition, offset, time.time_ns() // 1_000_000, catch_up=catch_up
    )
    key = tweet.id.encode("utf-8")
    hashed = key_hash(key)
    template = MatchTemplate(record.value, fmt)
    return [
        Publish(
            rules.topics[stream_id],
            template.record(matched),
            key,
            headers,
            partition,
            offset,
            True,
            0,
            hashed,
        )
        for stream_id, matched in by_stream.items()
    ]

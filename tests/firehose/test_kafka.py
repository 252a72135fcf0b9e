"""Integration: tweets replayed and posted onto a real Kafka-protocol broker, read back."""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson
from aiokafka import (  # type: ignore[import-untyped, unused-ignore]
    AIOKafkaConsumer,
    TopicPartition,
)

from powertrack.broker import KafkaBroker
from powertrack.firehose.posted import TweetPoster
from powertrack.firehose.replay import replay
from powertrack.firehose.sink import firehose_sink, tweet_key
from powertrack.samples import sample_tweets_path
from powertrack.store.ids import RuleIdGenerator
from powertrack.tweets.model import Tweet

PARTITIONS = 4
SAMPLE = 200


async def _read_all(bootstrap: str, topic: str, count: int) -> list[Any]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        records: list[Any] = []
        for _ in range(100):
            batches = await consumer.getmany(timeout_ms=200)
            records.extend(itertools.chain.from_iterable(batches.values()))
            if len(records) >= count:
                break
        return records
    finally:
        await consumer.stop()


async def test_tweets_reach_the_topic_keyed_by_id_on_a_stable_partition(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    topic = f"firehose-test-{uuid.uuid4().hex[:12]}"
    path = tmp_path / "sample.jsonl"
    path.write_bytes(b"".join(sample_tweets_path().read_bytes().splitlines(True)[:SAMPLE]))
    broker = KafkaBroker(kafka_bootstrap)
    await broker.start()
    try:
        async with firehose_sink(broker, topic, partitions=PARTITIONS) as sink:
            # Twice with the same ids: every copy of a tweet must share a partition.
            for _ in range(2):
                counts = await replay(path, sink)
                assert counts.sent == SAMPLE
            posted = await TweetPoster(sink, RuleIdGenerator(1)).post("live #now")
    finally:
        await broker.stop()

    records = await _read_all(kafka_bootstrap, topic, 2 * SAMPLE + 1)
    assert len(records) == 2 * SAMPLE + 1
    partitions: dict[bytes, set[int]] = defaultdict(set)
    for record in records:
        tweet = Tweet.from_json(record.value)
        assert record.key == tweet_key(int(tweet.id))
        partitions[record.key].add(record.partition)
    assert len(partitions) == SAMPLE + 1
    assert all(len(found) == 1 for found in partitions.values())
    assert len(set().union(*partitions.values())) > 1  # keys spread over partitions
    [live] = [r for r in records if r.key == tweet_key(posted["id"])]
    assert orjson.loads(live.value) == posted

"""Two filter nodes of one side and stack share the firehose as one consumer group."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from powertrack.broker import Broker, TopicSpec
from powertrack.store import SQLiteRuleStore
from tests.filter.pipeline import (
    FIREHOSE_PARTITIONS,
    Deployment,
    consumed,
    deploy,
    produce,
    read_topic,
    received,
    running,
    sample_tweets,
    wait_for,
)

ALL_PARTITIONS = frozenset(range(FIREHOSE_PARTITIONS))


async def _feed(broker: Broker, deployment: Deployment, tweets: Sequence[bytes]) -> None:
    for start in range(0, len(tweets), 100):
        await produce(broker, deployment.firehose, tweets[start : start + 100])
        await asyncio.sleep(0.1)


async def test_two_nodes_share_the_firehose_and_one_takes_over_when_the_other_stops(
    broker: Broker, tmp_path: Path
) -> None:
    store = SQLiteRuleStore(tmp_path / "rules.db")
    deployment = await deploy(store)
    tweets = sample_tweets(1500)
    streams = deployment.on_stack("main")
    expected = {stream.id: stream.expected(tweets) for stream in streams}
    assert all(expected.values()), "the sample rules match nothing in a stream"
    config = deployment.config("A", "main")
    bootstrap = broker.bootstrap_servers
    # Made before the nodes subscribe: a broker may create a missing topic
    # with a partition count of its own.
    await broker.ensure_topics([TopicSpec(deployment.firehose, FIREHOSE_PARTITIONS)])

    async with running(config, store, broker) as second:
        async with running(config, store, broker) as first:
            nodes = (first, second)
            await wait_for(
                lambda: (
                    all(n.assignment for n in nodes)
                    and first.assignment | second.assignment == ALL_PARTITIONS
                ),
                20,
                "both nodes to be assigned partitions",
            )
            assert not first.assignment & second.assignment
            await produce(broker, deployment.firehose, tweets[:600])
            await wait_for(
                lambda: consumed(first) + consumed(second) == 600, 20, "the first tweets"
            )
            assert consumed(first) > 0
            assert consumed(second) > 0
            feeding = asyncio.create_task(_feed(broker, deployment, tweets[600:]))
            await wait_for(
                lambda: consumed(first) + consumed(second) >= 800, 20, "more tweets to be read"
            )
        # The first node has flushed, committed and left: its partitions move.
        assert first.counters.published == first.counters.matches
        try:
            await wait_for(
                lambda: second.assignment == ALL_PARTITIONS, 20, "the partitions to move"
            )
            await feeding
        finally:
            feeding.cancel()

        async def complete() -> bool:
            for stream in streams:
                matches, _ = received(await read_topic(bootstrap, stream.topic("A")))
                if matches != expected[stream.id]:
                    return False
            return True

        await wait_for(complete, 20, "every expected match")
    assert consumed(first) + consumed(second) >= len(tweets)
    duplicates: dict[str, int] = {}
    for stream in streams:
        matches, copies = received(await read_topic(bootstrap, stream.topic("A")))
        assert matches == expected[stream.id], (stream.account, stream.label)
        duplicates[f"{stream.account}/{stream.label}"] = sum(copies.values()) - len(copies)
    read_again = consumed(first) + consumed(second) - len(tweets)
    print(f"tweets read twice: {read_again}; duplicate matches by stream: {duplicates}")
    await store.close()

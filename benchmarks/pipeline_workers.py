"""The child processes of ``benchmarks/pipeline.py``: a filter node and a firehose producer.

Each runs in a process of its own so that, on a small machine, the producer's
CPU is not taken from the node. Both talk to the parent in JSON lines on
stdout; logs go to stderr.

    python benchmarks/pipeline_workers.py node BOOTSTRAP DATABASE CONFIG [--fetch-max-wait-ms N]
    python benchmarks/pipeline_workers.py produce BOOTSTRAP TOPIC TWEETS_FILE COUNT [--rate R]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import time
from itertools import cycle, islice
from pathlib import Path
from typing import Any

import orjson

from powertrack import Tweet
from powertrack.broker import KafkaBroker
from powertrack.filter import FilterConfig, FilterNode
from powertrack.firehose.sink import kafka_tweet_sink
from powertrack.store import SQLiteRuleStore

# Often enough to time a run of a few seconds to a few percent.
_REPORT_INTERVAL = 0.1
# The producer tops up to its schedule this often; at 6,000 tweets/s that is
# bursts of about 12 tweets, well inside the producer's 5 ms linger.
_PACING_INTERVAL = 0.002


def _emit(document: dict[str, Any]) -> None:
    sys.stdout.write(orjson.dumps(document).decode() + "\n")
    sys.stdout.flush()


def _counters(node: FilterNode) -> dict[str, Any]:
    counters = node.counters
    return {
        "t": time.time(),
        "consumed": counters.tweets + counters.dead_letters,
        "tweets": counters.tweets,
        "matches": counters.matches,
        "published": counters.published,
        "dead_letters": counters.dead_letters,
        "publish_retries": counters.publish_retries,
        "partitions": len(node.assignment),
    }


async def _report(node: FilterNode) -> None:
    while True:
        _emit(_counters(node))
        await asyncio.sleep(_REPORT_INTERVAL)


async def run_node(bootstrap: str, database: Path, config: FilterConfig) -> None:
    """Run one filter node until SIGTERM, reporting its counters every 0.1 s."""
    broker = KafkaBroker(bootstrap)
    await broker.start()
    store = SQLiteRuleStore(database)
    node = FilterNode(config, store, broker)
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, node.stop)
    began = time.monotonic()
    try:
        await node.start()
        _emit({"event": "started", "start_seconds": time.monotonic() - began})
        reporter = asyncio.create_task(_report(node))
        try:
            await node.run()
        finally:
            reporter.cancel()
        _emit({"event": "stopped", **_counters(node)})
    finally:
        await store.close()
        await broker.stop()


async def produce(
    bootstrap: str, topic: str, tweets: list[bytes], count: int, rate: float
) -> dict[str, Any]:
    """Publish ``count`` tweets, cycling through ``tweets``, ``rate`` a second (0: at once).

    Each record's Kafka timestamp is set by the client when it is sent: the
    moment the tweet is published, which the latency is measured from.
    """
    keyed = [(int(Tweet.from_json(raw).id), raw) for raw in tweets]
    source = islice(cycle(keyed), count)
    sent = 0
    async with kafka_tweet_sink(bootstrap, topic) as sink:
        started_at = time.time()
        began = time.monotonic()
        if rate <= 0:
            for tweet_id, raw in source:
                await sink.send(tweet_id, raw)
                sent += 1
        else:
            while sent < count:
                due = min(count, int((time.monotonic() - began) * rate) + 1)
                for tweet_id, raw in islice(source, due - sent):
                    await sink.send(tweet_id, raw)
                sent = due
                await asyncio.sleep(_PACING_INTERVAL)
        sending = time.monotonic() - began
        sent_at = time.time()
        await sink.flush()
        flushed = time.monotonic() - began
    return {
        "event": "produced",
        "sent": sent,
        "send_seconds": sending,
        "flushed_seconds": flushed,
        "tweets_per_second": sent / sending if sending else 0.0,
        "started_at": started_at,
        "sent_at": sent_at,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    node = commands.add_parser("node")
    node.add_argument("bootstrap")
    node.add_argument("database", type=Path)
    node.add_argument("config", help="FilterConfig fields as JSON")
    node.add_argument("--fetch-max-wait-ms", type=int, default=None)
    producer = commands.add_parser("produce")
    producer.add_argument("bootstrap")
    producer.add_argument("topic")
    producer.add_argument("tweets", type=Path, help="one raw tweet a line")
    producer.add_argument("count", type=int)
    producer.add_argument("--rate", type=float, default=0.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if args.command == "node":
        fields = orjson.loads(args.config)
        if args.fetch_max_wait_ms is not None:
            fields["fetch_max_wait_ms"] = args.fetch_max_wait_ms
        config = FilterConfig(**fields)
        asyncio.run(run_node(args.bootstrap, args.database, config))
        return
    tweets = [line for line in args.tweets.read_bytes().splitlines() if line]
    _emit(asyncio.run(produce(args.bootstrap, args.topic, tweets, args.count, args.rate)))


if __name__ == "__main__":
    main()

"""Benchmark the replay producer: prints one JSON document of figures.

Replays ``--tweets`` tweets of the real corpus (``../shared/data``, non-tweet
lines left out, repeated as often as needed; about 3 KB each) from a file,
unpaced, onto a firehose topic of ``--partitions`` partitions of an embedded
Tansu broker (or ``--bootstrap``), and reports tweets/s from the start of the
replay until every tweet is acknowledged, for:

- ``new``: :func:`powertrack.firehose.replay.replay` into
  :func:`powertrack.firehose.sink.kafka_tweet_sink` as they are now
  (tweets gathered into a batch per partition, ids read without a parse);
- ``baseline``: the replay as it was: every line parsed into a ``Tweet`` for
  its id, and one ``await AIOKafkaProducer.send()`` per tweet (``acks="all"``,
  5 ms linger), inline below;
- ``old_sink``: the new replay into the baseline's sink, which tells the
  batching's share of the gain from that of reading the id directly.

Each run gets a topic of its own, and runs alternate (baseline first) for
``--repeat`` rounds; the best round of each counts.

    python benchmarks/replay.py                  # about 30 seconds
    python benchmarks/replay.py --tweets 20000   # a quicker run
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import orjson
from aiokafka import AIOKafkaProducer  # type: ignore[import-untyped, unused-ignore]

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload import is_tweet, load_corpus_tweets

from powertrack.broker import Broker, TopicSpec, open_broker
from powertrack.firehose import replay as replay_module
from powertrack.firehose.replay import replay
from powertrack.firehose.sink import PublishError, TweetSink, kafka_tweet_sink, tweet_key

TARGET_TWEETS_PER_SECOND = 50_000

SinkFactory = Callable[[str, str], contextlib.AbstractAsyncContextManager[TweetSink]]


class OneSendPerTweetSink:
    """The sink as it was: one awaited ``AIOKafkaProducer.send`` per tweet."""

    def __init__(self, producer: AIOKafkaProducer, topic: str) -> None:
        self._producer = producer
        self._topic = topic
        self._pending: set[asyncio.Future[Any]] = set()
        self._failed = 0

    async def send(self, tweet_id: int, raw: bytes) -> None:
        if self._failed:
            raise PublishError(f"{self._failed} tweet(s) were not delivered")
        future = await self._producer.send(self._topic, value=raw, key=tweet_key(tweet_id))
        self._pending.add(future)
        future.add_done_callback(self._delivered)

    async def flush(self) -> None:
        while self._pending:
            await asyncio.wait(list(self._pending))
        if self._failed:
            raise PublishError(f"{self._failed} tweet(s) were not delivered")

    def _delivered(self, future: asyncio.Future[Any]) -> None:
        self._pending.discard(future)
        if future.cancelled() or future.exception() is not None:
            self._failed += 1


@contextlib.asynccontextmanager
async def one_send_per_tweet_sink(bootstrap: str, topic: str) -> AsyncIterator[TweetSink]:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id="powertrack-firehose",
        acks="all",
        request_timeout_ms=10_000,
        linger_ms=5,
    )
    await producer.start()
    try:
        yield OneSendPerTweetSink(producer, topic)
    finally:
        await producer.stop()


@contextlib.contextmanager
def parsing_every_tweet() -> Iterator[None]:
    """The replay as it was: every tweet's id from a full ``Tweet.from_json``."""
    with mock.patch.object(replay_module, "_plain_id", return_value=None):
        yield


async def run_one(
    broker: Broker,
    path: Path,
    partitions: int,
    make_sink: SinkFactory,
    parse_all: bool,
) -> dict[str, Any]:
    topic = f"firehose-bench-{uuid.uuid4().hex[:12]}"
    await broker.ensure_topics([TopicSpec(topic, partitions)])
    async with make_sink(broker.bootstrap_servers, topic) as sink:
        # The client's first metadata and connection are not the replay's cost.
        with contextlib.ExitStack() as stack:
            if parse_all:
                stack.enter_context(parsing_every_tweet())
            began = time.perf_counter()
            cpu_began = time.process_time()
            counts = await replay(path, sink)
            seconds = time.perf_counter() - began
            cpu = time.process_time() - cpu_began
    return {
        "tweets": counts.sent,
        "skipped": counts.skipped,
        "seconds": round(seconds, 3),
        "tweets_per_second": round(counts.sent / seconds),
        "producer_cpu_share": round(cpu / seconds, 2),
    }


VARIANTS: dict[str, tuple[SinkFactory, bool]] = {
    "baseline": (one_send_per_tweet_sink, True),
    "old_sink": (one_send_per_tweet_sink, False),
    "new": (kafka_tweet_sink, False),
}


async def measure(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    corpus = load_corpus_tweets()
    tweets = [raw for raw in corpus.tweets if is_tweet(raw)]
    lines = [tweets[i % len(tweets)] for i in range(args.tweets)]
    path = workdir / "tweets.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    mean_bytes = sum(map(len, lines)) / len(lines)

    broker = open_broker(args.bootstrap)
    await broker.start()
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in VARIANTS}
    try:
        for _ in range(args.repeat):
            for name, (make_sink, parse_all) in VARIANTS.items():
                runs[name].append(
                    await run_one(broker, path, args.partitions, make_sink, parse_all)
                )
    finally:
        await broker.stop()

    best = {name: max(found, key=lambda r: r["tweets_per_second"]) for name, found in runs.items()}
    new, baseline = best["new"]["tweets_per_second"], best["baseline"]["tweets_per_second"]
    return {
        "benchmark": "replay",
        "broker": "tansu (embedded)" if args.bootstrap is None else args.bootstrap,
        "tweet_source": corpus.source,
        "tweets": args.tweets,
        "mean_tweet_bytes": round(mean_bytes),
        "partitions": args.partitions,
        "repeat": args.repeat,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in args.load_average],
        "new": best["new"],
        "baseline": best["baseline"],
        "old_sink": best["old_sink"],
        "ratio": round(new / baseline, 2),
        "ratio_sink_only": round(new / best["old_sink"]["tweets_per_second"], 2),
        "all_runs_tweets_per_second": {
            name: [r["tweets_per_second"] for r in found] for name, found in runs.items()
        },
        "target_tweets_per_second": TARGET_TWEETS_PER_SECOND,
        "target_met": new >= TARGET_TWEETS_PER_SECOND,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    async def main() -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="powertrack-replay-") as workdir:
            return await measure(args, Path(workdir))

    return asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tweets", type=int, default=60_000)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--bootstrap", default=None, help="a Kafka cluster; default: Tansu")
    args = parser.parse_args()
    if args.tweets < 1 or args.repeat < 1:
        parser.error("--tweets and --repeat must be positive")
    args.load_average = os.getloadavg()
    report = run(args)
    sys.stdout.write(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n")


if __name__ == "__main__":
    main()

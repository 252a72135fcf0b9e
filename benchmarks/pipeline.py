"""Benchmark one filter node end to end: prints one JSON document of figures.

A rule store (SQLite, in a temporary directory) holds ``--streams`` accounts
of one stream each on the ``main`` stack and ``--rules`` realistic rules
spread evenly over them (generated from the corpus vocabulary as
``benchmarks/match.py`` does). One filter node of side A runs in a process of
its own against an embedded Tansu broker (or ``--bootstrap``), reading a
firehose topic of 8 partitions; producers run in further processes, so that
on a 2-core machine the producer's CPU is not the node's.

1. **throughput**: ``--preload`` tweets are put on the firehose before the
   node starts; the time from the node's first partition assignment to its
   having read them all gives tweets/s.
2. **latency**: a producer publishes ``--rate`` tweets/s for ``--seconds``;
   afterwards every match record of that phase is read back and its latency
   is its Kafka timestamp (set by the node's producer when it sends the
   match) minus that of the firehose record it came from (set by the
   firehose producer when it sends the tweet), joined by the
   ``firehose_partition`` / ``firehose_offset`` headers. The node has
   ``--drain-timeout`` seconds after the producer stops to catch up.
3. **consumer lag**: every second, the firehose's end offsets minus the
   node's committed offsets (``lag``, what a group monitor sees; commits are
   up to a second apart) and minus what the node has read (``unread``). On
   Tansu the end offsets can be a producer batch short per partition (see
   :func:`read_range`), so small figures are floored at 0.

``--fetch-max-wait-ms`` sets the node consumer's ``fetch_max_wait_ms``
(powertrack's default is 50). Tansu holds a fetch that finds nothing new for
that long even when records arrive meanwhile, which Kafka does not, so on
Tansu it adds up to that much to the match latency.

Tweets are the real corpus of ``../shared/data`` (non-tweet lines left out),
repeated as often as needed: a node does no de-duplication, so a repeated
tweet costs what a new one does. A match record is one (tweet, stream) pair,
so ``records_per_tweet`` counts streams matched, not rules.

    python benchmarks/pipeline.py                 # 100k rules, a few minutes
    python benchmarks/pipeline.py --rules 10000   # a quicker run
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import orjson
from aiokafka import (  # type: ignore[import-untyped, unused-ignore]
    AIOKafkaConsumer,
    TopicPartition,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload import generate_rules, is_tweet, load_corpus_tweets, percentile, vocabulary

from powertrack.broker import Broker, TopicSpec, match_topic, open_broker
from powertrack.filter import FilterConfig
from powertrack.matches import FIREHOSE_OFFSET, FIREHOSE_PARTITION, header
from powertrack.store import NewRule, SQLiteRuleStore

WORKERS = Path(__file__).resolve().with_name("pipeline_workers.py")
FIREHOSE_PARTITIONS = 8
RULES_PER_CALL = 5_000
RULE_LIMIT = 10_000_000
LAG_INTERVAL = 1.0
TARGET_TWEETS_PER_SECOND = 10_000
TARGET_P99_MS = 50.0
TARGET_RATE = 6_000
# A node less than a second of tweets behind when the producer stops is
# keeping up: its backlog is what one fetch-and-commit cycle holds.
KEPT_UP_BACKLOG_SECONDS = 1.0
# Nothing is written while the records are read back: a partition silent
# this long has been read to its end.
READ_IDLE_SECONDS = 3.0

Offsets = dict[Any, int]
"""aiokafka TopicPartition to offset."""


@dataclasses.dataclass
class Deployment:
    """Names on the broker of one run; each carries the run's token."""

    token: str
    firehose: str
    group: str
    dead_letters: str
    match_topics: list[str]

    def node_config(self) -> dict[str, Any]:
        config = FilterConfig(
            side="A",
            stack="main",
            firehose_topic=self.firehose,
            group_id=self.group,
            dead_letter_topic=self.dead_letters,
        )
        return {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}


async def load_rules(database: Path, token: str, streams: int, texts: list[str]) -> list[str]:
    """Accounts of one stream each, ``texts`` dealt out over them; return their A topics."""
    store = SQLiteRuleStore(database)
    topics: list[str] = []
    try:
        await store.migrate()
        for number in range(streams):
            name = f"b{token}_{number:03d}"
            account = await store.create_account(name, connection_limit=1, rule_limit=RULE_LIMIT)
            stream = await store.create_stream(account.id, "prod")
            topics.append(match_topic("A", name, "prod"))
            mine = texts[number::streams]
            for start in range(0, len(mine), RULES_PER_CALL):
                batch = [NewRule(text) for text in mine[start : start + RULES_PER_CALL]]
                await store.add_rules(stream.id, batch, rule_limit=RULE_LIMIT)
    finally:
        await store.close()
    return topics


async def _run_json(*args: str) -> tuple[asyncio.subprocess.Process, asyncio.StreamReader]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(WORKERS), *args, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    return process, process.stdout


async def run_producer(
    bootstrap: str, topic: str, tweets_file: Path, count: int, rate: float
) -> dict[str, Any]:
    """Run a producer process to the end; return its report."""
    process, stdout = await _run_json(
        "produce", bootstrap, topic, str(tweets_file), str(count), "--rate", str(rate)
    )
    output = await stdout.read()
    if await process.wait() != 0:
        raise RuntimeError(f"the producer exited with status {process.returncode}")
    report: dict[str, Any] = orjson.loads(output.splitlines()[-1])
    return report


class NodeProcess:
    """The filter node's process and the counters it reports."""

    def __init__(self, process: asyncio.subprocess.Process, stdout: asyncio.StreamReader) -> None:
        self.process = process
        self.launched = time.time()
        self.start_seconds: float | None = None
        self.samples: list[dict[str, Any]] = []
        self.final: dict[str, Any] | None = None
        self._reader = asyncio.create_task(self._read(stdout))

    @classmethod
    async def launch(
        cls, bootstrap: str, database: Path, deployment: Deployment, fetch_wait_ms: int | None
    ) -> NodeProcess:
        config = orjson.dumps(deployment.node_config()).decode()
        fetch = [] if fetch_wait_ms is None else ["--fetch-max-wait-ms", str(fetch_wait_ms)]
        return cls(*await _run_json("node", bootstrap, str(database), config, *fetch))

    async def _read(self, stdout: asyncio.StreamReader) -> None:
        async for line in stdout:
            document = orjson.loads(line)
            event = document.get("event")
            if event == "started":
                self.start_seconds = document["start_seconds"]
            elif event == "stopped":
                self.final = document
            else:
                self.samples.append(document)

    @property
    def latest(self) -> dict[str, Any]:
        return self.samples[-1] if self.samples else {"consumed": 0, "partitions": 0}

    async def wait_for(
        self, condition: Callable[[dict[str, Any]], bool], timeout: float, what: str
    ) -> dict[str, Any] | None:
        """The first sample meeting ``condition``; None after ``timeout`` seconds."""
        seen = 0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.returncode is not None:
                raise RuntimeError(f"the filter node exited while waiting for {what}")
            for sample in self.samples[seen:]:
                if condition(sample):
                    return sample
            seen = len(self.samples)
            await asyncio.sleep(0.05)
        return None

    def at(self, wall_time: float) -> dict[str, Any]:
        """The last sample taken at or before ``wall_time``."""
        before = [s for s in self.samples if s["t"] <= wall_time]
        return before[-1] if before else {"consumed": 0, "t": wall_time}

    def cpu_seconds(self) -> float:
        """User and system CPU time of the node's process so far."""
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def stop(self) -> dict[str, Any]:
        if self.process.returncode is None:
            self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), 60)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        await self._reader
        if self.final is None:
            raise RuntimeError(f"the filter node exited with status {self.process.returncode}")
        return self.final


@contextlib.asynccontextmanager
async def consumer(bootstrap: str, **options: Any) -> AsyncIterator[Any]:
    client = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **options)
    await client.start()
    try:
        yield client
    finally:
        await client.stop()


async def end_offsets(client: Any, topics: list[str]) -> Offsets:
    tps = [TopicPartition(t, p) for t in topics for p in sorted(client.partitions_for_topic(t))]
    ends: Offsets = await client.end_offsets(tps)
    return ends


async def read_range(bootstrap: str, starts: Offsets, handle: Callable[[Any], None]) -> None:
    """Hand every record from ``starts`` to the partitions' ends to ``handle``.

    The end is the high watermark of the fetch responses: Tansu answers
    ListOffsets for the latest offset with the first offset of the last
    batch (plus one), short of the end when that batch holds several records.
    """
    async with consumer(
        bootstrap, max_partition_fetch_bytes=8 << 20, fetch_max_wait_ms=100
    ) as client:
        client.assign(list(starts))
        for tp, start in starts.items():
            client.seek(tp, start)
        remaining = set(starts)
        last_record = time.monotonic()
        while remaining and time.monotonic() - last_record < READ_IDLE_SECONDS:
            for records in (await client.getmany(timeout_ms=500)).values():
                last_record = time.monotonic()
                for record in records:
                    handle(record)
            for tp in list(remaining):
                highwater = client.highwater(tp)
                if highwater is not None and await client.position(tp) >= highwater:
                    remaining.discard(tp)


class LagSampler:
    """Samples the node's consumer lag on the firehose every second."""

    def __init__(self, bootstrap: str, deployment: Deployment, node: NodeProcess) -> None:
        self._bootstrap = bootstrap
        self._deployment = deployment
        self._node = node
        self.samples: list[dict[str, Any]] = []
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        topic = self._deployment.firehose
        # A consumer of the node's group that never subscribes does not join
        # it: it only reads the group's committed offsets.
        async with (
            consumer(self._bootstrap) as client,
            consumer(self._bootstrap, group_id=self._deployment.group) as group,
        ):
            while True:
                ends = await end_offsets(client, [topic])
                committed = [await group.committed(tp) for tp in ends]
                end = sum(ends.values())
                self.samples.append(
                    {
                        "t": round(time.time() - self._node.launched, 1),
                        "lag": max(0, end - sum(offset or 0 for offset in committed)),
                        "unread": max(0, end - self._node.latest["consumed"]),
                    }
                )
                await asyncio.sleep(LAG_INTERVAL)

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def match_latencies(
    bootstrap: str, firehose: Offsets, matches: Offsets, since: float
) -> list[float]:
    """Milliseconds from each firehose record sent after ``since`` (wall time) to each
    match record made of it. The start offsets may be a batch early (see
    :func:`read_range`); the timestamps leave the earlier records out."""
    sent_at: dict[tuple[int, int], int] = {}
    since_ms = since * 1000

    def firehose_record(record: Any) -> None:
        if record.timestamp >= since_ms:
            sent_at[record.partition, record.offset] = record.timestamp

    await read_range(bootstrap, firehose, firehose_record)
    latencies: list[float] = []

    def match_record(record: Any) -> None:
        partition = int(header(record.headers, FIREHOSE_PARTITION) or -1)
        offset = int(header(record.headers, FIREHOSE_OFFSET) or -1)
        sent = sent_at.get((partition, offset))
        if sent is not None:
            latencies.append(float(record.timestamp - sent))

    await read_range(bootstrap, matches, match_record)
    latencies.sort()
    return latencies


def _rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _since(sample: dict[str, Any] | None, moment: float) -> float | None:
    """Seconds from ``moment`` to ``sample``; None when there is no such sample."""
    return None if sample is None else round(sample["t"] - moment, 2)


async def measure(args: argparse.Namespace, broker: Broker, workdir: Path) -> dict[str, Any]:
    bootstrap = broker.bootstrap_servers
    started = time.perf_counter()
    loaded, source = load_corpus_tweets()
    tweets = [raw for raw in loaded if is_tweet(raw)]
    texts = generate_rules(args.rules, "realistic", seed=args.rules, vocab=vocabulary(tweets))
    generate_seconds = time.perf_counter() - started
    tweets_file = workdir / "tweets.jsonl"
    tweets_file.write_bytes(b"\n".join(tweets) + b"\n")

    token = uuid.uuid4().hex[:8]
    database = workdir / "rules.db"
    started = time.perf_counter()
    topics = await load_rules(database, token, args.streams, texts)
    store_seconds = time.perf_counter() - started
    deployment = Deployment(
        token,
        f"firehose-bench-{token}",
        f"powertrack.A.main.bench-{token}",
        f"deadletter-bench-{token}",
        topics,
    )
    await broker.ensure_topics([TopicSpec(deployment.firehose, FIREHOSE_PARTITIONS)])
    preload = await run_producer(bootstrap, deployment.firehose, tweets_file, args.preload, 0)
    print(f"preloaded {preload['sent']:,} tweets; starting the node", file=sys.stderr)

    node = await NodeProcess.launch(bootstrap, database, deployment, args.fetch_max_wait_ms)
    lag = LagSampler(bootstrap, deployment, node)
    try:
        assigned = await node.wait_for(lambda s: s["partitions"] > 0, 600, "an assignment")
        if assigned is None:
            raise RuntimeError("the filter node got no firehose partition in 10 minutes")
        cpu_before = node.cpu_seconds()
        done = await node.wait_for(lambda s: s["consumed"] >= args.preload, 3600, "the preload")
        assert done is not None
        cpu_share = (node.cpu_seconds() - cpu_before) / (time.time() - assigned["t"])
        acked = await node.wait_for(
            lambda s: s["published"] == s["matches"] and s["consumed"] >= args.preload,
            120,
            "the preload's publishes",
        )
        preload_seconds = done["t"] - assigned["t"]
        throughput = {
            "tweets": args.preload,
            "seconds": round(preload_seconds, 2),
            "tweets_per_second": round(args.preload / preload_seconds),
            "published_seconds": _since(acked, assigned["t"]),
            "node_cpu_share": round(cpu_share, 2),
        }
        print(f"throughput: {throughput}", file=sys.stderr)

        async with consumer(bootstrap) as client:
            firehose_start = await end_offsets(client, [deployment.firehose])
            matches_start = await end_offsets(client, topics)
        before = node.latest
        count = round(args.rate * args.seconds)
        produced = await run_producer(bootstrap, deployment.firehose, tweets_file, count, args.rate)
        window = produced["sent_at"] - produced["started_at"]
        at_start, at_stop = node.at(produced["started_at"]), node.at(produced["sent_at"])
        achieved = (at_stop["consumed"] - at_start["consumed"]) / window
        backlog = args.preload + count - at_stop["consumed"]
        total = args.preload + count
        drained = await node.wait_for(
            lambda s: s["consumed"] >= total and s["published"] == s["matches"],
            args.drain_timeout,
            "the rate phase",
        )
        last = node.latest
    finally:
        try:
            await lag.stop()
        finally:
            final = await node.stop()

    latencies = await match_latencies(
        bootstrap, firehose_start, matches_start, produced["started_at"]
    )
    kept_up = backlog <= args.rate * KEPT_UP_BACKLOG_SECONDS
    phase_tweets = last["tweets"] - before["tweets"]
    latency = {
        "rate": args.rate,
        "seconds": args.seconds,
        "producer_tweets_per_second": round(produced["tweets_per_second"]),
        "node_tweets_per_second": round(achieved),
        "kept_up": kept_up,
        "backlog_when_producer_stopped": backlog,
        "drained": drained is not None,
        "drain_seconds": _since(drained, produced["sent_at"]),
        "match_records": len(latencies),
        "records_per_tweet": round(len(latencies) / phase_tweets, 2) if phase_tweets else None,
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": latencies[-1] if latencies else None,
    }
    p99 = latency["p99_ms"]
    return {
        "benchmark": "pipeline",
        "rules": args.rules,
        "streams": args.streams,
        "firehose_partitions": FIREHOSE_PARTITIONS,
        "node_fetch_max_wait_ms": args.fetch_max_wait_ms,
        "tweet_source": source,
        "corpus_tweets": len(tweets),
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in args.load_average],
        "rules_generate_seconds": round(generate_seconds, 2),
        "store_load_seconds": round(store_seconds, 2),
        "node_start_seconds": _rounded(node.start_seconds, 2),
        "node_first_assignment_seconds": round(assigned["t"] - node.launched, 2),
        "throughput": throughput,
        "latency": latency,
        "matches_per_tweet": round(final["matches"] / final["tweets"], 2),
        "dead_letters": final["dead_letters"],
        "publish_retries": final["publish_retries"],
        "node_counters": {k: v for k, v in final.items() if k not in {"event", "t"}},
        "consumer_lag": lag.samples,
        "timeline": {
            "node_assigned": round(assigned["t"] - node.launched, 1),
            "preload_read": round(done["t"] - node.launched, 1),
            "rate_started": round(produced["started_at"] - node.launched, 1),
            "rate_stopped": round(produced["sent_at"] - node.launched, 1),
        },
        "targets": {
            "tweets_per_second": TARGET_TWEETS_PER_SECOND,
            "p99_ms": TARGET_P99_MS,
            "p99_at_rate": TARGET_RATE,
        },
        "targets_met": {
            "tweets_per_second": throughput["tweets_per_second"] >= TARGET_TWEETS_PER_SECOND,
            # Only meaningful at the target's rate or above.
            "p99_ms": (
                None
                if args.rate < TARGET_RATE
                else kept_up and p99 is not None and p99 < TARGET_P99_MS
            ),
        },
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    broker = open_broker(args.bootstrap)
    await broker.start()
    try:
        with tempfile.TemporaryDirectory(prefix="powertrack-pipeline-") as workdir:
            return await measure(args, broker, Path(workdir))
    finally:
        await broker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=100_000)
    parser.add_argument("--streams", type=int, default=100)
    parser.add_argument("--preload", type=int, default=30_000, help="tweets for the throughput")
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="tweets/s for latency")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--drain-timeout", type=float, default=120.0)
    parser.add_argument("--bootstrap", default=None, help="a Kafka cluster; default: Tansu")
    parser.add_argument("--fetch-max-wait-ms", type=int, default=None)
    args = parser.parse_args()
    args.load_average = os.getloadavg()
    report = asyncio.run(run(args))
    sys.stdout.write(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n")


if __name__ == "__main__":
    main()

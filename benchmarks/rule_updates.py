"""Benchmark live rule updates: prints one JSON document of figures.

For each mode it adds rules one at a time through the X API v2 rules endpoint
of a real API server (uvicorn on a loopback port, in its own thread and event
loop) and measures the time from the API call returning to the rule taking
effect in a running ``RuleSync`` (the moment the rule enters the RuleIndex, so
the next match sees it):

- ``polling``: the RuleSync polls the rule log every 250 ms, no signal;
- ``push``: the API bumps a ZooKeeper node after each commit and the RuleSync
  polls at once (a throwaway ZooKeeper from Debian's package is started).

The API and the RuleSync use separate store and ZooKeeper clients, as two
nodes would. Requests are spaced by a random pause so they do not fall in step
with the polling ticks. With push, a rule can take effect before the HTTP
answer reaches the client; such a sample counts as 0 ms and is counted in
``in_effect_when_call_returned``.

    python benchmarks/rule_updates.py
    python benchmarks/rule_updates.py --database-url sqlite:///tmp/bench.db --samples 50
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload import percentile

from powertrack import Rule, RuleIndex
from powertrack.accounts.credentials import issue_credential
from powertrack.api import create_app
from powertrack.coordination import RuleChangeSignal, ZooKeeperRuleChangeSignal, local_zookeeper
from powertrack.filter import RuleSync
from powertrack.settings import Settings
from powertrack.store import RuleStore, StoreUnavailableError, open_store

DEFAULT_DATABASE_URL = "mysql://root@127.0.0.1:3306/powertrack_bench_rule_updates"
RULES_PATH = "/2/tweets/search/stream/rules"
RULE_LIMIT = 1_000_000
# Rules per request is the rate limit's business, not this benchmark's.
REQUESTS_PER_MINUTE = 1_000_000


class TimedIndex(RuleIndex[int]):
    """A RuleIndex that notes when each rule was added: the moment it takes effect."""

    def __init__(self) -> None:
        super().__init__()
        self.added_at: dict[int, float] = {}

    def add(self, rule_id: int, rule: Rule | str | bytes) -> None:
        super().add(rule_id, rule)
        self.added_at[rule_id] = time.perf_counter()


@contextmanager
def serve_in_thread(
    settings: Settings, store_url: str, signal: RuleChangeSignal | None
) -> Iterator[str]:
    """Run the API on a free loopback port in a thread with its own loop and store."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    store = open_store(store_url)
    app = create_app(settings, store, signal)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))

    async def run() -> None:
        if signal is not None:
            await signal.start()
        try:
            await server.serve(sockets=[sock])
        finally:
            if signal is not None:
                await signal.stop()
            await store.close()

    thread = threading.Thread(target=asyncio.run, args=(run(),), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


async def prepare(store: RuleStore) -> tuple[int, str]:
    """A fresh account and stream; return the stream id and a bearer token for it."""
    await store.migrate()
    name = f"bench{random.getrandbits(40):x}"
    account = await store.create_account(name, connection_limit=1, rule_limit=RULE_LIMIT)
    stream = await store.create_stream(account.id, "prod")
    _, token = await issue_credential(store, "bearer", account.id, stream.id)
    return stream.id, token


async def measure(
    mode: str, database_url: str, samples: int, poll_interval: float, zookeeper: str | None
) -> dict[str, Any]:
    """Add ``samples`` rules through the API and time each one into the RuleSync."""
    store = open_store(database_url)
    stream_id, token = await prepare(store)
    settings = Settings(
        database_url=database_url,
        rule_requests_per_minute=REQUESTS_PER_MINUTE,
        admin_token=None,
    )
    api_signal = ZooKeeperRuleChangeSignal(zookeeper) if mode == "push" and zookeeper else None
    sync_signal = ZooKeeperRuleChangeSignal(zookeeper) if mode == "push" and zookeeper else None
    index = TimedIndex()
    sync = RuleSync(store, index, [stream_id], signal=sync_signal, poll_interval=poll_interval)
    if sync_signal is not None:
        await sync_signal.start()
    await sync.start()
    latencies_ms: list[float] = []
    already_in_effect = 0
    try:
        with serve_in_thread(settings, database_url, api_signal) as url:
            headers = {"Authorization": f"Bearer {token}"}
            async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
                for number in range(samples):
                    await asyncio.sleep(random.uniform(0, poll_interval))
                    response = await client.post(
                        RULES_PATH, json={"add": [{"value": f"benchword{number} lang:en"}]}
                    )
                    returned = time.perf_counter()
                    if response.status_code != 201:
                        raise RuntimeError(
                            f"the API answered {response.status_code}: {response.text}"
                        )
                    rule_id = int(response.json()["data"][0]["id"])
                    while rule_id not in index.added_at:
                        await asyncio.sleep(0.0005)
                    delay = index.added_at[rule_id] - returned
                    if delay <= 0:
                        already_in_effect += 1
                    latencies_ms.append(max(0.0, delay) * 1000)
    finally:
        await sync.stop()
        if sync_signal is not None:
            await sync_signal.stop()
        await store.close()
    ordered = sorted(latencies_ms)
    return {
        "mode": mode,
        "samples": samples,
        "poll_interval_ms": poll_interval * 1000,
        "p50_ms": round(percentile(ordered, 0.50) or 0.0, 2),
        "p99_ms": round(percentile(ordered, 0.99) or 0.0, 2),
        "max_ms": round(ordered[-1], 2),
        "mean_ms": round(statistics.fmean(ordered), 2),
        "in_effect_when_call_returned": already_in_effect,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--poll-interval", type=float, default=0.25)
    parser.add_argument("--modes", nargs="+", default=["polling", "push"])
    args = parser.parse_args()

    database_url: str = args.database_url
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="zookeeper-") as data_dir:
        zookeeper_cm = local_zookeeper(Path(data_dir)) if "push" in args.modes else None
        zookeeper = zookeeper_cm.__enter__() if zookeeper_cm is not None else None
        try:
            for mode in args.modes:
                try:
                    results.append(
                        asyncio.run(
                            measure(mode, database_url, args.samples, args.poll_interval, zookeeper)
                        )
                    )
                except StoreUnavailableError as error:
                    sys.exit(f"the rule store is unavailable: {error}")
        finally:
            if zookeeper_cm is not None:
                zookeeper_cm.__exit__(None, None, None)
    targets = {"polling_p99_ms": 1000, "push_p99_ms": 100}
    by_mode = {result["mode"]: result for result in results}
    met = {
        name: by_mode[mode]["p99_ms"] < limit
        for name, limit in targets.items()
        if (mode := name.split("_")[0]) in by_mode
    }
    document = {
        "benchmark": "rule_updates",
        "database": database_url.split("://", 1)[0],
        "results": results,
        "targets_ms": targets,
        "targets_met": met,
    }
    sys.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")


if __name__ == "__main__":
    main()

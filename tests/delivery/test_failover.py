"""Side failover end to end: a client streams while every node of side A is killed.

Real filter nodes of side A and side B run as processes of their own, each
registered on its side in ZooKeeper with a short session; the API serves the
stream with a ZooKeeper side registry on the same root. Killing side A's node
(SIGKILL: nobody deregisters it) makes side A drop out when its session
expires, and the stream must go on from side B at the same firehose position:
every expected tweet once, none missing, none twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import orjson
import uvicorn

from powertrack import Tweet, parse_rule
from powertrack.accounts.credentials import issue_credential
from powertrack.api import create_app
from powertrack.broker import _admin
from powertrack.broker.protocol import TopicSpec
from powertrack.broker.topics import SIDES, Side
from powertrack.coordination import LocalLeaseManager, ZooKeeperSideRegistry
from powertrack.delivery import DeliveryConfig, DeliveryServices, MatchFeed, SourceOptions
from powertrack.delivery.cursor import decode_cursor
from powertrack.filter.config import FilterConfig
from powertrack.firehose.sink import kafka_tweet_sink
from powertrack.samples import sample_rules_path
from powertrack.settings import Settings
from powertrack.store import NewRule, SQLiteRuleStore
from tests.delivery.serving import Lifespan
from tests.delivery.support import FEED, LABEL, create_topics
from tests.filter.pipeline import SESSION_TIMEOUT_MS, sample_tweets

ZK_SESSION_S = 2.0
"""Asked of ZooKeeper for each node's session; the local server (tickTime 2 s)
raises it to its minimum, 4 s."""
FIREHOSE_PARTITIONS = 3
TWEETS = 2000
BURST = 50
BURST_INTERVAL_S = 0.5
KILL_AFTER_BURSTS = 10
"""Bursts produced before side A is killed; the other bursts come after."""
STARTUP_S = 30.0
DRAIN_S = 30.0
CONFIG = DeliveryConfig(keepalive_seconds=0.5, source=SourceOptions(poll_timeout_ms=100))

Received = list[tuple[float, dict[str, object]]]
"""Each non-blank line of the stream, decoded, with the monotonic time it arrived."""


@dataclasses.dataclass
class Customer:
    account: str
    token: str
    rules: dict[int, str]

    def expected(self, tweets: list[bytes]) -> dict[str, frozenset[int]]:
        """Tweet id -> the ids of the rules it matches, by the reference evaluator."""
        parsed = {rule_id: parse_rule(value) for rule_id, value in self.rules.items()}
        result: dict[str, frozenset[int]] = {}
        for raw in tweets:
            tweet = Tweet.from_json(raw)
            matched = frozenset(i for i, rule in parsed.items() if rule.matches(tweet))
            if matched:
                result[tweet.id] = matched
        return result


async def _customer(store: SQLiteRuleStore, token: str) -> Customer:
    account = await store.create_account(f"acme_{token}", connection_limit=2, rule_limit=1000)
    stream = await store.create_stream(account.id, LABEL)
    _, bearer = await issue_credential(store, "bearer", account.id, stream.id)
    rules: dict[int, str] = {}
    for line in sample_rules_path().read_bytes().splitlines():
        rule = orjson.loads(line)
        [outcome] = await store.add_rules(
            stream.id, [NewRule(rule["value"], rule["tag"])], rule_limit=1000
        )
        rules[outcome.rule.id] = rule["value"]
    return Customer(account.name, bearer, rules)


def _node_config(side: Side, token: str, firehose: str) -> FilterConfig:
    return FilterConfig(
        side=side,
        group_id=f"powertrack.{side}.main.{token}",
        dead_letter_topic=f"deadletter-{side}-{token}",
        firehose_topic=firehose,
        session_timeout_ms=SESSION_TIMEOUT_MS,
        heartbeat_interval_ms=SESSION_TIMEOUT_MS // 6,
        commit_interval=0.2,
        streams_interval=0.5,
    )


def _start_node(
    config: FilterConfig, bootstrap: str, hosts: str, root: str, database: Path, log: Path
) -> subprocess.Popen[bytes]:
    fields = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    env = {**os.environ, "POWERTRACK_DATABASE_URL": f"sqlite:///{database}"}
    env.pop("POWERTRACK_ZOOKEEPER_HOSTS", None)
    args = [orjson.dumps(fields).decode(), bootstrap, hosts, root, str(ZK_SESSION_S)]
    with log.open("wb") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.delivery.run_side_node", *args],
            cwd=Path(__file__).parents[2],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


@asynccontextmanager
async def _serve(store: SQLiteRuleStore, services: DeliveryServices) -> AsyncIterator[str]:
    """The API with streaming on a free loopback port; its base URL."""
    app = create_app(Settings(_env_file=None), store, delivery=services)  # type: ignore[call-arg]
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            Lifespan(app, services.feed),
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=1,
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        await _until(lambda: server.started, STARTUP_S, "uvicorn to start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 10)
        sock.close()


async def _until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)


async def _read(response: httpx.Response, received: Received) -> None:
    async for line in response.aiter_lines():
        if line.strip():
            received.append((time.monotonic(), orjson.loads(line)))


def _side(line: dict[str, object]) -> Side:
    cursor = line["cursor"]
    assert isinstance(cursor, str), line
    return decode_cursor(cursor).side


def _tweet_id(line: dict[str, object]) -> str:
    data = line["data"]
    assert isinstance(data, dict), line
    return str(data["id"])


def _tail(log: Path) -> str:
    return log.read_bytes().decode(errors="replace")[-3000:]


async def _guarded(
    work: Awaitable[None], nodes: dict[Side, subprocess.Popen[bytes]], logs: dict[Side, Path]
) -> None:
    """``work``, failing early (with its log) if a node that should run has exited."""
    task = asyncio.ensure_future(work)
    while not task.done():
        await asyncio.wait({task}, timeout=0.2)
        for side, node in nodes.items():
            if node.poll() is not None and not task.done():
                task.cancel()
                raise AssertionError(
                    f"side {side}'s node exited with {node.returncode}:\n{_tail(logs[side])}"
                )
    task.result()


async def test_killing_side_a_mid_stream_moves_the_stream_to_side_b_without_gap_or_duplicate(
    kafka_bootstrap: str, zookeeper_hosts: str, tmp_path: Path
) -> None:
    token = uuid.uuid4().hex[:10]
    database = tmp_path / "rules.db"
    store = SQLiteRuleStore(database)
    await store.migrate()
    customer = await _customer(store, token)
    tweets = sample_tweets(TWEETS)
    expected = customer.expected(tweets)
    firehose = f"firehose-{token}"
    await _admin.ensure_topics(kafka_bootstrap, [TopicSpec(firehose, FIREHOSE_PARTITIONS)], 10.0)
    await create_topics(kafka_bootstrap, customer.account)

    root = f"/failover-{token}"
    sides = ZooKeeperSideRegistry(zookeeper_hosts, root, session_timeout=ZK_SESSION_S)
    await sides.start()
    logs: dict[Side, Path] = {side: tmp_path / f"node-{side}.log" for side in SIDES}
    nodes: dict[Side, subprocess.Popen[bytes]] = {
        side: _start_node(
            _node_config(side, token, firehose),
            kafka_bootstrap,
            zookeeper_hosts,
            root,
            database,
            logs[side],
        )
        for side in SIDES
    }
    leases = LocalLeaseManager()
    services = DeliveryServices(
        MatchFeed(kafka_bootstrap, options=FEED), leases, sides, config=CONFIG
    )
    received: Received = []
    try:
        await _guarded(
            _until(lambda: sides.healthy() == {"A", "B"}, STARTUP_S, "both sides"), nodes, logs
        )
        async with (
            _serve(store, services) as url,
            httpx.AsyncClient(timeout=httpx.Timeout(10, read=None)) as client,
            client.stream(
                "GET",
                f"{url}/2/tweets/search/stream",
                headers={"Authorization": f"Bearer {customer.token}"},
                params={"include_cursor": "true"},
            ) as response,
        ):
            assert response.status_code == 200, await response.aread()
            reading = asyncio.create_task(_read(response, received))
            killed_at = 0.0
            try:
                async with kafka_tweet_sink(kafka_bootstrap, firehose) as sink:
                    for number, start in enumerate(range(0, len(tweets), BURST), 1):
                        for raw in tweets[start : start + BURST]:
                            await sink.send(int(Tweet.from_json(raw).id), raw)
                        await sink.flush()
                        if number == KILL_AFTER_BURSTS:
                            # Mid-stream: side A has been delivering.
                            await _guarded(
                                _until(lambda: bool(received), STARTUP_S, "the first lines"),
                                nodes,
                                logs,
                            )
                            nodes["A"].kill()
                            killed_at = time.monotonic()
                            assert await asyncio.to_thread(nodes["A"].wait, 10) == -signal.SIGKILL
                        await asyncio.sleep(BURST_INTERVAL_S)
                produced_at = time.monotonic()
                await _guarded(
                    _until(lambda: len(received) >= len(expected), DRAIN_S, "every match"),
                    {"B": nodes["B"]},
                    logs,
                )
                # Room for a late duplicate to show up.
                await asyncio.sleep(1.0)
            finally:
                reading.cancel()
        assert sides.healthy() == {"B"}
    finally:
        for node in nodes.values():
            if node.poll() is None:
                node.send_signal(signal.SIGTERM)
        for node in nodes.values():
            try:
                await asyncio.to_thread(node.wait, 20)
            except subprocess.TimeoutExpired:
                node.kill()
        await sides.stop()
        await leases.stop()
        await store.close()
    assert nodes["B"].returncode == 0, _tail(logs["B"])

    copies = Counter(_tweet_id(line) for _, line in received)
    duplicates = {tweet_id: n for tweet_id, n in copies.items() if n > 1}
    assert not duplicates, f"delivered more than once: {duplicates}"
    missing = expected.keys() - copies.keys()
    assert not missing, f"{len(missing)} of {len(expected)} expected tweets never came"
    assert copies.keys() == expected.keys()
    for _, line in received:
        rules = line["matching_rules"]
        assert isinstance(rules, list), line
        assert frozenset(int(rule["id"]) for rule in rules) == expected[_tweet_id(line)]

    # The stream did move, and while the firehose was still being fed.
    sides_read = [_side(line) for _, line in received]
    switch = sides_read.index("B")
    assert set(sides_read[:switch]) == {"A"}
    assert set(sides_read[switch:]) == {"B"}
    switched_at = received[switch][0]
    assert killed_at < switched_at < produced_at, "side B took over only after the last burst"

    times = [moment for moment, _ in received]
    around_kill = [b - a for a, b in itertools.pairwise(times) if b >= killed_at]
    longest = max(around_kill)
    print(
        f"{len(expected)} matches, {switch} from side A then {len(received) - switch} from side B; "
        f"first side B line {switched_at - killed_at:.2f} s after the kill; longest gap between "
        f"lines after the kill {longest:.2f} s "
        f"(overall {max(b - a for a, b in itertools.pairwise(times)):.2f} s)"
    )

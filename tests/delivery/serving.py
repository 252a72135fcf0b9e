"""The API with its streaming endpoints served by uvicorn on a real socket, and match records.

Streams need a real server: httpx's ASGI transport collects a whole response
before returning it, and a stream never ends.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import orjson
import uvicorn
from aiokafka import AIOKafkaProducer  # type: ignore[import-untyped, unused-ignore]
from starlette.types import ASGIApp, Receive, Scope, Send

from powertrack.accounts.credentials import issue_credential
from powertrack.api import create_app
from powertrack.broker.topics import match_topic
from powertrack.coordination.leases import Lease, LeaseManager
from powertrack.coordination.local_leases import LocalLeaseManager
from powertrack.coordination.sides import LocalSideRegistry
from powertrack.delivery import DeliveryConfig, DeliveryServices, MatchFeed, SourceOptions
from powertrack.matches import MatchedRule, TweetFormat, match_headers, match_record
from powertrack.settings import Settings
from powertrack.store import SQLiteRuleStore
from tests.delivery.support import FEED, create_topics, now_ms

LABEL = "prod"
START_TIMEOUT_S = 10.0
FAST = DeliveryConfig(
    keepalive_seconds=0.3, buffer_records=1000, source=SourceOptions(poll_timeout_ms=100)
)


def sample_tweets(count: int) -> list[dict[str, Any]]:
    """The first ``count`` bundled sample tweets in v1.1 form."""
    from importlib.resources import files

    lines = files("powertrack.samples").joinpath("tweets.jsonl").read_text().splitlines()
    tweets = (orjson.loads(line) for line in lines)
    return [tweet for tweet in tweets if "user" in tweet][:count]


class DroppableLeases:
    """A local lease manager whose leases the test thread can mark lost, as an
    expired ZooKeeper session would, on the loop of the server that holds them."""

    def __init__(self) -> None:
        self.inner = LocalLeaseManager()
        self._held: list[tuple[asyncio.AbstractEventLoop, Lease]] = []

    @property
    def available(self) -> bool:
        return True

    async def start(self) -> None:
        await self.inner.start()

    async def stop(self) -> None:
        await self.inner.stop()

    async def acquire(self, account: str, limit: int, holder: str) -> Lease:
        lease = await self.inner.acquire(account, limit, holder)
        self._held.append((asyncio.get_running_loop(), lease))
        return lease

    async def holders(self, account: str) -> list[str]:
        return await self.inner.holders(account)

    def drop_all(self) -> None:
        for loop, lease in self._held:
            loop.call_soon_threadsafe(lease.lost.set)
        self._held.clear()


class Startable(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Lifespan:
    """Starts ``services`` (in order) on the server's own event loop and stops them
    (in reverse) when it shuts down."""

    def __init__(self, app: ASGIApp, *services: Startable) -> None:
        self.app, self.services = app, services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                for service in self.services:
                    await service.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for service in reversed(self.services):
                    await service.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return


@dataclass
class Tenant:
    """An account of the served app: its name, password and v2 token."""

    name: str
    password: str
    token: str

    @property
    def basic(self) -> httpx.BasicAuth:
        return httpx.BasicAuth(self.name, self.password)

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Served:
    """A running server, its accounts (``acme`` streams, ``globex`` is another account)."""

    url: str
    bootstrap: str
    acme: Tenant
    globex: Tenant
    leases: LeaseManager
    topics: dict[str, str] = field(default_factory=dict)

    @property
    def pt_url(self) -> str:
        path = f"/stream/powertrack/accounts/{self.acme.name}/publishers/twitter/{LABEL}.json"
        return self.url + path

    @property
    def v2_url(self) -> str:
        return self.url + "/2/tweets/search/stream"


async def _tenant(store: SQLiteRuleStore, limit: int) -> Tenant:
    name = f"acme{uuid.uuid4().hex[:12]}"
    account = await store.create_account(name, connection_limit=limit, rule_limit=1000)
    _, password = await issue_credential(store, "basic", account.id, None)
    stream = await store.create_stream(account.id, LABEL)
    _, token = await issue_credential(store, "bearer", account.id, stream.id)
    return Tenant(name, password, token)


@asynccontextmanager
async def serve(
    bootstrap: str,
    *,
    config: DeliveryConfig = FAST,
    leases: LeaseManager | None = None,
    limit: int = 2,
) -> AsyncIterator[Served]:
    """Serve the API with streaming on a free loopback port until the block ends."""
    store = SQLiteRuleStore(":memory:")
    sides = LocalSideRegistry()

    await store.migrate()
    await sides.register("A", "node-a")
    acme = await _tenant(store, limit)
    globex = await _tenant(store, limit)
    await create_topics(bootstrap, acme.name)
    leases = leases or LocalLeaseManager()
    feed = MatchFeed(bootstrap, options=FEED)
    services = DeliveryServices(feed, leases, sides, config=config)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    app = create_app(settings, store, delivery=services)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            Lifespan(app, leases, feed),
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=1,
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped"
        assert time.monotonic() < deadline, "uvicorn did not start"
        await asyncio.sleep(0.01)
    served = Served(f"http://127.0.0.1:{port}", bootstrap, acme, globex, leases)
    served.topics = {"A": match_topic("A", acme.name, LABEL)}
    try:
        yield served
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, START_TIMEOUT_S)
        sock.close()
        await store.close()


@dataclass(frozen=True)
class Published:
    """A match record as a filter node would publish it, and its tweet."""

    tweet: dict[str, Any]
    value: bytes
    matched_at_ms: int
    firehose_offset: int

    @property
    def tweet_id(self) -> int:
        return int(self.tweet["id"])


def records(
    tweets: Sequence[dict[str, Any]],
    *,
    first_offset: int = 0,
    start_ms: int | None = None,
    step_ms: int = 10,
) -> list[Published]:
    """v1.1 ``tweets`` matched by rules 7 (tag ``cats``) and 9 (no tag), read from
    firehose partition 0 from ``first_offset`` on."""
    rules = [MatchedRule(9, None), MatchedRule(7, "cats")]
    first = now_ms() if start_ms is None else start_ms
    return [
        Published(
            tweet,
            match_record(orjson.dumps(tweet), TweetFormat.V11, rules),
            first + i * step_ms,
            first_offset + i,
        )
        for i, tweet in enumerate(tweets)
    ]


async def produce(bootstrap: str, topic: str, items: Sequence[Published]) -> None:
    """Publish ``items`` in order to ``topic`` with the headers filter nodes write."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", max_request_size=4 << 20)
    await producer.start()
    try:
        for item in items:
            headers = match_headers(str(item.tweet_id), 0, item.firehose_offset, item.matched_at_ms)
            await producer.send(
                topic,
                value=item.value,
                headers=headers,
                timestamp_ms=item.matched_at_ms,
                partition=0,
            )
        await producer.flush()
    finally:
        await producer.stop()


class LineReader:
    """The lines of one streaming response, blank ones (keep-alives) counted apart."""

    def __init__(self, response: httpx.Response) -> None:
        self._chunks = response.aiter_bytes()
        self._buffer = b""
        self.blanks = 0

    async def _next(self) -> bytes:
        while b"\n" not in self._buffer:
            self._buffer += await anext(self._chunks)
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.strip()

    async def take(self, count: int, timeout: float = 10.0) -> list[bytes]:
        """The next ``count`` non-blank lines."""

        async def run() -> list[bytes]:
            lines: list[bytes] = []
            while len(lines) < count:
                line = await self._next()
                if line:
                    lines.append(line)
                else:
                    self.blanks += 1
            return lines

        return await asyncio.wait_for(run(), timeout)

    async def keepalives(self, count: int, timeout: float = 10.0) -> None:
        """Wait for ``count`` blank lines; fail on anything else."""

        async def run() -> None:
            for _ in range(count):
                assert await self._next() == b""

        await asyncio.wait_for(run(), timeout)


async def read_lines(response: httpx.Response, count: int, timeout: float = 10.0) -> list[bytes]:
    """The first ``count`` non-blank lines of a streaming response."""
    return await LineReader(response).take(count, timeout)

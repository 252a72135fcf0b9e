"""Real clients of the streaming endpoints: the X SDK and ``powertrack stream``; leases."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import uuid
from datetime import UTC, datetime

import httpx
import orjson
from xdk import Client
from xdk.streaming import StreamConfig

from powertrack.cli.stream import Backoff, StreamClient
from powertrack.coordination import CoordinationUnavailableError, Lease, ZooKeeperLeaseManager
from powertrack.delivery import SourceOptions
from tests.delivery.serving import (
    FAST,
    DroppableLeases,
    produce,
    records,
    sample_tweets,
    serve,
)
from tests.delivery.support import now_ms

TWEETS = sample_tweets(20)


async def _until(predicate: object, timeout: float = 15.0) -> None:
    assert callable(predicate)
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_the_x_sdk_streams_matches(kafka_bootstrap: str) -> None:
    async with serve(kafka_bootstrap) as served:
        client = Client(bearer_token=served.acme.token, base_url=served.url)
        received: list[object] = []
        connected = threading.Event()

        def consume() -> None:
            config = StreamConfig(max_retries=0, on_connect=connected.set)
            for item in client.stream.posts(
                tweet_fields=["created_at"], expansions=["author_id"], stream_config=config
            ):
                received.append(item)
                if len(received) == 3:
                    return

        thread = threading.Thread(target=consume, daemon=True)
        thread.start()
        await _until(connected.is_set)
        items = records(TWEETS[:3])
        await produce(kafka_bootstrap, served.topics["A"], items)
        await _until(lambda: len(received) == 3)
        await asyncio.to_thread(thread.join, 5)
    messages = [item.model_dump(exclude_none=True) for item in received]  # type: ignore[attr-defined]
    assert [m["data"]["id"] for m in messages] == [i.tweet["id_str"] for i in items]
    first = messages[0]
    assert str(first["data"]["created_at"]).startswith("20")
    assert first["matching_rules"][0]["tag"] == "cats"
    assert first["includes"]["users"][0]["id"] == first["data"]["author_id"]


async def test_the_client_resumes_from_its_cursor_after_a_drop(kafka_bootstrap: str) -> None:
    leases = DroppableLeases()
    async with serve(kafka_bootstrap, leases=leases) as served:
        lines: list[str] = []
        notices: list[str] = []
        client = StreamClient(
            served.pt_url,
            auth=httpx.BasicAuth(served.acme.name, served.acme.password),
            emit=lines.append,
            notify=notices.append,
            read_timeout=5,
            backoff=Backoff(network_step=0.05),
        )
        thread = threading.Thread(target=client.run, daemon=True)
        thread.start()
        try:
            await _until(lambda: bool(leases._held))
            items = records(TWEETS[:12])
            await produce(kafka_bootstrap, served.topics["A"], items[:6])
            await _until(lambda: len(lines) == 6)
            # The server ends every connection, as when its lease is lost.
            leases.drop_all()
            await _until(lambda: any("operational" in notice for notice in notices))
            await produce(kafka_bootstrap, served.topics["A"], items[6:])
            await _until(lambda: len(lines) >= 12)
            await asyncio.sleep(0.5)
        finally:
            client.stop.set()
            await asyncio.to_thread(thread.join, 10)
    assert [orjson.loads(line)["id"] for line in lines] == [item.tweet_id for item in items]
    assert all("cursor" not in orjson.loads(line) for line in lines)
    assert lines[0].encode() == items[0].value


async def test_the_client_resumes_a_replay_and_stops_at_its_end(kafka_bootstrap: str) -> None:
    leases = DroppableLeases()
    config = dataclasses.replace(
        FAST, source=SourceOptions(poll_timeout_ms=100, time_tolerance_ms=300)
    )
    async with serve(kafka_bootstrap, leases=leases, config=config) as served:
        now = now_ms()
        # Matched 1 s apart, the first 6 before the replay starts and the rest
        # after; its range ends after the 10th.
        items = records(TWEETS[:12], start_ms=now - 6_000, step_ms=1_000)
        start, end = items[0].matched_at_ms, items[9].matched_at_ms + 500
        lines: list[str] = []
        notices: list[str] = []
        client = StreamClient(
            served.pt_url,
            auth=httpx.BasicAuth(served.acme.name, served.acme.password),
            start_time=_iso(start),
            end_time=_iso(end),
            emit=lines.append,
            notify=notices.append,
            read_timeout=5,
            backoff=Backoff(network_step=0.05),
        )
        await produce(kafka_bootstrap, served.topics["A"], items[:6])
        thread = threading.Thread(target=client.run, daemon=True)
        thread.start()
        try:
            await _until(lambda: len(lines) == 6)
            leases.drop_all()
            await _until(lambda: any("operational" in notice for notice in notices))
            await produce(kafka_bootstrap, served.topics["A"], items[6:])
            # The resumed connection ends the replay, and the client stops.
            await asyncio.to_thread(thread.join, 20)
            assert not thread.is_alive()
        finally:
            client.stop.set()
    assert [orjson.loads(line)["id"] for line in lines] == [i.tweet_id for i in items[:10]]
    completed = [orjson.loads(n)["info"] for n in notices if "Replay Request Completed" in n]
    assert [info["activity_count"] for info in completed] == [4]


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat()


async def test_zookeeper_leases_limit_connections(
    kafka_bootstrap: str, zookeeper_hosts: str
) -> None:
    leases = ZooKeeperLeaseManager(zookeeper_hosts, f"/test-{uuid.uuid4().hex}")
    async with (
        serve(kafka_bootstrap, leases=leases, limit=1) as served,
        httpx.AsyncClient(timeout=10) as client,
    ):
        async with client.stream("GET", served.v2_url, headers=served.acme.bearer) as first:
            assert first.status_code == 200
            second = await client.get(served.v2_url, headers=served.acme.bearer)
            assert second.status_code == 429
            assert second.json()["connection_issue"] == "TooManyConnections"
        for _ in range(50):
            async with client.stream("GET", served.v2_url, headers=served.acme.bearer) as again:
                if again.status_code == 200:
                    break
            await asyncio.sleep(0.1)
        assert again.status_code == 200


class _Unavailable:
    available = False

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def acquire(self, account: str, limit: int, holder: str) -> Lease:
        raise CoordinationUnavailableError("session lost")

    async def holders(self, account: str) -> list[str]:
        return []


async def test_no_connections_while_leases_are_unavailable(kafka_bootstrap: str) -> None:
    async with (
        serve(kafka_bootstrap, leases=_Unavailable()) as served,
        httpx.AsyncClient(timeout=10) as client,
    ):
        answer = await client.get(served.v2_url, headers=served.acme.bearer)
        assert answer.status_code == 503
        assert answer.headers["retry-after"] == "5"
        answer = await client.get(served.pt_url, auth=served.acme.basic)
        assert answer.status_code == 503
        assert "error" in answer.json()

"""Both streaming endpoints end to end: a real server, the embedded broker, real sockets."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime

import httpx
import orjson

from powertrack.delivery import DeliveryConfig, SourceOptions
from powertrack.delivery.connection import SLOW_MESSAGE
from tests.delivery.serving import (
    FAST,
    LineReader,
    produce,
    read_lines,
    records,
    sample_tweets,
    serve,
)

TWEETS = sample_tweets(40)


async def test_powertrack_stream_delivers_activities_with_cursors(kafka_bootstrap: str) -> None:
    async with serve(kafka_bootstrap) as served:
        items = records(TWEETS[:5])
        async with (
            httpx.AsyncClient(timeout=10) as client,
            client.stream(
                "GET", served.pt_url, auth=served.acme.basic, params={"include_cursor": "true"}
            ) as response,
        ):
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("application/json")
            await produce(kafka_bootstrap, served.topics["A"], items)
            lines = await read_lines(response, 5)
    for line, item in zip(lines, items, strict=True):
        assert line.startswith(item.value[:-1] + b',"cursor":"')
        assert orjson.loads(line)["matching_rules"][0] == {"id": 7, "id_str": "7", "tag": "cats"}


async def test_v2_stream_converts_and_honours_fields(kafka_bootstrap: str) -> None:
    async with serve(kafka_bootstrap) as served:
        items = records(TWEETS[:3])
        params = {"tweet.fields": "created_at", "expansions": "author_id", "media.fields": "url"}
        async with (
            httpx.AsyncClient(timeout=10) as client,
            client.stream(
                "GET", served.v2_url, headers=served.acme.bearer, params=params
            ) as response,
        ):
            assert response.status_code == 200
            await produce(kafka_bootstrap, served.topics["A"], items)
            lines = await read_lines(response, 3)
    for line, item in zip(lines, items, strict=True):
        document = orjson.loads(line)
        assert document["data"]["id"] == item.tweet["id_str"]
        assert set(document["data"]) == {
            "id", "text", "edit_history_tweet_ids", "created_at", "author_id"
        }  # fmt: skip
        assert document["includes"]["users"][0]["username"] == item.tweet["user"]["screen_name"]
        assert document["matching_rules"] == [{"id": "7", "tag": "cats"}, {"id": "9", "tag": ""}]


async def test_keepalive_and_gzip(kafka_bootstrap: str) -> None:
    async with (
        serve(kafka_bootstrap) as served,
        httpx.AsyncClient(timeout=10) as client,
        client.stream(
            "GET", served.v2_url, headers={**served.acme.bearer, "Accept-Encoding": "gzip"}
        ) as response,
    ):
        assert response.headers["content-encoding"] == "gzip"
        reader = LineReader(response)
        # Only keep-alives while idle; then a match, decompressed as it arrives.
        await reader.keepalives(2, timeout=2)
        await produce(kafka_bootstrap, served.topics["A"], records(TWEETS[:1]))
        (line,) = await reader.take(1)
    assert orjson.loads(line)["data"]["id"] == TWEETS[0]["id_str"]


async def test_connection_limit_is_enforced_and_freed(kafka_bootstrap: str) -> None:
    async with serve(kafka_bootstrap, limit=1) as served, httpx.AsyncClient(timeout=10) as client:
        async with client.stream("GET", served.v2_url, headers=served.acme.bearer) as first:
            assert first.status_code == 200
            second = await client.get(served.v2_url, headers=served.acme.bearer)
            assert second.status_code == 429
            assert second.json() == {
                "title": "ConnectionException",
                "detail": "This stream is currently at the maximum allowed connection limit.",
                "connection_issue": "TooManyConnections",
                "type": "https://api.twitter.com/2/problems/streaming-connection",
            }
            third = await client.get(served.pt_url, auth=served.acme.basic)
            assert third.status_code == 429
            assert third.json()["error"]["message"].startswith("This stream is currently")
            assert "sent" in third.json()["error"]
        # The server notices the disconnect and gives the slot back.
        for _ in range(50):
            async with client.stream("GET", served.pt_url, auth=served.acme.basic) as again:
                if again.status_code == 200:
                    break
            await asyncio.sleep(0.1)
        assert again.status_code == 200


async def test_a_slow_reader_is_disconnected_and_others_keep_up(kafka_bootstrap: str) -> None:
    config = DeliveryConfig(
        keepalive_seconds=0.3,
        buffer_records=5,
        slow_grace_seconds=10,
        source=SourceOptions(poll_timeout_ms=100),
    )
    async with serve(kafka_bootstrap, config=config) as served:
        # Big records fill the socket buffers of a client that does not read.
        padding = "x" * 60_000
        items = records([{**tweet, "padding": padding} for tweet in sample_tweets(100)])
        slow = socket.socket()
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        host, port = served.url.removeprefix("http://").split(":")
        slow.connect((host, int(port)))
        auth = httpx.BasicAuth(served.acme.name, served.acme.password)
        request = httpx.Request("GET", served.pt_url)
        auth_header = next(auth.auth_flow(request)).headers["Authorization"]
        path = served.pt_url.removeprefix(served.url)
        slow.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {auth_header}\r\n\r\n".encode()
        )
        async with (
            httpx.AsyncClient(timeout=20) as client,
            client.stream("GET", served.pt_url, auth=served.acme.basic) as good,
        ):
            await asyncio.sleep(0.3)
            await produce(kafka_bootstrap, served.topics["A"], items)
            lines = await read_lines(good, len(items), timeout=30)
            assert [orjson.loads(line)["id"] for line in lines] == [i.tweet_id for i in items]
        await asyncio.sleep(1.0)
        slow.settimeout(10)
        received = b""
        while chunk := await asyncio.to_thread(slow.recv, 1 << 20):
            received += chunk
        slow.close()
    assert received.startswith(b"HTTP/1.1 200")
    assert SLOW_MESSAGE.encode() in received
    assert received.count(b'"matching_rules"') < len(items)


async def test_a_replay_range_ends_with_its_summary(kafka_bootstrap: str) -> None:
    async with serve(kafka_bootstrap) as served:
        start = int(datetime.now(UTC).timestamp() * 1000) - 120_000
        items = records(TWEETS[:12], start_ms=start, step_ms=1000)
        await produce(kafka_bootstrap, served.topics["A"], items)
        params = {
            "start_time": datetime.fromtimestamp((start + 3000) / 1000, UTC).isoformat(),
            "end_time": datetime.fromtimestamp((start + 7000) / 1000, UTC).isoformat(),
        }
        async with httpx.AsyncClient(timeout=20) as client:
            response = await client.get(served.v2_url, headers=served.acme.bearer, params=params)
    assert response.status_code == 200
    lines = [orjson.loads(line) for line in response.text.splitlines() if line.strip()]
    assert [line["data"]["id"] for line in lines[:-1]] == [
        item.tweet["id_str"] for item in items[3:8]
    ]
    info = lines[-1]["info"]
    assert info["message"] == "Replay Request Completed"
    assert info["activity_count"] == 5
    assert info["sent"].endswith("Z")


async def test_a_cursor_resumes_right_after_its_line(kafka_bootstrap: str) -> None:
    async with serve(kafka_bootstrap) as served:
        items = records(TWEETS[:8])
        async with httpx.AsyncClient(timeout=10) as client:
            params = {"include_cursor": "true"}
            async with client.stream(
                "GET", served.v2_url, headers=served.acme.bearer, params=params
            ) as response:
                await produce(kafka_bootstrap, served.topics["A"], items[:5])
                first = await read_lines(response, 3)
            cursor = orjson.loads(first[-1])["cursor"]
            await produce(kafka_bootstrap, served.topics["A"], items[5:])
            params["cursor"] = cursor
            async with client.stream(
                "GET", served.v2_url, headers=served.acme.bearer, params=params
            ) as response:
                rest = await read_lines(response, 5)
    ids = [orjson.loads(line)["data"]["id"] for line in first + rest]
    assert ids == [item.tweet["id_str"] for item in items]


async def test_bad_requests_are_refused_with_reasons(kafka_bootstrap: str) -> None:
    async with (
        serve(kafka_bootstrap, config=FAST) as served,
        httpx.AsyncClient(timeout=10) as client,
    ):
        cases = [
            ({"backfillMinutes": "9"}, "Backfill must be 1 to 5"),
            ({"startTime": "yesterday"}, "Invalid startTime"),
            ({"cursor": "not-a-cursor"}, "cursor"),
            ({"endTime": "202401010000"}, "needs a start time or a cursor"),
            ({"include_cursor": "maybe"}, "expected true or false"),
            ({"backfillMinutes": "2", "cursor": "x"}, "only one of"),
        ]
        for params, reason in cases:
            answer = await client.get(served.pt_url, auth=served.acme.basic, params=params)
            assert answer.status_code == 400, params
            assert reason in answer.json()["error"]["message"], answer.json()
        answer = await client.get(
            served.v2_url, headers=served.acme.bearer, params={"tweet.fields": "bogus"}
        )
        assert answer.status_code == 400
        assert answer.json()["errors"][0]["parameters"] == {"tweet.fields": ["bogus"]}
        wrong = httpx.BasicAuth(served.acme.name, "wrong")
        assert (await client.get(served.pt_url, auth=wrong)).status_code == 401
        unauthorized = await client.get(served.v2_url, headers={"Authorization": "Bearer x"})
        assert unauthorized.status_code == 401
        other = served.pt_url.replace(served.acme.name, served.globex.name)
        answer = await client.get(other, auth=served.acme.basic)
        assert answer.status_code == 404
        assert "error" in answer.json()
        # Refused requests hold no lease.
        assert await served.leases.holders(served.acme.name) == []

"""The child processes of ``benchmarks/delivery.py``: API server, filter node, producer, clients.

Each runs in a process of its own so that, on a small machine, the clients'
CPU is not the server's. They talk to the parent in JSON lines on stdout (the
clients also read ``stop`` on stdin); logs go to stderr.

    python benchmarks/delivery_workers.py api SPEC_JSON
    python benchmarks/delivery_workers.py node SPEC_JSON
    python benchmarks/delivery_workers.py produce SPEC_JSON
    python benchmarks/delivery_workers.py clients SPEC_JSON

The producer puts its send time (``time.time_ns()``) in each tweet as the
first member ``"bench_sent"``; a filter node splices the matching rules into
the tweet's bytes and the PowerTrack endpoint delivers them as published, so
the client reads the time back from the line it receives.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import time
from dataclasses import dataclass, field
from itertools import cycle, islice
from pathlib import Path
from typing import Any

import httpx
import orjson

SENT_KEY = b'"bench_sent":'
CURSOR_KEY = b'"cursor":"'
_PACING_INTERVAL = 0.002
_NEWLINE = b"\r\n"


def _emit(document: dict[str, Any]) -> None:
    sys.stdout.write(orjson.dumps(document).decode() + "\n")
    sys.stdout.flush()


# -- the API server -------------------------------------------------------------------------


def run_api(spec: dict[str, Any]) -> None:
    """``serve_api`` with streams on: Kafka set, ZooKeeper when the spec names one."""
    from powertrack.cli.serve import serve_api
    from powertrack.settings import Settings

    fetch_wait = spec.get("fetch_max_wait_ms")
    if fetch_wait is not None:
        spec.setdefault("settings", {})["kafka_fetch_max_wait_ms"] = fetch_wait
    settings = Settings(
        database_url=f"sqlite:///{spec['database']}",
        kafka_bootstrap=spec["bootstrap"],
        firehose_topic=spec["firehose"],
        api_port=spec["port"],
        zookeeper_hosts=spec.get("zookeeper"),
        admin_token=None,
        log_level="WARNING",
        **spec.get("settings", {}),
    )
    asyncio.run(serve_api(settings, migrate=False))


# -- a filter node registered in ZooKeeper -----------------------------------------------------


async def _serve_node(spec: dict[str, Any]) -> None:
    from powertrack.cli.filter import serve_filter
    from powertrack.coordination import ZooKeeperSideRegistry
    from powertrack.filter import FilterConfig
    from powertrack.settings import Settings

    settings = Settings(
        database_url=f"sqlite:///{spec['database']}",
        zookeeper_hosts=spec["zookeeper"],
        admin_token=None,
    )
    fields = dict(spec["config"])
    if spec.get("fetch_max_wait_ms") is not None:
        fields["fetch_max_wait_ms"] = spec["fetch_max_wait_ms"]
    config = FilterConfig(**fields)
    sides = ZooKeeperSideRegistry(
        spec["zookeeper"],
        root=settings.zookeeper_root,
        session_timeout=spec["session_timeout"],
    )
    await sides.start()
    try:
        await serve_filter(settings, config, spec["bootstrap"], sides)
    finally:
        await sides.stop()


def run_node(spec: dict[str, Any]) -> None:
    """``serve_filter`` with its side registered in ZooKeeper, until SIGTERM (or SIGKILL)."""
    asyncio.run(_serve_node(spec))


# -- the firehose producer -------------------------------------------------------------------


def _renumbered(documents: list[dict[str, Any]], count: int, id_base: int) -> list[bytes]:
    """``count`` tweets cycling through ``documents``, each with a fresh id from ``id_base``.

    Fresh ids, as ``firehose replay --new-ids`` gives: a stream drops a tweet
    id it delivered recently as a duplicate.
    """
    out: list[bytes] = []
    for number, document in enumerate(islice(cycle(documents), count)):
        tweet_id = id_base + number
        if "user" in document:
            document["id"] = tweet_id
            document["id_str"] = str(tweet_id)
        else:
            data = document.get("data", document)
            data["id"] = str(tweet_id)
            if "edit_history_tweet_ids" in data:
                data["edit_history_tweet_ids"] = [str(tweet_id)]
        out.append(orjson.dumps(document))
    return out


async def produce(spec: dict[str, Any]) -> dict[str, Any]:
    """Publish ``count`` fresh-id tweets at ``rate`` a second with their send time in them."""
    from powertrack.firehose.sink import kafka_tweet_sink

    lines = Path(spec["corpus"]).read_bytes().splitlines()
    documents = [orjson.loads(line) for line in lines if line.strip()]
    count, rate, id_base = spec["count"], spec["rate"], spec["id_base"]
    bodies = _renumbered(documents, count, id_base)
    sent = 0
    async with kafka_tweet_sink(spec["bootstrap"], spec["topic"]) as sink:
        _emit({"event": "ready"})
        started_at = time.time()
        began = time.monotonic()
        while sent < count:
            due = min(count, int((time.monotonic() - began) * rate) + 1)
            for number in range(sent, due):
                stamp = str(time.time_ns()).encode()
                raw = b"{" + SENT_KEY + stamp + b"," + bodies[number][1:]
                await sink.send(id_base + number, raw)
            sent = due
            await asyncio.sleep(_PACING_INTERVAL)
        sending = time.monotonic() - began
        sent_at = time.time()
        await sink.flush()
    return {
        "event": "produced",
        "sent": sent,
        "send_seconds": sending,
        "tweets_per_second": sent / sending if sending else 0.0,
        "started_at": started_at,
        "sent_at": sent_at,
    }


# -- streaming clients -----------------------------------------------------------------------


@dataclass
class Connection:
    """One streaming connection's account and what it saw."""

    url: str
    user: str
    password: str
    params: dict[str, str]
    expect: int | None = None
    status: int | None = None
    error: str | None = None
    requested: float = 0.0
    connected: float | None = None
    first_line: float | None = None
    done: float | None = None
    lines: int = 0
    endings: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    delivery_ms: list[float] = field(default_factory=list)
    seen: list[tuple[float, int, str]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "error": self.error,
            "requested": self.requested,
            "connected": self.connected,
            "first_line": self.first_line,
            "done": self.done,
            "lines": self.lines,
            "endings": self.endings,
        }


def _line_handler(mode: str, connection: Connection) -> Any:
    from powertrack.delivery import decode_cursor

    def latency(line: bytes, now_ns: int) -> None:
        at = line.find(SENT_KEY, 0, 32)
        if at < 0:
            return
        start = at + len(SENT_KEY)
        end = line.index(b",", start)
        connection.latencies_ms.append(round((now_ns - int(line[start:end])) / 1e6, 2))
        at = line.rfind(CURSOR_KEY)
        if at >= 0:
            start = at + len(CURSOR_KEY)
            matched_at = decode_cursor(line[start : line.index(b'"', start)].decode()).matched_at_ms
            connection.delivery_ms.append(round(now_ns / 1e6 - matched_at, 2))

    def failover(line: bytes, now_ns: int) -> None:
        document = orjson.loads(line)
        data = document.get("data", document)
        side = decode_cursor(document["cursor"]).side
        connection.seen.append((now_ns / 1e9, int(data["id"]), side))

    def count_only(line: bytes, now_ns: int) -> None:
        return None

    return {"latency": latency, "failover": failover}.get(mode, count_only)


async def _read(
    client: httpx.AsyncClient, connection: Connection, mode: str, connected: asyncio.Event
) -> None:
    handle = _line_handler(mode, connection)
    connection.requested = time.time()
    try:
        async with client.stream(
            "GET",
            connection.url,
            params=connection.params,
            auth=(connection.user, connection.password),
            headers={"Accept-Encoding": "identity"},
        ) as response:
            connection.status = response.status_code
            if response.status_code != 200:
                connection.error = (await response.aread()).decode("utf-8", "replace")[:300]
                return
            connection.connected = time.time()
            connected.set()
            rest = b""
            async for chunk in response.aiter_bytes():
                now_ns = time.time_ns()
                parts = (rest + chunk).split(_NEWLINE)
                rest = parts.pop()
                for line in parts:
                    if not line:
                        continue  # a keep-alive
                    if line.startswith((b'{"error"', b'{"errors"', b'{"info"')):
                        connection.endings.append(line.decode("utf-8", "replace")[:200])
                        continue
                    if connection.first_line is None:
                        connection.first_line = now_ns / 1e9
                    connection.lines += 1
                    handle(line, now_ns)
                if connection.expect is not None and connection.lines >= connection.expect:
                    connection.done = time.time()
                    return
    except httpx.HTTPError as error:
        connection.error = repr(error)
    finally:
        connected.set()


async def _stop_requested() -> None:
    """Until the parent writes a line (or closes stdin)."""
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    try:
        await reader.readline()
    finally:
        transport.close()


async def run_clients(spec: dict[str, Any]) -> dict[str, Any]:
    """Open every connection of the spec, report when all answered, read until done or stop."""
    mode: str = spec["mode"]
    connections = [
        Connection(c["url"], c["user"], c["password"], c["params"], c.get("expect"))
        for c in spec["connections"]
    ]
    timeout = httpx.Timeout(30.0, read=spec.get("read_timeout", 60.0))
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
    events = [asyncio.Event() for _ in connections]
    async with httpx.AsyncClient(timeout=timeout, limits=limits) as client:
        readers = [
            asyncio.create_task(_read(client, c, mode, e))
            for c, e in zip(connections, events, strict=True)
        ]
        await asyncio.gather(*(e.wait() for e in events))
        statuses: dict[str, int] = {}
        for c in connections:
            statuses[str(c.status)] = statuses.get(str(c.status), 0) + 1
        _emit({"event": "connected", "t": time.time(), "statuses": statuses})
        stopper = asyncio.create_task(_stop_requested())
        reporter = asyncio.create_task(_report_first_line(connections))
        everything = asyncio.ensure_future(asyncio.wait(readers))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.wait({stopper, everything}, return_when=asyncio.FIRST_COMPLETED),
                spec["timeout"],
            )
        stopped = time.time()
        for task in (*readers, reporter, stopper):
            task.cancel()
        await asyncio.gather(*readers, reporter, stopper, return_exceptions=True)
    result: dict[str, Any] = {
        "event": "result",
        "stopped": stopped,
        "cpu_seconds": time.process_time(),
        "connections": [c.summary() for c in connections],
    }
    if mode == "latency":
        result["latencies_ms"] = [x for c in connections for x in c.latencies_ms]
        result["delivery_ms"] = [x for c in connections for x in c.delivery_ms]
    if mode == "failover":
        result["seen"] = [s for c in connections for s in c.seen]
    return result


async def _report_first_line(connections: list[Connection]) -> None:
    while not any(c.first_line for c in connections):
        await asyncio.sleep(0.02)
    _emit({"event": "first_line", "t": min(c.first_line or 1e20 for c in connections)})
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["api", "node", "produce", "clients"])
    parser.add_argument("spec", help="the worker's settings as JSON")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    spec: dict[str, Any] = orjson.loads(args.spec)
    if args.command == "api":
        run_api(spec)
    elif args.command == "node":
        run_node(spec)
    elif args.command == "produce":
        _emit(asyncio.run(produce(spec)))
    else:
        _emit(asyncio.run(run_clients(spec)))


if __name__ == "__main__":
    main()

"""Filter nodes end to end on a real broker: firehose in, per-customer topics out."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import orjson

from powertrack.broker import Broker, Side
from powertrack.filter.config import FilterConfig
from powertrack.matches import header
from powertrack.store import SQLiteRuleStore
from tests.filter.pipeline import (
    OTHER_STACK,
    Matches,
    consumed,
    deploy,
    produce,
    read_topic,
    received,
    running,
    sample_tweets,
    wait_for,
)


async def test_every_match_reaches_its_stream_topic_once_per_side(
    broker: Broker, tmp_path: Path
) -> None:
    store = SQLiteRuleStore(tmp_path / "rules.db")
    deployment = await deploy(store)
    tweets = sample_tweets(300)
    await produce(broker, deployment.firehose, tweets)
    configs = [
        deployment.config("A", "main"),
        deployment.config("A", OTHER_STACK),
        deployment.config("B", "main"),
    ]
    async with (
        running(configs[0], store, broker) as a_main,
        running(configs[1], store, broker) as a_other,
        running(configs[2], store, broker) as b_main,
    ):
        nodes = [a_main, a_other, b_main]
        await wait_for(lambda: all(consumed(n) == len(tweets) for n in nodes), 20, "the firehose")
    for node in nodes:
        assert node.counters.dead_letters == 0
        assert node.counters.published == node.counters.matches
    assert a_main.stream_ids == {s.id for s in deployment.on_stack("main")}

    sides: list[tuple[Side, str]] = [("A", "main"), ("A", OTHER_STACK), ("B", "main")]
    for side, stack in sides:
        for stream in deployment.on_stack(stack):
            expected = stream.expected(tweets)
            assert expected, f"the sample rules match nothing in {stream.label}"
            matches, copies = received(
                await read_topic(broker.bootstrap_servers, stream.topic(side))
            )
            assert matches == expected, (side, stream.account, stream.label)
            assert set(copies.values()) == {1}
    # Side B runs no node for the other stack: nothing of it is published on B.
    other = deployment.on_stack(OTHER_STACK)[0]
    assert await read_topic(broker.bootstrap_servers, other.topic("B")) == []
    await store.close()


POISON = [
    b"this is not JSON",
    b'{"delete": {"status": {"id": 1, "id_str": "1"}}}\n',
    b"[1, 2, 3]",
    b'{"id_str": "5", "user": {"id_str": "6"}}',  # no text
]


async def test_unreadable_messages_go_to_the_dead_letter_topic(
    broker: Broker, tmp_path: Path
) -> None:
    store = SQLiteRuleStore(tmp_path / "rules.db")
    deployment = await deploy(store)
    tweets = sample_tweets(120)
    firehose = tweets[:40] + POISON[:2] + tweets[40:80] + POISON[2:] + tweets[80:]
    await produce(broker, deployment.firehose, firehose)
    config = deployment.config("A", "main")
    async with running(config, store, broker) as node:
        await wait_for(lambda: consumed(node) == len(firehose), 20, "the firehose")
    assert node.counters.dead_letters == len(POISON)
    assert node.counters.tweets == len(tweets)

    dead = await read_topic(broker.bootstrap_servers, config.dead_letters)
    assert sorted(record.value for record in dead) == sorted(POISON)
    for record in dead:
        error = header(record.headers, "error")
        assert error, record.value
        assert (header(record.headers, "firehose_offset") or b"").isdigit()
        assert (header(record.headers, "firehose_partition") or b"").isdigit()
    errors = {header(r.headers, "error") or b"" for r in dead}
    assert any(b"not JSON" in e for e in errors)
    assert any(b"delete" in e for e in errors)
    # Tweets after the poison were matched as usual.
    for stream in deployment.on_stack("main"):
        matches, _ = received(await read_topic(broker.bootstrap_servers, stream.topic("A")))
        assert matches == stream.expected(tweets)
    await store.close()


async def test_a_stopped_node_commits_so_its_successor_reads_nothing_again(
    broker: Broker, tmp_path: Path
) -> None:
    store = SQLiteRuleStore(tmp_path / "rules.db")
    deployment = await deploy(store)
    tweets = sample_tweets(200)
    await produce(broker, deployment.firehose, tweets)
    config = deployment.config("A", "main")
    async with running(config, store, broker) as first:
        await wait_for(lambda: consumed(first) == len(tweets), 20, "the firehose")
    assert first.counters.commits >= 1

    async with running(config, store, broker) as second:
        await wait_for(lambda: second.assignment, 20, "a partition assignment")
        await asyncio.sleep(1.0)
    assert consumed(second) == 0

    # What comes later is read by the successor, and only that.
    more = sample_tweets(260)[200:]
    await produce(broker, deployment.firehose, more)
    async with running(config, store, broker) as third:
        await wait_for(lambda: consumed(third) == len(more), 20, "the new tweets")
    for stream in deployment.on_stack("main"):
        matches, copies = received(await read_topic(broker.bootstrap_servers, stream.topic("A")))
        assert matches == stream.expected(tweets + more)
        assert set(copies.values()) == {1}
    await store.close()


async def test_streams_moved_to_the_stack_are_matched_while_running(
    broker: Broker, tmp_path: Path
) -> None:
    store = SQLiteRuleStore(tmp_path / "rules.db")
    deployment = await deploy(store)
    initech = deployment.on_stack(OTHER_STACK)[0]
    tweets = sample_tweets(300)
    config = deployment.config("A", "main")
    async with running(config, store, broker) as node:
        assert initech.id not in node.stream_ids
        await produce(broker, deployment.firehose, tweets[:150])
        await wait_for(lambda: consumed(node) == 150, 20, "the first tweets")
        account = await store.get_account(initech.account)
        await store.set_account_stack(account.id, "main")
        await wait_for(lambda: initech.id in node.stream_ids, 10, "the moved stream")
        await produce(broker, deployment.firehose, tweets[150:])
        await wait_for(lambda: consumed(node) == 300, 20, "the later tweets")
    matches, _ = received(await read_topic(broker.bootstrap_servers, initech.topic("A")))
    assert matches == initech.expected(tweets[150:])
    assert matches, "the moved stream's rules match none of the later tweets"
    await store.close()


def _start_node(config: FilterConfig, bootstrap: str, database: Path) -> subprocess.Popen[bytes]:
    fields = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    env = {**os.environ, "POWERTRACK_DATABASE_URL": f"sqlite:///{database}"}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.filter.run_node", orjson.dumps(fields).decode(), bootstrap],
        cwd=Path(__file__).parents[2],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def test_a_node_killed_mid_stream_loses_no_match(broker: Broker, tmp_path: Path) -> None:
    database = tmp_path / "rules.db"
    store = SQLiteRuleStore(database)
    deployment = await deploy(store)
    tweets = sample_tweets(1500)
    config = deployment.config("A", "main")
    streams = deployment.on_stack("main")
    expected = {stream.id: stream.expected(tweets) for stream in streams}
    bootstrap = broker.bootstrap_servers

    # The second half is fed only once the first node is dead, so that it
    # dies mid-stream however fast it matches, and the second node must
    # pick up where it left off.
    killed = asyncio.Event()

    async def feed() -> None:
        for start in range(0, len(tweets), 100):
            if start == 800:
                await killed.wait()
            await produce(broker, deployment.firehose, tweets[start : start + 100])
            await asyncio.sleep(0.1)

    async def published() -> dict[int, tuple[Matches, Counter[str]]]:
        return {s.id: received(await read_topic(bootstrap, s.topic("A"))) for s in streams}

    feeding = asyncio.create_task(feed())
    first = _start_node(config, bootstrap, database)
    try:
        await wait_for(
            lambda: read_topic(bootstrap, streams[0].topic("A")), 20, "the first matches"
        )
        first.kill()
        assert first.wait(10) == -signal.SIGKILL
        killed.set()
        killed_at = sum(len(m) for m, _ in (await published()).values())
        second = _start_node(config, bootstrap, database)
        try:
            await feeding

            async def complete() -> bool:
                now = await published()
                return all(now[s.id][0] == expected[s.id] for s in streams)

            await wait_for(complete, 25, "every expected match")
        finally:
            second.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.to_thread(second.communicate, None, 20)
        assert second.returncode == 0, stderr.decode()[-3000:]
    finally:
        feeding.cancel()
        if first.poll() is None:
            first.kill()
    assert killed_at < sum(len(e) for e in expected.values()), "killed after the end"
    duplicates = {
        f"{s.account}/{s.label}": sum(copies.values()) - len(copies)
        for s, (_, copies) in zip(streams, (await published()).values(), strict=True)
    }
    print(f"matches when killed: {killed_at}; duplicates after the restart: {duplicates}")
    await store.close()


async def test_a_node_asked_to_stop_while_it_starts_exits_cleanly(
    broker: Broker, tmp_path: Path
) -> None:
    # SIGTERM as soon as the node says it is starting: it is then connecting
    # to the broker and the store, and must still stop as asked.
    database = tmp_path / "rules.db"
    store = SQLiteRuleStore(database)
    deployment = await deploy(store)
    node = _start_node(deployment.config("A", "main"), broker.bootstrap_servers, database)
    assert node.stderr is not None
    seen: list[bytes] = []
    try:
        while not any(b"stack main starting" in line for line in seen):
            line = await asyncio.to_thread(node.stderr.readline)
            assert line, b"".join(seen).decode()[-3000:]
            seen.append(line)
        node.send_signal(signal.SIGTERM)
        rest = await asyncio.to_thread(node.stderr.read)
        code = await asyncio.to_thread(node.wait, 30)
    finally:
        if node.poll() is None:
            node.kill()
    log = (b"".join(seen) + rest).decode()
    assert code == 0, log[-3000:]
    await store.close()

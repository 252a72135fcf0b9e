"""ZooKeeper specifics: failures, reconnection, the znode itself."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import pytest
from kazoo.client import KazooClient

from powertrack.coordination import (
    CoordinationError,
    CoordinationUnavailableError,
    LocalZooKeeper,
    ZooKeeperRuleChangeSignal,
    ZooKeeperServerError,
)
from powertrack.coordination.server import _free_port

WAIT = 10.0


def _root() -> str:
    return f"/test-{uuid.uuid4().hex}"


def test_a_dead_server_fails_start_quickly() -> None:
    signal = ZooKeeperRuleChangeSignal(f"127.0.0.1:{_free_port()}", timeout=0.5)
    started = time.monotonic()
    with pytest.raises(CoordinationUnavailableError, match="Could not connect"):
        asyncio.run(signal.start())
    assert time.monotonic() - started < 5


def test_use_before_start_is_an_error() -> None:
    signal = ZooKeeperRuleChangeSignal("127.0.0.1:1")
    with pytest.raises(CoordinationError, match="not started"):
        asyncio.run(signal.notify())
    with pytest.raises(CoordinationError, match="not started"):
        signal.changes()


def test_notify_writes_the_version_znode(zookeeper_hosts: str) -> None:
    root = _root()
    signal = ZooKeeperRuleChangeSignal(zookeeper_hosts, root)
    assert signal.path == f"{root}/rules/version"

    async def main() -> None:
        await signal.start()
        try:
            await signal.notify()
            await signal.notify()
        finally:
            await signal.stop()

    asyncio.run(main())
    client = KazooClient(hosts=zookeeper_hosts)
    client.start(timeout=WAIT)
    try:
        _, stat = client.get(signal.path)
        assert stat.version == 2
    finally:
        client.stop()
        client.close()


def test_notify_recreates_a_deleted_znode(zookeeper_hosts: str) -> None:
    signal = ZooKeeperRuleChangeSignal(zookeeper_hosts, _root())
    client = KazooClient(hosts=zookeeper_hosts)

    async def main() -> None:
        await signal.start()
        try:
            changes = signal.changes()
            await anext(changes)
            await asyncio.to_thread(client.delete, signal.path)
            # The deletion itself wakes the watcher: the log may have moved.
            await asyncio.wait_for(anext(changes), WAIT)
            await signal.notify()
            assert await asyncio.wait_for(anext(changes), WAIT) == 1
        finally:
            await signal.stop()

    client.start(timeout=WAIT)
    try:
        asyncio.run(main())
    finally:
        client.stop()
        client.close()


def test_reconnects_after_the_server_restarts(zookeeper_server: LocalZooKeeper) -> None:
    root = _root()
    # A client that connects while the server is still starting can wait a
    # whole session timeout for its handshake: keep that to the server's minimum.
    options = {"timeout": 1.0, "session_timeout": 4.0}
    node = ZooKeeperRuleChangeSignal(zookeeper_server.hosts, root, **options)
    api = ZooKeeperRuleChangeSignal(zookeeper_server.hosts, root, **options)

    async def main() -> None:
        await node.start()
        await api.start()
        try:
            changes = node.changes()
            first = await anext(changes)
            await asyncio.to_thread(zookeeper_server.stop, kill=True)
            async with asyncio.timeout(WAIT):
                while api.connected:
                    await asyncio.sleep(0.01)
            with pytest.raises(CoordinationUnavailableError):
                await api.notify()
            await asyncio.to_thread(zookeeper_server.start)
            # Back: the watcher is told to look at the log, changed or not.
            assert await asyncio.wait_for(anext(changes), WAIT) >= first
            assert node.connected
            async with asyncio.timeout(WAIT):
                while not api.connected:
                    await asyncio.sleep(0.01)
            await api.notify()
            value = await asyncio.wait_for(anext(changes), WAIT)
            while value < first + 1:
                value = await asyncio.wait_for(anext(changes), WAIT)
        finally:
            await api.stop()
            await node.stop()

    asyncio.run(main())


def test_missing_zookeeper_is_reported(tmp_path: Path) -> None:
    server = LocalZooKeeper(tmp_path, jar=tmp_path / "missing.jar")
    with pytest.raises(ZooKeeperServerError, match="not installed"):
        server.start()


def test_a_server_that_exits_is_reported_with_its_log(tmp_path: Path) -> None:
    # Not a jar at all: the JVM exits at once.
    bogus = tmp_path / "zookeeper.jar"
    bogus.write_text("not a jar")
    server = LocalZooKeeper(tmp_path, jar=bogus, startup_timeout=20)
    with pytest.raises(ZooKeeperServerError, match="exited"):
        server.start()
    assert not server.running

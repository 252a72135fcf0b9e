"""Connection leases: the contract both managers meet, then ZooKeeper's failures.

A "server" stands for one API server: for ZooKeeper each has a client and
session of its own; in-process, every server is the one shared manager.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from powertrack.coordination import (
    CoordinationError,
    CoordinationUnavailableError,
    LeaseManager,
    LocalLeaseManager,
    LocalZooKeeper,
    TooManyConnectionsError,
    ZooKeeperLeaseManager,
)
from tests.coordination.zk_helpers import (
    EXPIRY_WAIT,
    SESSION_TIMEOUT,
    WAIT,
    Cluster,
    eventually,
    expire_session,
    kill,
    scenario_runner,
    start_child,
    unique_root,
)

Scenario = Callable[[Cluster[LeaseManager]], Coroutine[Any, Any, None]]


@pytest.fixture(params=["local", "zookeeper"])
def run(request: pytest.FixtureRequest) -> Callable[[Scenario], None]:
    """Run a scenario against a fresh cluster of the parametrized implementation."""
    return scenario_runner(request, LocalLeaseManager, ZooKeeperLeaseManager)


def test_the_limit_holds_across_servers(run: Callable[[Scenario], None]) -> None:
    async def scenario(cluster: Cluster[LeaseManager]) -> None:
        east, west = await cluster.member(), await cluster.member()
        assert east.available
        await east.acquire("acme", 2, "east-1")
        await west.acquire("acme", 2, "west-1")
        for server in (east, west):
            with pytest.raises(TooManyConnectionsError) as refused:
                await server.acquire("acme", 2, "one-too-many")
            assert (refused.value.account, refused.value.limit) == ("acme", 2)
        assert await east.holders("acme") == ["east-1", "west-1"]
        assert await west.holders("acme") == ["east-1", "west-1"]

    run(scenario)


def test_release_frees_a_slot_once(run: Callable[[Scenario], None]) -> None:
    async def scenario(cluster: Cluster[LeaseManager]) -> None:
        east, west = await cluster.member(), await cluster.member()
        first = await east.acquire("acme", 1, "first")
        await first.release()
        await first.release()
        assert first.released
        await west.acquire("acme", 1, "second")
        # The second release above must not have freed the second's slot.
        with pytest.raises(TooManyConnectionsError):
            await east.acquire("acme", 1, "third")
        assert await east.holders("acme") == ["second"]

    run(scenario)


def test_a_lease_is_a_context_manager(run: Callable[[Scenario], None]) -> None:
    async def scenario(cluster: Cluster[LeaseManager]) -> None:
        server = await cluster.member()
        async with await server.acquire("acme", 1, "stream") as lease:
            assert lease.holder == "stream"
            assert await server.holders("acme") == ["stream"]
        assert lease.released
        assert await server.holders("acme") == []
        await (await server.acquire("acme", 1, "next")).release()

    run(scenario)


def test_accounts_are_independent(run: Callable[[Scenario], None]) -> None:
    async def scenario(cluster: Cluster[LeaseManager]) -> None:
        east, west = await cluster.member(), await cluster.member()
        await east.acquire("acme", 1, "acme-stream")
        await west.acquire("globex", 1, "globex-stream")
        with pytest.raises(TooManyConnectionsError):
            await west.acquire("acme", 1, "acme-again")
        assert await west.holders("globex") == ["globex-stream"]
        assert await west.holders("initech") == []

    run(scenario)


def test_a_changed_limit_applies_to_the_next_connection(run: Callable[[Scenario], None]) -> None:
    async def scenario(cluster: Cluster[LeaseManager]) -> None:
        east, west = await cluster.member(), await cluster.member()
        first = await east.acquire("acme", 1, "first")
        # Raised: room for one more at once.
        second = await west.acquire("acme", 2, "second")
        # Lowered below what is open: nobody is cut off, newcomers are refused.
        with pytest.raises(TooManyConnectionsError):
            await east.acquire("acme", 1, "third")
        await first.release()
        with pytest.raises(TooManyConnectionsError):
            await west.acquire("acme", 1, "third")
        assert not second.lost.is_set()
        await second.release()
        await east.acquire("acme", 1, "third")

    run(scenario)


def test_a_zero_limit_refuses_and_bad_names_are_rejected(
    run: Callable[[Scenario], None],
) -> None:
    async def scenario(cluster: Cluster[LeaseManager]) -> None:
        server = await cluster.member()
        with pytest.raises(TooManyConnectionsError):
            await server.acquire("acme", 0, "stream")
        with pytest.raises(ValueError, match="account"):
            await server.acquire("../etc", 1, "stream")
        with pytest.raises(ValueError, match="negative"):
            await server.acquire("acme", -1, "stream")

    run(scenario)


def test_a_stopped_server_frees_its_leases(run: Callable[[Scenario], None]) -> None:
    async def scenario(cluster: Cluster[LeaseManager]) -> None:
        east, west = await cluster.member(), await cluster.member()
        lease = await east.acquire("acme", 1, "east")
        # No release: the server goes away holding it.
        await east.stop()
        assert lease.lost.is_set()
        await west.start()
        await west.acquire("acme", 1, "west")

    run(scenario)


def test_use_before_start_is_an_error() -> None:
    manager = ZooKeeperLeaseManager("127.0.0.1:1")
    assert not manager.available
    with pytest.raises(CoordinationError, match="not started"):
        asyncio.run(manager.acquire("acme", 1, "stream"))


_HOLDER = """
import asyncio, sys
from powertrack.coordination import ZooKeeperLeaseManager

async def main():
    manager = ZooKeeperLeaseManager(sys.argv[1], sys.argv[2], session_timeout=float(sys.argv[3]))
    await manager.start()
    await manager.acquire("acme", 1, "doomed")
    print("ready", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


async def test_a_dead_servers_leases_expire_with_its_session(zookeeper_hosts: str) -> None:
    root = unique_root()
    child = await start_child(_HOLDER, zookeeper_hosts, root, str(SESSION_TIMEOUT))
    survivor = ZooKeeperLeaseManager(zookeeper_hosts, root)
    await survivor.start()
    try:
        assert await survivor.holders("acme") == ["doomed"]
        kill(child)
        async with asyncio.timeout(EXPIRY_WAIT):
            while True:
                try:
                    await survivor.acquire("acme", 1, "survivor")
                    break
                except TooManyConnectionsError:
                    await asyncio.sleep(0.1)
        assert await survivor.holders("acme") == ["survivor"]
    finally:
        kill(child)
        await survivor.stop()


async def test_a_lost_session_loses_its_leases_and_recovers(zookeeper_hosts: str) -> None:
    root = unique_root()
    east = ZooKeeperLeaseManager(zookeeper_hosts, root)
    west = ZooKeeperLeaseManager(zookeeper_hosts, root)
    await east.start()
    await west.start()
    try:
        lease = await east.acquire("acme", 1, "east")
        await asyncio.to_thread(expire_session, zookeeper_hosts, east._client)
        await asyncio.wait_for(lease.lost.wait(), WAIT)
        await lease.release()  # a no-op now, and harmless
        await eventually(lambda: east.available)
        # The expired session took the lease with it: the slot is free.
        await west.acquire("acme", 1, "west")
        with pytest.raises(TooManyConnectionsError):
            await east.acquire("acme", 1, "east-again")
    finally:
        await west.stop()
        await east.stop()


async def test_refuses_while_zookeeper_is_down_and_recovers(
    zookeeper_server: LocalZooKeeper,
) -> None:
    manager = ZooKeeperLeaseManager(
        zookeeper_server.hosts, unique_root(), timeout=1.0, session_timeout=SESSION_TIMEOUT
    )
    await manager.start()
    try:
        lease = await manager.acquire("acme", 1, "before")
        await asyncio.to_thread(zookeeper_server.stop, kill=True)
        await eventually(lambda: not manager.available)
        started = time.monotonic()
        with pytest.raises(CoordinationUnavailableError, match="no new connection"):
            await manager.acquire("globex", 1, "during")
        assert time.monotonic() - started < 0.5
        # Suspended for a whole session timeout: ZooKeeper may have let it go.
        await asyncio.wait_for(lease.lost.wait(), SESSION_TIMEOUT + WAIT)
        await asyncio.to_thread(zookeeper_server.start)
        await eventually(lambda: manager.available, SESSION_TIMEOUT + WAIT)
        # Whether the session survived the restart or not, the lost lease's
        # slot is free again.
        await manager.acquire("acme", 1, "after")
        assert await manager.holders("acme") == ["after"]
    finally:
        await manager.stop()

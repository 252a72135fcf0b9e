"""Side liveness: the contract both registries meet, then ZooKeeper's failures.

A "member" stands for one process (a filter node or an API server): for
ZooKeeper each has a session of its own; in-process, all share one registry.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import pytest
from kazoo.client import KazooClient

from powertrack.broker.topics import Side
from powertrack.coordination import (
    CoordinationError,
    LocalSideRegistry,
    SideRegistry,
    ZooKeeperSideRegistry,
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

NONE: frozenset[Side] = frozenset()
A: frozenset[Side] = frozenset({"A"})
BOTH: frozenset[Side] = frozenset({"A", "B"})


Scenario = Callable[[Cluster[SideRegistry]], Coroutine[Any, Any, None]]


@pytest.fixture(params=["local", "zookeeper"])
def run(request: pytest.FixtureRequest) -> Callable[[Scenario], None]:
    """Run a scenario against a fresh cluster of the parametrized implementation."""
    return scenario_runner(request, LocalSideRegistry, ZooKeeperSideRegistry)


async def next_sides(changes: AsyncIterator[frozenset[Side]]) -> frozenset[Side]:
    return await asyncio.wait_for(anext(changes), WAIT)


async def until(changes: AsyncIterator[frozenset[Side]], wanted: frozenset[Side]) -> None:
    """Read changes until ``wanted`` (in-between states may coalesce away)."""
    while await next_sides(changes) != wanted:
        pass


def test_registered_sides_are_healthy_everywhere(run: Callable[[Scenario], None]) -> None:
    async def scenario(cluster: Cluster[SideRegistry]) -> None:
        node_a, node_b, api = await cluster.member(), await cluster.member(), await cluster.member()
        changes = api.changes()
        assert await next_sides(changes) == NONE
        await node_a.register("A", "a-1")
        assert await next_sides(changes) == A
        await node_b.register("B", "b-1")
        assert await next_sides(changes) == BOTH
        assert api.healthy() == BOTH

    run(scenario)


def test_a_side_stays_healthy_while_one_node_is_left(run: Callable[[Scenario], None]) -> None:
    async def scenario(cluster: Cluster[SideRegistry]) -> None:
        first, second, api = await cluster.member(), await cluster.member(), await cluster.member()
        await first.register("A", "a-1")
        await second.register("A", "a-2")
        await second.register("B", "b-1")
        changes = api.changes()
        await until(changes, BOTH)
        await first.deregister("A", "a-1")
        await second.deregister("B", "b-1")
        await until(changes, A)
        await second.deregister("A", "a-2")
        assert await next_sides(changes) == NONE
        assert api.healthy() == NONE

    run(scenario)


def test_changes_stay_quiet_without_a_change(run: Callable[[Scenario], None]) -> None:
    async def scenario(cluster: Cluster[SideRegistry]) -> None:
        node, api = await cluster.member(), await cluster.member()
        await node.register("A", "a-1")
        changes = api.changes()
        await until(changes, A)
        # A second node on a healthy side changes nothing a stream cares about.
        await node.register("A", "a-2")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(anext(changes), 0.3)

    run(scenario)


def test_stop_ends_the_iterators(run: Callable[[Scenario], None]) -> None:
    async def scenario(cluster: Cluster[SideRegistry]) -> None:
        api = await cluster.member()
        changes = api.changes()
        await next_sides(changes)
        waiting = asyncio.ensure_future(anext(changes, None))
        await asyncio.sleep(0.01)
        await api.stop()
        assert await asyncio.wait_for(waiting, WAIT) is None

    run(scenario)


def test_bad_registrations_are_rejected(run: Callable[[Scenario], None]) -> None:
    async def scenario(cluster: Cluster[SideRegistry]) -> None:
        node = await cluster.member()
        with pytest.raises(ValueError, match="side"):
            await node.register("C", "c-1")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="node id"):
            await node.register("A", "a/1")

    run(scenario)


def test_use_before_start_is_an_error() -> None:
    registry = ZooKeeperSideRegistry("127.0.0.1:1")
    with pytest.raises(CoordinationError, match="not started"):
        asyncio.run(registry.register("A", "a-1"))
    with pytest.raises(CoordinationError, match="not started"):
        registry.changes()


async def test_a_stopped_node_drops_out(zookeeper_hosts: str) -> None:
    root = unique_root()
    node = ZooKeeperSideRegistry(zookeeper_hosts, root)
    api = ZooKeeperSideRegistry(zookeeper_hosts, root)
    await node.start()
    await api.start()
    try:
        await node.register("B", "b-1")
        changes = api.changes()
        await until(changes, frozenset({"B"}))
        await node.stop()
        assert await next_sides(changes) == NONE
    finally:
        await api.stop()
        await node.stop()


_NODE = """
import asyncio, sys
from powertrack.coordination import ZooKeeperSideRegistry

async def main():
    registry = ZooKeeperSideRegistry(sys.argv[1], sys.argv[2], session_timeout=float(sys.argv[3]))
    await registry.start()
    await registry.register("A", "doomed")
    print("ready", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


async def test_a_side_whose_nodes_die_drops_out(zookeeper_hosts: str) -> None:
    root = unique_root()
    api = ZooKeeperSideRegistry(zookeeper_hosts, root)
    await api.start()
    child = await start_child(_NODE, zookeeper_hosts, root, str(SESSION_TIMEOUT))
    try:
        changes = api.changes()
        await until(changes, A)
        kill(child)
        assert await asyncio.wait_for(anext(changes), EXPIRY_WAIT) == NONE
    finally:
        kill(child)
        await api.stop()


async def test_registrations_come_back_after_a_lost_session(zookeeper_hosts: str) -> None:
    root = unique_root()
    node = ZooKeeperSideRegistry(zookeeper_hosts, root)
    await node.start()
    observer = KazooClient(hosts=zookeeper_hosts)
    await asyncio.to_thread(observer.start, WAIT)
    try:
        await node.register("A", "a-1")
        old_session = node._client.client_id[0]
        await asyncio.to_thread(expire_session, zookeeper_hosts, node._client)

        def owner() -> int | None:
            stat = observer.exists(node.path("A", "a-1"))
            return None if stat is None else int(stat.ephemeralOwner)

        async def reregistered() -> None:
            while await asyncio.to_thread(owner) in {None, old_session}:
                await asyncio.sleep(0.05)

        await asyncio.wait_for(reregistered(), WAIT)
        assert owner() == node._client.client_id[0]
        await eventually(lambda: node.healthy() == A)
    finally:
        await asyncio.to_thread(observer.stop)
        observer.close()
        await node.stop()

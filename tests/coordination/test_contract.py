"""The contract every RuleChangeSignal meets, run against each implementation.

A "member" stands for one process: for ZooKeeper each member is a client of
its own; in-process, every member is the one shared signal, as the API and the
filter nodes share it in an embedded run.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import pytest

from powertrack.coordination import (
    LocalRuleChangeSignal,
    RuleChangeSignal,
    ZooKeeperRuleChangeSignal,
)
from tests.coordination.zk_helpers import Cluster, scenario_runner

WAIT = 10.0  # generous: only a broken signal takes this long
QUIET = 0.3  # how long "nothing more arrives" is watched for


Scenario = Callable[[Cluster[RuleChangeSignal]], Coroutine[Any, Any, None]]


@pytest.fixture(params=["local", "zookeeper"])
def run(request: pytest.FixtureRequest) -> Callable[[Scenario], None]:
    """Run a scenario against a fresh cluster of the parametrized implementation."""
    return scenario_runner(request, LocalRuleChangeSignal, ZooKeeperRuleChangeSignal)


async def next_value(changes: AsyncIterator[int]) -> int:
    return await asyncio.wait_for(anext(changes), WAIT)


async def nothing_more(changes: AsyncIterator[int]) -> bool:
    try:
        await asyncio.wait_for(anext(changes), QUIET)
    except TimeoutError:
        return True
    return False


def test_changes_yields_at_once(run: Callable[[Scenario], None]) -> None:
    async def scenario(cluster: Cluster[RuleChangeSignal]) -> None:
        node = await cluster.member()
        await next_value(node.changes())

    run(scenario)


def test_a_bump_reaches_another_member(run: Callable[[Scenario], None]) -> None:
    async def scenario(cluster: Cluster[RuleChangeSignal]) -> None:
        api, node = await cluster.member(), await cluster.member()
        changes = node.changes()
        first = await next_value(changes)
        await api.notify()
        assert await next_value(changes) > first
        await api.notify()
        assert await next_value(changes) == first + 2

    run(scenario)


def test_bumps_coalesce_for_a_slow_watcher(run: Callable[[Scenario], None]) -> None:
    async def scenario(cluster: Cluster[RuleChangeSignal]) -> None:
        api, node = await cluster.member(), await cluster.member()
        slow, probe = node.changes(), node.changes()
        first = await next_value(slow)
        await next_value(probe)
        for _ in range(10):
            await api.notify()
        # Once the probe has seen the last bump, so has everything the slow
        # watcher could be woken by.
        while await next_value(probe) != first + 10:
            pass
        assert await next_value(slow) == first + 10
        assert await nothing_more(slow)

    run(scenario)


def test_every_watcher_sees_a_bump(run: Callable[[Scenario], None]) -> None:
    async def scenario(cluster: Cluster[RuleChangeSignal]) -> None:
        api, node, other = await cluster.member(), await cluster.member(), await cluster.member()
        watchers = [node.changes(), node.changes(), other.changes()]
        firsts = [await next_value(changes) for changes in watchers]
        await api.notify()
        for changes, first in zip(watchers, firsts, strict=True):
            assert await next_value(changes) > first

    run(scenario)


def test_no_bump_no_value(run: Callable[[Scenario], None]) -> None:
    async def scenario(cluster: Cluster[RuleChangeSignal]) -> None:
        node = await cluster.member()
        changes = node.changes()
        await next_value(changes)
        assert await nothing_more(changes)

    run(scenario)


def test_stop_ends_the_iterators(run: Callable[[Scenario], None]) -> None:
    async def scenario(cluster: Cluster[RuleChangeSignal]) -> None:
        node = await cluster.member()
        first, second = node.changes(), node.changes()
        await next_value(first)
        await next_value(second)
        waiting = asyncio.ensure_future(anext(second, None))
        await asyncio.sleep(0.01)
        await node.stop()
        assert await asyncio.wait_for(anext(first, None), WAIT) is None
        assert await asyncio.wait_for(waiting, WAIT) is None

    run(scenario)

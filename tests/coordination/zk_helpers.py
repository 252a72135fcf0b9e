"""Ways for ZooKeeper tests to kill sessions and processes, as production does,
and the harness that runs one contract scenario on both implementations."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from collections.abc import Callable, Coroutine
from typing import Any, Generic, Protocol, TypeVar

import pytest
from kazoo.client import KazooClient

WAIT = 10.0
# ZooKeeper's smallest session timeout with the test server's 2 s tick.
SESSION_TIMEOUT = 4.0
# A dead process's session expires within a session timeout or two ticks more.
EXPIRY_WAIT = SESSION_TIMEOUT + 8.0


class Service(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


S = TypeVar("S", bound=Service)


class Cluster(Generic[S]):
    """The instances a scenario started (one per "server"), stopped at its end."""

    def __init__(self, make: Callable[[], S]) -> None:
        self._make = make
        self._members: list[S] = []

    async def member(self) -> S:
        service = self._make()
        await service.start()
        self._members.append(service)
        return service

    async def close(self) -> None:
        for service in self._members:
            await service.stop()


def scenario_runner(
    request: pytest.FixtureRequest,
    local: Callable[[], S],
    zookeeper: Callable[[str, str], S],
) -> Callable[[Callable[[Cluster[S]], Coroutine[Any, Any, None]]], None]:
    """Run a scenario against a fresh cluster of the implementation ``request``
    names: ``"local"`` shares one in-process instance among all members (they
    are one process), ``"zookeeper"`` gives each its own client on a fresh root
    of the session's server."""
    if request.param == "local":
        shared = local()

        def make() -> S:
            return shared
    else:
        hosts: str = request.getfixturevalue("zookeeper_hosts")
        root = unique_root()

        def make() -> S:
            return zookeeper(hosts, root)

    def runner(scenario: Callable[[Cluster[S]], Coroutine[Any, Any, None]]) -> None:
        async def main() -> None:
            cluster = Cluster(make)
            try:
                await scenario(cluster)
            finally:
                await cluster.close()

        asyncio.run(main())

    return runner


def unique_root() -> str:
    return f"/test-{uuid.uuid4().hex}"


def expire_session(hosts: str, client: Any) -> None:
    """Expire ``client``'s session, as ZooKeeper does for a server it has not heard from.

    A second client joins the session and closes it; the first learns on its
    next contact that its session is gone, and starts a new one.
    """
    thief = KazooClient(hosts=hosts, client_id=client.client_id)
    thief.start(timeout=WAIT)
    thief.stop()
    thief.close()


async def start_child(script: str, *args: str) -> subprocess.Popen[str]:
    """Run ``script`` in a new Python process; return once it prints a line."""
    child = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    line = await asyncio.wait_for(asyncio.to_thread(child.stdout.readline), WAIT * 2)
    assert line.strip() == "ready", line
    return child


def kill(child: subprocess.Popen[str]) -> None:
    """SIGKILL: no chance to release or deregister anything."""
    child.kill()
    child.wait()


async def eventually(condition: Callable[[], bool], timeout: float = WAIT) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)

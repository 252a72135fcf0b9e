"""Which sides (the redundant filter stacks A and B) are alive.

Filter nodes :meth:`~SideRegistry.register` themselves on their side; a stream
reads its customer's topic from a side in :meth:`~SideRegistry.healthy`, the
sides with at least one registered node, and follows :meth:`~SideRegistry.changes`
to move when its side dies.

In ZooKeeper a registration is the ephemeral znode ``{root}/sides/{side}/{node_id}``:
a node that dies drops out when its session expires, without anyone
deregistering it. A registry whose own session is lost registers its nodes
again once it has a new one. While disconnected, :meth:`~SideRegistry.healthy`
keeps the last membership seen: filter nodes and their topics do not depend on
the reader's connection to ZooKeeper.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

from kazoo.client import KazooState
from kazoo.exceptions import KazooException, NodeExistsError, NoNodeError

from powertrack.broker.topics import SIDES, Side
from powertrack.coordination.errors import CoordinationError, CoordinationUnavailableError
from powertrack.coordination.kazoo_client import UNAVAILABLE, shut_down, start_client
from powertrack.coordination.memory import ChangeBroadcast

__all__ = ["LocalSideRegistry", "SideRegistry", "ZooKeeperSideRegistry"]

logger = logging.getLogger(__name__)


class SideRegistry(Protocol):
    """Filter nodes' liveness per side, as every API server sees it."""

    async def start(self) -> None:
        """Connect and start following membership."""
        ...

    async def stop(self) -> None:
        """Disconnect: this registry's nodes drop out; ``changes`` iterators end."""
        ...

    async def register(self, side: Side, node_id: str) -> None:
        """Announce that filter node ``node_id`` serves ``side``, until deregistered or dead."""
        ...

    async def deregister(self, side: Side, node_id: str) -> None:
        """Withdraw a registration (a node shutting down cleanly)."""
        ...

    def healthy(self) -> frozenset[Side]:
        """The sides with at least one registered node."""
        ...

    def changes(self) -> AsyncIterator[frozenset[Side]]:
        """Yield :meth:`healthy` now and each time it changes, until :meth:`stop`."""
        ...


def _check(side: str, node_id: str) -> None:
    if side not in SIDES:
        raise ValueError(f"Not a side: {side!r} (expected one of {', '.join(SIDES)})")
    if not node_id or "/" in node_id or node_id in {".", ".."} or "\x00" in node_id:
        raise ValueError(f"Not a node id: {node_id!r}")


async def _healthy_changes(
    broadcast: ChangeBroadcast, healthy: Callable[[], frozenset[Side]]
) -> AsyncIterator[frozenset[Side]]:
    """Turn membership bumps into changes of the healthy set, dropping the no-ops."""
    last: frozenset[Side] | None = None
    async for _ in broadcast.watch():
        current = healthy()
        if current != last:
            last = current
            yield current


class LocalSideRegistry:
    """A :class:`SideRegistry` within one process; the API and the filter nodes share it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._members: dict[Side, set[str]] = {side: set() for side in SIDES}
        self._broadcast = ChangeBroadcast()

    async def start(self) -> None:
        """Open again after :meth:`stop` (a new registry is already open)."""
        self._broadcast.open()

    async def stop(self) -> None:
        """End every :meth:`changes` iterator; registrations stay."""
        self._broadcast.close()

    async def register(self, side: Side, node_id: str) -> None:
        """Add ``node_id`` to ``side``."""
        _check(side, node_id)
        with self._lock:
            self._members[side].add(node_id)
        self._broadcast.increment()

    async def deregister(self, side: Side, node_id: str) -> None:
        """Remove ``node_id`` from ``side``."""
        _check(side, node_id)
        with self._lock:
            self._members[side].discard(node_id)
        self._broadcast.increment()

    def healthy(self) -> frozenset[Side]:
        """The sides with at least one registered node."""
        with self._lock:
            return frozenset(side for side, nodes in self._members.items() if nodes)

    def changes(self) -> AsyncIterator[frozenset[Side]]:
        """Yield :meth:`healthy` now and on each change, until :meth:`stop`."""
        return _healthy_changes(self._broadcast, self.healthy)


class ZooKeeperSideRegistry:
    """A :class:`SideRegistry` backed by ephemeral znodes and kazoo ChildrenWatches.

    ``timeout`` bounds connecting and each registration; ``session_timeout``
    is how long a dead node stays registered. kazoo's watches run in its own
    threads and reach asyncio only through :class:`ChangeBroadcast`.
    """

    def __init__(
        self,
        hosts: str,
        root: str = "/powertrack",
        *,
        timeout: float = 5.0,
        session_timeout: float = 10.0,
    ) -> None:
        self._hosts = hosts
        self._root = f"{root.rstrip('/')}/sides"
        self._timeout = timeout
        self._session_timeout = session_timeout
        self._client: Any = None
        self._lock = threading.Lock()
        self._members: dict[Side, frozenset[str]] = {side: frozenset() for side in SIDES}
        # What this process has registered, re-created after a session loss.
        self._registered: set[tuple[Side, str]] = set()
        self._broadcast = ChangeBroadcast(closed=True)

    def path(self, side: Side, node_id: str) -> str:
        """The znode of a registration."""
        return f"{self._root}/{side}/{node_id}"

    async def start(self) -> None:
        """Connect and watch both sides; ``CoordinationUnavailableError`` if ZooKeeper is down."""
        if self._client is not None:
            return
        client = await start_client(
            self._hosts, timeout=self._timeout, session_timeout=self._session_timeout
        )
        self._client = client
        self._broadcast.open()
        try:
            await self._run(self._watch, client)
        except CoordinationError:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Close the session (this registry's nodes drop out) and end :meth:`changes`."""
        client, self._client = self._client, None
        self._broadcast.close()
        with self._lock:
            self._registered.clear()
        if client is not None:
            await asyncio.to_thread(shut_down, client)

    async def register(self, side: Side, node_id: str) -> None:
        """Create ``node_id``'s ephemeral znode on ``side``."""
        _check(side, node_id)
        client = self._require_client()
        with self._lock:
            # Remembered first: if the session drops mid-way, reconnection
            # still registers it.
            self._registered.add((side, node_id))
        await self._run(self._create, client, self.path(side, node_id))

    async def deregister(self, side: Side, node_id: str) -> None:
        """Delete ``node_id``'s znode on ``side``."""
        _check(side, node_id)
        client = self._require_client()
        with self._lock:
            self._registered.discard((side, node_id))
        await self._run(_delete, client, self.path(side, node_id))

    def healthy(self) -> frozenset[Side]:
        """The sides with at least one registered node, as last seen."""
        with self._lock:
            return frozenset(side for side, nodes in self._members.items() if nodes)

    def changes(self) -> AsyncIterator[frozenset[Side]]:
        """Yield :meth:`healthy` now and on each change, until :meth:`stop`."""
        self._require_client()
        return _healthy_changes(self._broadcast, self.healthy)

    def _require_client(self) -> Any:
        if self._client is None:
            raise CoordinationError("The ZooKeeper side registry is not started")
        return self._client

    async def _run(self, function: Any, *args: Any) -> None:
        work = asyncio.ensure_future(asyncio.to_thread(function, *args))
        try:
            await asyncio.wait_for(asyncio.shield(work), self._timeout)
        except (TimeoutError, *UNAVAILABLE) as exc:
            raise CoordinationUnavailableError(
                f"ZooKeeper at {self._hosts} did not answer in time: {exc!r}"
            ) from exc
        except KazooException as exc:
            raise CoordinationError(f"ZooKeeper at {self._hosts} refused: {exc!r}") from exc

    def _watch(self, client: Any) -> None:
        """Watch each side's children (in a worker thread: kazoo blocks)."""
        for side in SIDES:
            path = f"{self._root}/{side}"
            client.ensure_path(path)
            # kazoo re-establishes ChildrenWatches itself after a session loss.
            client.ChildrenWatch(path, functools.partial(self._on_children, client, side))
        client.add_listener(functools.partial(self._on_state, client))

    def _on_children(self, client: Any, side: Side, children: list[str]) -> bool | None:
        if client is not self._client:
            return False  # stopped: unregister
        with self._lock:
            self._members[side] = frozenset(children)
        self._broadcast.increment()
        return None

    def _on_state(self, client: Any, state: str) -> None:
        """In kazoo's connection thread: must not block, so work goes to a thread of kazoo's."""
        if client is not self._client:
            return
        if state == KazooState.CONNECTED:
            client.handler.spawn(self._restore, client)
        else:
            logger.warning("ZooKeeper connection at %s is %s", self._hosts, state)

    def _restore(self, client: Any) -> None:
        """After a reconnection, make sure every registration exists in this session."""
        with self._lock:
            registered = sorted(self._registered)
        for side, node_id in registered:
            try:
                self._create(client, self.path(side, node_id))
            except KazooException:
                logger.exception("Could not register %s on side %s again", node_id, side)

    def _create(self, client: Any, path: str) -> None:
        for _ in range(3):
            try:
                client.create(path, b"", ephemeral=True, makepath=True)
            except NodeExistsError:
                pass
            else:
                return
            try:
                _, stat = client.get(path)
            except NoNodeError:
                continue
            if stat.ephemeralOwner == client.client_id[0]:
                return
            # A previous incarnation of this node whose session has not
            # expired yet: its expiry would take this registration with it.
            with contextlib.suppress(NoNodeError):
                client.delete(path, version=stat.version)
        raise CoordinationError(f"Could not register {path}: it keeps being re-created")


def _delete(client: Any, path: str) -> None:
    with contextlib.suppress(NoNodeError):
        client.delete(path)

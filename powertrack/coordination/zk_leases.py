"""Connection leases across API servers and data centres, held in ZooKeeper.

Each account has a kazoo :class:`~kazoo.recipe.lock.Semaphore` at
``{root}/leases/{account}``; a lease is one of its ephemeral children, so a
server that dies loses its leases with its session and nobody has to clean up.

The recipe stores ``max_leases`` as the semaphore node's data and refuses an
instance whose ``max_leases`` differs. A different limit means the account's
limit was changed, so :meth:`ZooKeeperLeaseManager.acquire` writes its own
limit over the stored one first: the newest caller's limit wins, and every
server applies it from its next acquisition on.

The recipe's ``acquire(blocking=False)`` also answers False when another
server is briefly holding the semaphore's guard lock. That is not a refusal,
so the manager counts the leases itself before answering 429, and tries again
while there is room.

Session handling: while the session is suspended or lost the manager is not
:attr:`~ZooKeeperLeaseManager.available` and refuses every acquisition, since
it could not see other servers' leases. Held leases are marked lost when the
session is lost, or when it has been suspended for a whole session timeout
(ZooKeeper may have expired it by then). Leases whose release could not reach
ZooKeeper are deleted on reconnection, before the manager accepts again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

from kazoo.client import KazooState
from kazoo.exceptions import KazooException, NoNodeError, OperationTimeoutError

from powertrack.coordination.errors import (
    CoordinationError,
    CoordinationUnavailableError,
    TooManyConnectionsError,
)
from powertrack.coordination.kazoo_client import UNAVAILABLE, shut_down, start_client
from powertrack.coordination.leases import Lease
from powertrack.coordination.local_leases import check_lease_request

__all__ = ["ZooKeeperLeaseManager"]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")


class ZooKeeperLeaseManager:
    """A :class:`~powertrack.coordination.leases.LeaseManager` backed by ZooKeeper.

    ``hosts`` is kazoo's connection string; ``timeout`` bounds connecting and
    each acquisition or release; ``session_timeout`` is the ZooKeeper
    session's, and so how long a dead server's leases outlive it. All kazoo
    calls run in worker threads; the manager itself belongs to the event loop
    that called :meth:`start`.
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
        self._root = f"{root.rstrip('/')}/leases"
        self._timeout = timeout
        self._session_timeout = session_timeout
        self._client: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # Written from kazoo's connection thread, read on the loop.
        self._ready = False
        self._generation = 0
        # Loop only.
        self._leases: dict[str, Lease] = {}
        self._orphans: set[str] = set()
        self._expiry: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def available(self) -> bool:
        """True while connected, so that :meth:`acquire` can guarantee limits."""
        return self._client is not None and self._ready

    def path(self, account: str) -> str:
        """The semaphore znode of ``account``."""
        return f"{self._root}/{account}"

    async def start(self) -> None:
        """Connect; ``CoordinationUnavailableError`` if ZooKeeper does not answer in time."""
        if self._client is not None:
            return
        self._loop = asyncio.get_running_loop()
        client = await start_client(
            self._hosts, timeout=self._timeout, session_timeout=self._session_timeout
        )
        self._client = client
        self._ready = True
        client.add_listener(functools.partial(self._on_state, client))
        try:
            await self._run(client.ensure_path, self._root)
        except CoordinationError:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Close the session: ZooKeeper frees its leases, which are marked lost."""
        client, self._client = self._client, None
        self._ready = False
        self._lose_all(orphan=False)
        self._orphans.clear()
        if client is not None:
            await asyncio.to_thread(shut_down, client)

    async def acquire(self, account: str, limit: int, holder: str) -> Lease:
        """Take a slot of ``account``'s ``limit``; see ``LeaseManager.acquire``."""
        check_lease_request(account, limit, holder)
        client = self._require_client()
        if not self.available:
            raise CoordinationUnavailableError(
                f"Not connected to ZooKeeper at {self._hosts}: connection limits cannot "
                f"be enforced, so no new connection is accepted until it is back"
            )
        if limit == 0:
            raise TooManyConnectionsError(account, limit)
        generation = self._generation
        work = asyncio.ensure_future(
            asyncio.to_thread(self._take, client, self.path(account), limit, holder)
        )
        try:
            node = await asyncio.wait_for(asyncio.shield(work), self._timeout)
        except (TimeoutError, asyncio.CancelledError) as exc:
            # The thread carries on: whatever it takes must be given back.
            work.add_done_callback(functools.partial(self._abandon, client))
            if isinstance(exc, asyncio.CancelledError):
                raise
            raise CoordinationUnavailableError(
                f"ZooKeeper at {self._hosts} did not grant a lease within {self._timeout} s"
            ) from exc
        except UNAVAILABLE as exc:
            raise CoordinationUnavailableError(
                f"Could not take a lease through ZooKeeper at {self._hosts}: {exc!r}"
            ) from exc
        except KazooException as exc:
            raise CoordinationError(f"Could not take a lease for {account!r}: {exc!r}") from exc
        if node is None:
            raise TooManyConnectionsError(account, limit)
        if generation != self._generation:
            # The connection dropped meanwhile: other servers' leases may
            # have gone unseen, so this one cannot be vouched for.
            self._spawn(self._delete(client, node))
            raise CoordinationUnavailableError(
                f"Lost the connection to ZooKeeper at {self._hosts} while taking a lease"
            )
        lease = Lease(account, holder, functools.partial(self._release, client, node))
        self._leases[node] = lease
        return lease

    async def holders(self, account: str) -> list[str]:
        """The holders of ``account``'s current leases, on every server, sorted."""
        check_lease_request(account, 0, "-")
        client = self._require_client()
        semaphore = client.Semaphore(self.path(account))
        holders: list[str] = await self._run(semaphore.lease_holders)
        return sorted(holders)

    def _require_client(self) -> Any:
        if self._client is None:
            raise CoordinationError("The ZooKeeper lease manager is not started")
        return self._client

    async def _run(self, function: Any, *args: Any) -> Any:
        """Run a blocking kazoo call in a thread, within ``timeout``."""
        work = asyncio.ensure_future(asyncio.to_thread(function, *args))
        try:
            return await asyncio.wait_for(asyncio.shield(work), self._timeout)
        except (TimeoutError, *UNAVAILABLE) as exc:
            raise CoordinationUnavailableError(
                f"ZooKeeper at {self._hosts} did not answer in time: {exc!r}"
            ) from exc
        except KazooException as exc:
            raise CoordinationError(f"ZooKeeper at {self._hosts} refused: {exc!r}") from exc

    def _take(self, client: Any, path: str, limit: int, holder: str) -> str | None:
        """The new lease's znode, or None when the account is full (in a worker thread)."""
        deadline = time.monotonic() + self._timeout
        data = str(limit).encode()
        while True:
            client.ensure_path(path)
            if client.get(path)[0] != data:
                client.set(path, data)
            semaphore = client.Semaphore(path, holder, max_leases=limit)
            try:
                if semaphore.acquire(blocking=False):
                    node: str = semaphore.create_path
                    return node
            except ValueError:
                # Another server wrote a different limit between our write
                # and the recipe's check: the limit is being changed.
                pass
            else:
                if len(client.get_children(path)) >= limit:
                    return None
            finally:
                # The recipe adds a session listener per acquisition and only
                # drops it on session loss: one per connection would pile up.
                client.remove_listener(semaphore._watch_session)
            if time.monotonic() >= deadline:
                raise OperationTimeoutError(f"{path} stayed contended for {self._timeout} s")
            # The guard lock was busy: back off a little, differently from
            # the server holding it.
            time.sleep(random.uniform(0.005, 0.05))

    async def _release(self, client: Any, node: str) -> None:
        if self._leases.pop(node, None) is None or client is not self._client:
            return  # lost: gone with the session, or deleted on reconnection
        await self._delete(client, node)

    async def _delete(self, client: Any, node: str) -> None:
        if not self._ready:
            self._orphans.add(node)
            return
        try:
            await self._run(_delete_node, client, node)
        except CoordinationError as exc:
            logger.warning("Could not release lease %s (%s); retrying on reconnection", node, exc)
            self._orphans.add(node)

    def _abandon(self, client: Any, work: asyncio.Future[str | None]) -> None:
        if work.cancelled() or work.exception() is not None:
            return
        node = work.result()
        if node is not None:
            self._spawn(self._delete(client, node))

    def _on_state(self, client: Any, state: str) -> None:
        """Session state changes, in kazoo's connection thread: must not block."""
        if client is not self._client or self._loop is None:
            return
        if state != KazooState.CONNECTED:
            # At once, not via the loop: acquisitions must stop now.
            self._ready = False
            self._generation += 1
        # A closed loop raises RuntimeError: nobody is left to tell.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._state_changed, client, state, self._generation)

    def _state_changed(self, client: Any, state: str, generation: int) -> None:
        if client is not self._client:
            return
        if state == KazooState.LOST:
            logger.warning("ZooKeeper session at %s expired: its leases are gone", self._hosts)
            self._orphans.clear()
            self._lose_all(orphan=False)
        elif state == KazooState.SUSPENDED:
            logger.warning(
                "Lost the connection to ZooKeeper at %s: refusing new connections", self._hosts
            )
            if self._expiry is None and self._loop is not None:
                self._expiry = self._loop.call_later(
                    self._session_timeout, functools.partial(self._lose_all, orphan=True)
                )
        else:
            self._cancel_expiry()
            # The generation as of this connection: a drop since voids it.
            self._spawn(self._recover(client, generation))

    def _lose_all(self, *, orphan: bool) -> None:
        """Mark every lease lost; with ``orphan``, delete their znodes on reconnection."""
        self._cancel_expiry()
        leases, self._leases = self._leases, {}
        for node, lease in leases.items():
            lease.lost.set()
            if orphan:
                self._orphans.add(node)

    def _cancel_expiry(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None

    async def _recover(self, client: Any, generation: int) -> None:
        # Orphans go before new acquisitions are accepted: they still count
        # against their accounts' limits.
        orphans = list(self._orphans)
        if orphans:
            try:
                await self._run(_delete_nodes, client, orphans)
            except CoordinationError as exc:
                # Left in place they only make limits stricter, never looser.
                logger.warning("Could not free %d stale lease(s): %s", len(orphans), exc)
            else:
                self._orphans.difference_update(orphans)
        if generation == self._generation and client is self._client and client.connected:
            self._ready = True
            logger.info("Reconnected to ZooKeeper at %s: accepting connections", self._hosts)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(_logged(coroutine))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def _logged(coroutine: Coroutine[Any, Any, _T]) -> None:
    try:
        await coroutine
    except Exception:
        logger.exception("ZooKeeper lease housekeeping failed")


def _delete_node(client: Any, node: str) -> None:
    with contextlib.suppress(NoNodeError):
        client.delete(node)


def _delete_nodes(client: Any, nodes: list[str]) -> None:
    for node in nodes:
        _delete_node(client, node)

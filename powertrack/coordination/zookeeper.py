"""The rule-change signal across processes: a ZooKeeper znode that filter nodes watch.

The counter is the data version of ``{root}/rules/version``. :meth:`notify`
writes the node (empty data, any version): a single cheap write that ZooKeeper
turns into a watch event for every filter node, and whose new data version is
the counter's next value. There is no read-modify-write, so concurrent API
servers never conflict.

kazoo does its network work and runs its callbacks in its own threads; this
module only crosses into asyncio with ``asyncio.to_thread`` (blocking calls)
and ``call_soon_threadsafe`` (watch callbacks, through
:class:`~powertrack.coordination.memory.ChangeBroadcast`), so the event loop
never waits on ZooKeeper.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from kazoo.client import KazooState
from kazoo.exceptions import (
    KazooException,
    NoNodeError,
)
from kazoo.handlers.threading import KazooTimeoutError

from powertrack.coordination.errors import CoordinationError, CoordinationUnavailableError
from powertrack.coordination.kazoo_client import UNAVAILABLE, shut_down, start_client
from powertrack.coordination.memory import ChangeBroadcast

__all__ = ["ZooKeeperRuleChangeSignal"]

logger = logging.getLogger(__name__)


class ZooKeeperRuleChangeSignal:
    """A :class:`~powertrack.coordination.protocol.RuleChangeSignal` backed by ZooKeeper.

    ``hosts`` is kazoo's connection string (``host:port[,host:port...][/chroot]``).
    ``timeout`` bounds connecting in :meth:`start` and each :meth:`notify`;
    ``session_timeout`` is the ZooKeeper session's.

    While the connection is down, :meth:`notify` raises
    :class:`~powertrack.coordination.errors.CoordinationUnavailableError` and
    watchers hear nothing; kazoo keeps reconnecting, and once it succeeds every
    :meth:`changes` iterator yields once even if the counter looks unchanged,
    because a bump may have happened while it was away. A client that reaches
    a restarting server before it serves can wait up to ``session_timeout``
    for its handshake before trying again.
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
        self._path = f"{root.rstrip('/')}/rules/version"
        self._timeout = timeout
        self._session_timeout = session_timeout
        self._client: Any = None
        self._broadcast = ChangeBroadcast(closed=True)
        self._suspended = False

    @property
    def path(self) -> str:
        """The znode whose data version is the counter."""
        return self._path

    @property
    def connected(self) -> bool:
        """True while started and connected to ZooKeeper (for health checks)."""
        return self._client is not None and bool(self._client.connected)

    async def start(self) -> None:
        """Connect, create the znode if needed and start watching it.

        Raises ``CoordinationUnavailableError`` if ZooKeeper does not answer
        within ``timeout`` seconds.
        """
        if self._client is not None:
            return
        client = await start_client(
            self._hosts, timeout=self._timeout, session_timeout=self._session_timeout
        )
        self._client = client
        self._suspended = False
        self._broadcast.open()
        try:
            await asyncio.to_thread(self._watch, client)
        except (KazooException, KazooTimeoutError) as exc:
            await self.stop()
            raise CoordinationUnavailableError(
                f"Could not set up {self._path} on ZooKeeper at {self._hosts}: {exc!r}"
            ) from exc

    async def stop(self) -> None:
        """Disconnect; active :meth:`changes` iterators end."""
        client, self._client = self._client, None
        self._broadcast.close()
        if client is not None:
            await asyncio.to_thread(shut_down, client)

    async def notify(self) -> None:
        """Bump the counter; every watcher, in any process, wakes.

        Raises ``CoordinationUnavailableError`` when ZooKeeper cannot be
        reached in time. Callers may log that and carry on: filter nodes poll
        the rule log anyway, so the change only arrives later.
        """
        client = self._require_client()
        if not client.connected:
            # Fail at once rather than make the caller (an API request) wait
            # out the time-out while kazoo reconnects.
            raise CoordinationUnavailableError(
                f"Not connected to ZooKeeper at {self._hosts}: rule change not signalled"
            )
        try:
            await asyncio.to_thread(self._bump, client)
        except UNAVAILABLE as exc:
            raise CoordinationUnavailableError(
                f"Could not signal a rule change through ZooKeeper at {self._hosts}: {exc!r}"
            ) from exc
        except KazooException as exc:
            raise CoordinationError(f"Could not write {self._path}: {exc!r}") from exc

    def changes(self) -> AsyncIterator[int]:
        """Yield the counter now and after each change (coalesced), until :meth:`stop`."""
        self._require_client()
        return self._broadcast.watch()

    def _require_client(self) -> Any:
        if self._client is None:
            raise CoordinationError("The ZooKeeper rule-change signal is not started")
        return self._client

    def _bump(self, client: Any) -> None:
        try:
            client.set_async(self._path, b"").get(timeout=self._timeout)
        except NoNodeError:
            # Someone removed the node: put it back and bump it.
            client.ensure_path_async(self._path).get(timeout=self._timeout)
            client.set_async(self._path, b"").get(timeout=self._timeout)

    def _watch(self, client: Any) -> None:
        """Create the node and register the watches (in a worker thread: kazoo blocks)."""
        client.ensure_path_async(self._path).get(timeout=self._timeout)

        def on_data(_data: bytes | None, stat: Any, _event: Any = None) -> bool | None:
            if self._client is not client:
                return False  # stopped: unregister
            if stat is None:
                # Deleted: the next notify recreates it; look at the log meanwhile.
                self._broadcast.publish(force=True)
            else:
                self._broadcast.publish(int(stat.version))
            return None

        def on_state(state: str) -> None:
            # Called in kazoo's connection thread: publishing only schedules
            # wakeups, it never blocks.
            if state == KazooState.CONNECTED:
                if self._suspended:
                    self._suspended = False
                    logger.info("Reconnected to ZooKeeper at %s", self._hosts)
                    self._broadcast.publish(force=True)
            elif not self._suspended and self._client is client:
                self._suspended = True
                logger.warning(
                    "Lost the connection to ZooKeeper at %s (%s); rule changes arrive "
                    "by polling until it is back",
                    self._hosts,
                    state,
                )

        client.add_listener(on_state)
        client.DataWatch(self._path, on_data)

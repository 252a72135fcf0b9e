"""Starting and stopping kazoo clients off the event loop, shared by the ZooKeeper backends."""

from __future__ import annotations

import asyncio
from typing import Any

from kazoo.client import KazooClient
from kazoo.exceptions import (
    ConnectionLoss,
    KazooException,
    OperationTimeoutError,
    SessionExpiredError,
)
from kazoo.handlers.threading import KazooTimeoutError
from kazoo.retry import KazooRetry

from powertrack.coordination.errors import CoordinationError, CoordinationUnavailableError

__all__ = ["UNAVAILABLE", "shut_down", "start_client"]

UNAVAILABLE = (KazooTimeoutError, ConnectionLoss, OperationTimeoutError, SessionExpiredError)
"""kazoo's ways of saying ZooKeeper is out of reach right now."""

# kazoo's own reconnection back-off grows to an hour, which would leave a
# server refusing connections long after ZooKeeper has come back.
_MAX_RECONNECT_DELAY = 2.0


async def start_client(hosts: str, *, timeout: float, session_timeout: float) -> Any:
    """A started KazooClient; ``CoordinationUnavailableError`` if none answers in ``timeout``."""
    try:
        client = KazooClient(
            hosts=hosts,
            timeout=session_timeout,
            connection_retry=KazooRetry(max_tries=-1, max_delay=_MAX_RECONNECT_DELAY),
        )
    except (KazooException, ValueError) as exc:
        raise CoordinationError(f"Bad ZooKeeper hosts {hosts!r}: {exc}") from exc
    try:
        # On a time-out kazoo stops and closes the client itself.
        await asyncio.to_thread(client.start, timeout)
    except KazooTimeoutError as exc:
        raise CoordinationUnavailableError(
            f"Could not connect to ZooKeeper at {hosts} within {timeout} s"
        ) from exc
    return client


def shut_down(client: Any) -> None:
    """Close the session (its ephemeral nodes go with it) and free the client; blocks."""
    try:
        client.stop()
    finally:
        client.close()

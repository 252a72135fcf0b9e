"""Connection leases: how many streams an account may have open at once.

Each streaming connection holds a :class:`Lease` on its account for as long as
it is open. A :class:`LeaseManager` hands out at most ``limit`` leases per
account, counted across every API server that shares its backend, and refuses
the next with :class:`~powertrack.coordination.errors.TooManyConnectionsError`
(HTTP 429).

Limits are passed on each :meth:`LeaseManager.acquire` rather than configured
once, so a changed account limit takes effect at the next connection. Lowering
a limit never cuts open connections: the account is refused new ones until it
has fewer than the new limit open.

A manager that cannot guarantee the limit (its ZooKeeper session suspended or
lost) refuses every acquisition with
:class:`~powertrack.coordination.errors.CoordinationUnavailableError` rather
than risk exceeding it; :attr:`LeaseManager.available` says so ahead of time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Protocol, Self

__all__ = ["Lease", "LeaseManager"]


class Lease:
    """One connection's hold on a slot of its account's limit.

    :meth:`release` gives the slot back; it is idempotent, and the lease is
    also an async context manager that releases on exit. :attr:`lost` is set
    when the manager can no longer vouch for the lease (its ZooKeeper session
    expired, or stayed suspended longer than the session timeout): the slot
    may already be someone else's, and the caller decides whether to close
    the connection.
    """

    def __init__(self, account: str, holder: str, release: Callable[[], Awaitable[None]]) -> None:
        self.account = account
        self.holder = holder
        self.lost = asyncio.Event()
        self._release = release
        self._released = False

    @property
    def released(self) -> bool:
        """True once :meth:`release` has been called."""
        return self._released

    async def release(self) -> None:
        """Give the slot back. Later calls do nothing."""
        if self._released:
            return
        # Flag first: a second release racing with this one must not free a
        # slot twice.
        self._released = True
        await self._release()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.release()

    def __repr__(self) -> str:
        state = "released" if self._released else "lost" if self.lost.is_set() else "held"
        return f"Lease(account={self.account!r}, holder={self.holder!r}, {state})"


class LeaseManager(Protocol):
    """Hands out per-account connection leases, at most ``limit`` at a time."""

    @property
    def available(self) -> bool:
        """True while :meth:`acquire` can guarantee the limit (for health checks)."""
        ...

    async def start(self) -> None:
        """Connect. Must be called before :meth:`acquire`."""
        ...

    async def stop(self) -> None:
        """Disconnect. Leases still held are freed and marked lost."""
        ...

    async def acquire(self, account: str, limit: int, holder: str) -> Lease:
        """Take one of ``account``'s ``limit`` slots for ``holder`` (a connection id).

        Raises ``TooManyConnectionsError`` when the account already holds
        ``limit`` leases, ``CoordinationUnavailableError`` when the limit
        cannot be guaranteed right now.
        """
        ...

    async def holders(self, account: str) -> list[str]:
        """The holders of ``account``'s current leases, sorted (for observability)."""
        ...

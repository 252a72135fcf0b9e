"""Connection leases within one process, for the one-command local run."""

from __future__ import annotations

import itertools
import threading

from powertrack.accounts.names import is_valid_name
from powertrack.coordination.errors import TooManyConnectionsError
from powertrack.coordination.leases import Lease

__all__ = ["LocalLeaseManager", "check_lease_request"]


def check_lease_request(account: str, limit: int, holder: str) -> None:
    """Raise ``ValueError`` for an account name, limit or holder no manager accepts."""
    if not is_valid_name(account):
        raise ValueError(f"Not an account name: {account!r}")
    if limit < 0:
        raise ValueError(f"A connection limit cannot be negative: {limit}")
    if not holder or "\x00" in holder:
        raise ValueError(f"Not a lease holder: {holder!r}")


class LocalLeaseManager:
    """A :class:`~powertrack.coordination.leases.LeaseManager` within one process.

    Every API server of the process must share the instance. It is always
    :attr:`available`; ``start`` is optional. :meth:`stop` frees every lease
    and marks it lost, as a ZooKeeper manager's closed session would.
    """

    def __init__(self) -> None:
        # The API may serve from several event loops (threads): counters are
        # guarded by a plain lock, never held across an await.
        self._lock = threading.Lock()
        self._held: dict[str, dict[int, Lease]] = {}
        self._tokens = itertools.count()

    @property
    def available(self) -> bool:
        """Always True: nothing outside the process can fail."""
        return True

    async def start(self) -> None:
        """Nothing to connect to."""

    async def stop(self) -> None:
        """Free every lease and mark it lost."""
        with self._lock:
            leases = [lease for held in self._held.values() for lease in held.values()]
            self._held.clear()
        for lease in leases:
            lease.lost.set()

    async def acquire(self, account: str, limit: int, holder: str) -> Lease:
        """Take a slot of ``account``'s ``limit``; see ``LeaseManager.acquire``."""
        check_lease_request(account, limit, holder)
        token = next(self._tokens)

        async def release() -> None:
            with self._lock:
                held = self._held.get(account)
                if held is not None:
                    held.pop(token, None)
                    if not held:
                        del self._held[account]

        lease = Lease(account, holder, release)
        with self._lock:
            held = self._held.setdefault(account, {})
            if len(held) >= limit:
                if not held:
                    del self._held[account]
                raise TooManyConnectionsError(account, limit)
            held[token] = lease
        return lease

    async def holders(self, account: str) -> list[str]:
        """The holders of ``account``'s current leases, sorted."""
        with self._lock:
            return sorted(lease.holder for lease in self._held.get(account, {}).values())

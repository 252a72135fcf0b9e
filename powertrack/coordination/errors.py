"""Errors the coordination layer raises."""

from __future__ import annotations

__all__ = [
    "CoordinationError",
    "CoordinationUnavailableError",
    "TooManyConnectionsError",
    "ZooKeeperServerError",
]


class CoordinationError(Exception):
    """Base class of coordination errors."""


class CoordinationUnavailableError(CoordinationError):
    """The coordination service (ZooKeeper) cannot be reached or did not answer in time.

    A rule-change signal that fails this way costs latency only: filter nodes
    still poll the rule log, so callers may log it and carry on. A lease manager
    that fails this way cannot guarantee connection limits, so the API refuses
    new connections (HTTP 503) until it is back.
    """


class TooManyConnectionsError(CoordinationError):
    """The account already holds as many connections as its limit allows (HTTP 429)."""

    def __init__(self, account: str, limit: int) -> None:
        super().__init__(
            f"Account {account!r} already has {limit} connection(s) open, its limit: "
            f"close one before opening another"
        )
        self.account = account
        self.limit = limit


class ZooKeeperServerError(CoordinationError):
    """A local ZooKeeper server could not be started (not installed, or it did not come up)."""

"""Errors the coordination layer raises."""

from __future__ import annotations

__all__ = ["CoordinationError", "CoordinationUnavailableError", "ZooKeeperServerError"]


class CoordinationError(Exception):
    """Base class of coordination errors."""


class CoordinationUnavailableError(CoordinationError):
    """The coordination service (ZooKeeper) cannot be reached or did not answer in time.

    A rule-change signal that fails this way costs latency only: filter nodes
    still poll the rule log, so callers may log it and carry on.
    """


class ZooKeeperServerError(CoordinationError):
    """A local ZooKeeper server could not be started (not installed, or it did not come up)."""

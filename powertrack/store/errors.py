"""Errors a rule store raises."""

from __future__ import annotations


class StoreError(Exception):
    """Base class of rule-store errors."""


class StoreUnavailableError(StoreError):
    """The database cannot be reached or failed mid-operation; nothing was written."""


class NotFoundError(StoreError):
    """An account, stream or credential that does not exist."""


class AlreadyExistsError(StoreError):
    """An account name or stream label that is already taken."""


class RuleCapExceededError(StoreError):
    """Adding the rules would take a stream over its rule limit; nothing was added."""

    def __init__(self, limit: int, current: int, adding: int) -> None:
        super().__init__(
            f"Rule limit of {limit} would be exceeded: the stream has {current} rules "
            f"and {adding} more were submitted"
        )
        self.limit = limit
        self.current = current
        self.adding = adding


class MoveInProgressError(StoreError):
    """The account's previous move between stacks is not yet handed over on every side."""

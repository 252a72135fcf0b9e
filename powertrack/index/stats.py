"""What an index reports about its shape (both implementations)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["IndexStats"]


@dataclass(frozen=True, slots=True)
class IndexStats:
    """A snapshot of the index's shape."""

    rules: int
    unindexed_rules: int
    keys: int
    postings: int
    families: tuple[str, ...]
    tweets_observed: int

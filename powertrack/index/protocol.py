"""The matcher's interface, which both index implementations provide."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from typing import Protocol, TypeVar

from powertrack.index.stats import IndexStats
from powertrack.rules.rule import Rule
from powertrack.tweets.model import Tweet

__all__ = ["Matcher"]

RuleId = TypeVar("RuleId", bound=Hashable)


class Matcher(Protocol[RuleId]):
    """Many rules, each under an id; a tweet in, the ids of the rules it matches out.

    Rules are a :class:`Rule`, a rule text, or a rule's compiled form
    (:mod:`powertrack.rules.codec`). Writers (``add``, ``add_many``,
    ``discard``, ``remove``, ``maintain``) may run in one thread while matches
    run in others; a match sees each rule either before or after a change.
    """

    def add(self, rule_id: RuleId, rule: Rule | str | bytes) -> None:
        """Add or replace a rule."""

    def add_many(self, items: Iterable[tuple[RuleId, Rule | str | bytes]]) -> None:
        """Add or replace many rules at once."""

    def remove(self, rule_id: RuleId) -> None:
        """Remove a rule; KeyError when there is none."""

    def discard(self, rule_id: RuleId) -> bool:
        """Remove a rule if present; True when one was removed."""

    def match(self, tweet: Tweet) -> list[RuleId]:
        """The ids of the rules ``tweet`` matches, in no particular order."""

    def match_json(self, raw: bytes | bytearray | memoryview | str) -> list[RuleId]:
        """:meth:`match` for a tweet's JSON; TweetFormatError if it is not a tweet."""

    def match_json_id(self, raw: bytes | bytearray | memoryview | str) -> tuple[str, list[RuleId]]:
        """The tweet's id and :meth:`match_json`, from one read of the JSON."""

    def candidates(self, tweet: Tweet) -> int:
        """How many rules a match of ``tweet`` evaluates or accepts."""

    def maintain(self) -> int:
        """Learn key frequencies from sampled tweets and rebalance; returns rules moved."""

    def stats(self) -> IndexStats:
        """Counts describing the index."""

    def __len__(self) -> int: ...

    def __contains__(self, rule_id: object) -> bool: ...

    def __iter__(self) -> Iterator[RuleId]: ...

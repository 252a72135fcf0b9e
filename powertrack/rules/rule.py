"""A parsed rule: its text and its AST, with the reference evaluator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from powertrack.rules.ast import Node

if TYPE_CHECKING:
    from powertrack.tweets.model import Tweet

__all__ = ["Rule"]


@dataclass(frozen=True, slots=True)
class Rule:
    """A valid rule. ``text`` is the rule as the customer wrote it."""

    text: str
    root: Node

    def matches(self, tweet: Tweet) -> bool:
        """Evaluate the rule against ``tweet`` directly (the reference evaluator)."""
        from powertrack.rules.evaluate import evaluate

        return evaluate(self.root, tweet)

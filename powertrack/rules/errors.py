"""Errors of the rule language."""

from __future__ import annotations

__all__ = ["RuleSyntaxError"]


class RuleSyntaxError(ValueError):
    """A rule was rejected. ``errors`` lists every problem as ``(message, position)``.

    Positions are 1-based character offsets into the rule text (Unicode code points).
    """

    def __init__(self, rule: str, errors: list[tuple[str, int]]) -> None:
        self.rule = rule
        self.errors = errors
        super().__init__("; ".join(self.messages))

    @property
    def messages(self) -> list[str]:
        """Each error as a customer-facing sentence ending in its position."""
        return [f"{message} (at position {position})" for message, position in self.errors]

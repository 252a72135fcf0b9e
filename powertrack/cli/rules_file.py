"""One line of a rules file, as ``validate`` and ``match`` both read it.

A rules file is JSON lines (``{"id"?: ..., "value": "...", "tag"?: ...}``) or,
in text mode, one rule per line. Blank lines are skipped by the callers.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

__all__ = ["RuleRecord", "UnusableLineError", "read_rule_line"]


class UnusableLineError(ValueError):
    """A line that is not a rule record at all (bad UTF-8, not JSON, no string value)."""


@dataclass(frozen=True, slots=True)
class RuleRecord:
    """A rule as written in the file: its value, and its id and tag when given."""

    value: str
    id: object = None
    tag: object = None


def read_rule_line(line: bytes, *, text_mode: bool) -> RuleRecord:
    """Read one non-blank line; raise :class:`UnusableLineError` when it is no rule record."""
    if text_mode:
        try:
            return RuleRecord(line.decode("utf-8").rstrip("\r\n"))
        except UnicodeDecodeError as exc:
            raise UnusableLineError(f"not valid UTF-8 ({exc.reason})") from exc
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise UnusableLineError(f"not valid JSON ({exc})") from exc
    if not isinstance(record, dict) or not isinstance(record.get("value"), str):
        raise UnusableLineError('expected a JSON object with a string "value"')
    return RuleRecord(record["value"], record.get("id"), record.get("tag"))

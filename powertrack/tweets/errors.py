"""Errors of tweet parsing."""

from __future__ import annotations

__all__ = ["TweetFormatError", "describe", "wrong_type"]


class TweetFormatError(ValueError):
    """A payload that is not a tweet powertrack can read; the message says what is wrong.

    A field is named by its JSON path (``user.id_str``,
    ``retweeted_status.entities.hashtags[].text``), so a rejected payload can
    be fixed or reported without reading parser code.
    """


def describe(value: object) -> str:
    """A JSON-ish name for the type of ``value``, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def wrong_type(field: str, value: object, expected: str) -> TweetFormatError:
    """The error for ``field`` holding ``value`` where ``expected`` was needed."""
    return TweetFormatError(f"{field}: expected {expected}, got {describe(value)}")

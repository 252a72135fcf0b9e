"""The match record: what a filter node publishes for a match and a stream reads.

Both sides import this module and nothing else of each other: the filter
writes records and headers with :func:`match_record` and
:func:`match_headers`, delivery reads the headers back with
:func:`read_match_headers`.

A match is the tweet exactly as it came off the firehose plus the stream's
matching rules, in the form the customer's API version expects (RULES.md,
"What is delivered"):

- v1.1 native: ``"matching_rules": [{"id": N, "id_str": "N", "tag": "t" or null}]``
  added at the root of the status object;
- v2: ``{"data": {...}, "includes": {...}, "matching_rules": [{"id": "N", "tag": "t"}]}``,
  ``tag`` an empty string for a rule without one; a bare v2 tweet object is
  wrapped as ``data``.

The tweet's bytes are spliced, not re-serialized: decoding and encoding a
tweet costs far more than matching it, and the customer gets the very bytes
(field order, number formatting, escapes) the firehose carried. Only a payload
the splice cannot handle safely (one that already has ``matching_rules``, or
does not look like one JSON object) is decoded and encoded again.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import orjson

__all__ = [
    "CATCH_UP",
    "DEAD_LETTER_ERROR",
    "FIREHOSE_OFFSET",
    "FIREHOSE_PARTITION",
    "MATCHED_AT",
    "TWEET_ID",
    "Headers",
    "MatchHeaders",
    "MatchTemplate",
    "MatchedRule",
    "TweetFormat",
    "dead_letter_headers",
    "header",
    "is_catch_up",
    "match_headers",
    "match_record",
    "read_match_headers",
    "tweet_format",
]

TWEET_ID = "tweet_id"
FIREHOSE_PARTITION = "firehose_partition"
FIREHOSE_OFFSET = "firehose_offset"
MATCHED_AT = "matched_at"
DEAD_LETTER_ERROR = "error"
CATCH_UP = "catch_up"
"""Marks a match a stack move's catch-up published after newer matches of its
firehose partition: readers must not take its offset as out of date."""

# Kafka headers are short; an error message is cut to this many bytes.
_MAX_ERROR_BYTES = 1024
_KEY = b'"matching_rules"'
_WHITESPACE = b" \t\r\n"

Headers = list[tuple[str, bytes]]
"""Record headers as the Kafka client takes them: (name, value) pairs."""


class TweetFormat(enum.Enum):
    """How a firehose tweet is laid out, which decides the form of its match."""

    V11 = "v1.1"
    V2 = "v2"
    """A filtered-stream message: ``{"data": {...}, "includes": {...}}``."""
    V2_BARE = "v2 tweet"
    """A v2 tweet object on its own, delivered wrapped as ``data``."""


class MatchedRule(NamedTuple):
    """A rule of the stream that matched: its id and tag."""

    id: int
    tag: str | None


def tweet_format(document: Mapping[str, Any]) -> TweetFormat:
    """The format of a decoded tweet, decided as the tweet parser decides it."""
    if "user" in document:
        return TweetFormat.V11
    if isinstance(document.get("data"), dict):
        return TweetFormat.V2
    return TweetFormat.V2_BARE


def _rule_entry(rule_id: int, tag: str | None, v11: bool) -> dict[str, Any]:
    """One rule's entry of ``matching_rules``: v1.1 and v2 shape them differently."""
    if v11:
        return {"id": rule_id, "id_str": str(rule_id), "tag": tag}
    return {"id": str(rule_id), "tag": tag or ""}


def _rules_json(rules: Iterable[MatchedRule], fmt: TweetFormat) -> list[dict[str, Any]]:
    v11 = fmt is TweetFormat.V11
    return [_rule_entry(r.id, r.tag, v11) for r in sorted(rules)]


@functools.lru_cache(maxsize=1 << 18)
def _rule_json(rule_id: int, tag: str | None, v11: bool) -> bytes:
    """One rule's entry of ``matching_rules``, encoded."""
    return orjson.dumps(_rule_entry(rule_id, tag, v11))


def _rules_bytes(rules: Iterable[MatchedRule], fmt: TweetFormat) -> bytes:
    v11 = fmt is TweetFormat.V11
    return b"[" + b",".join([_rule_json(r.id, r.tag, v11) for r in sorted(rules)]) + b"]"


class MatchTemplate:
    """One firehose tweet made ready to carry each stream's ``matching_rules``:
    the tweet's bytes are checked and cut once, however many streams it matches."""

    __slots__ = ("_body", "_fmt", "_head")

    def __init__(self, raw: bytes, fmt: TweetFormat) -> None:
        self._fmt = fmt
        body = raw.strip(_WHITESPACE)
        self._body = body
        self._head: bytes | None
        if not body.startswith(b"{") or not body.endswith(b"}") or _KEY in body:
            self._head = None
        elif fmt is TweetFormat.V2_BARE:
            self._head = b'{"data":' + body + b',"matching_rules":'
        else:
            inner = body[1:-1]
            separator = b"," if inner.strip(_WHITESPACE) else b""
            self._head = b"{" + inner + separator + b'"matching_rules":'

    def record(self, rules: Iterable[MatchedRule]) -> bytes:
        """The published JSON for a stream whose ``rules`` matched, listed by rule id."""
        if self._head is None:
            return _reencoded(self._body, self._fmt, _rules_json(rules, self._fmt))
        return self._head + _rules_bytes(rules, self._fmt) + b"}"


def match_record(raw: bytes, fmt: TweetFormat, rules: Iterable[MatchedRule]) -> bytes:
    """The published JSON for ``raw`` (one firehose tweet of format ``fmt``) matched by
    ``rules`` of one stream, listed by rule id."""
    return MatchTemplate(raw, fmt).record(rules)


def _reencoded(body: bytes, fmt: TweetFormat, matching: list[dict[str, Any]]) -> bytes:
    document = orjson.loads(body)
    if fmt is TweetFormat.V2_BARE:
        document = {"data": document}
    # A tweet replayed from an earlier delivery carries the rules it matched
    # then; they are replaced, never merged or repeated as a duplicate key.
    document["matching_rules"] = matching
    return orjson.dumps(document)


def match_headers(
    tweet_id: str, partition: int, offset: int, matched_at_ms: int, *, catch_up: bool = False
) -> Headers:
    """Headers of a published match: the tweet, where it sat on the firehose
    (so a duplicate can be traced to its source) and when it matched (ms); a
    stack move's catch-up marks its matches with ``catch_up``."""
    headers = [
        (TWEET_ID, tweet_id.encode("ascii", "replace")),
        (FIREHOSE_PARTITION, str(partition).encode("ascii")),
        (FIREHOSE_OFFSET, str(offset).encode("ascii")),
        (MATCHED_AT, str(matched_at_ms).encode("ascii")),
    ]
    if catch_up:
        headers.append((CATCH_UP, b"1"))
    return headers


def dead_letter_headers(error: str, partition: int, offset: int) -> Headers:
    """Headers of a firehose message set aside as unreadable: why, and where it was."""
    encoded = error.encode("utf-8", "replace")
    if len(encoded) > _MAX_ERROR_BYTES:
        encoded = encoded[:_MAX_ERROR_BYTES].decode("utf-8", "ignore").encode("utf-8")
    return [
        (DEAD_LETTER_ERROR, encoded),
        (FIREHOSE_PARTITION, str(partition).encode("ascii")),
        (FIREHOSE_OFFSET, str(offset).encode("ascii")),
    ]


def header(headers: Sequence[tuple[str, bytes]], name: str) -> bytes | None:
    """The value of the first header called ``name``, or None."""
    for key, value in headers:
        if key == name:
            return value
    return None


class MatchHeaders(NamedTuple):
    """The headers a filter node puts on every match record, decoded."""

    tweet_id: int
    firehose_partition: int
    firehose_offset: int
    matched_at_ms: int


def read_match_headers(headers: Sequence[tuple[str, bytes]]) -> MatchHeaders | None:
    """The decoded match headers, or None when one is missing or not a number."""
    values: list[int] = []
    for name in (TWEET_ID, FIREHOSE_PARTITION, FIREHOSE_OFFSET, MATCHED_AT):
        raw = header(headers, name)
        if raw is None:
            return None
        try:
            values.append(int(raw))
        except ValueError:
            return None
    return MatchHeaders(*values)


def is_catch_up(headers: Sequence[tuple[str, bytes]]) -> bool:
    """Whether a match was published by a stack move's catch-up."""
    return header(headers, CATCH_UP) == b"1"

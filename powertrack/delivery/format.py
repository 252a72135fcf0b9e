"""The line a stream writes for one match, in the PowerTrack 2.0 or the X API v2 shape.

A published match record is the tweet as it came off the firehose (v1.1 native
or a v2 stream message) with ``matching_rules`` in that format's form
(:mod:`powertrack.matches`).

- PowerTrack: the record as published. A tweet that entered as v1.1 is the
  activity with root-level ``matching_rules``. A tweet that entered as v2 is
  delivered as it is too: v2 lacks most of what a v1.1 status carries (the
  author's counters and dates, entity indices in display form, ``source``
  markup), so any conversion back would invent fields.
- v2: ``{"data", "includes", "matching_rules": [{"id": "N", "tag": "t"}]}``
  with ``tag`` always present. A v1.1 record is converted with
  :func:`~powertrack.firehose.v2.to_v2`. As on X, ``data`` holds only ``id``,
  ``text`` and ``edit_history_tweet_ids`` unless ``tweet.fields`` asks for
  more, and ``includes.users`` (the author, with ``user.fields``) is there
  only with ``expansions=author_id``.

With ``include_cursor`` each line also carries ``"cursor"``, the opaque token
that resumes the stream right after it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import orjson

from powertrack.delivery.records import Delivered
from powertrack.firehose.v2 import to_v2
from powertrack.matches import TweetFormat, tweet_format

__all__ = [
    "EXPANSIONS",
    "TWEET_FIELDS",
    "USER_FIELDS",
    "InvalidFieldsError",
    "V2Fields",
    "powertrack_line",
    "v2_line",
]

TWEET_FIELDS: Final = frozenset(
    {
        "article", "attachments", "author_id", "card_uri", "community_id",
        "context_annotations", "conversation_id", "created_at", "display_text_range",
        "edit_controls", "edit_history_tweet_ids", "entities", "geo", "id",
        "in_reply_to_user_id", "lang", "matched_media_notes", "media_metadata",
        "non_public_metrics", "note_request_suggestions", "note_tweet", "organic_metrics",
        "paid_partnership", "possibly_sensitive", "promoted_metrics", "public_metrics",
        "referenced_tweets", "reply_settings", "scopes", "source", "suggested_source_links",
        "suggested_source_links_with_counts", "text", "withheld",
    }
)  # fmt: skip
"""The ``tweet.fields`` values X accepts; unknown ones answer 400 there too."""
USER_FIELDS: Final = frozenset(
    {
        "affiliation", "confirmed_email", "connection_status", "created_at", "description",
        "entities", "id", "is_identity_verified", "location", "most_recent_tweet_id", "name",
        "parody", "pinned_tweet_id", "profile_banner_url", "profile_image_url", "protected",
        "public_metrics", "receives_your_dm", "subscription", "subscription_type", "url",
        "username", "verified", "verified_followers_count", "verified_type", "withheld",
    }
)  # fmt: skip
EXPANSIONS: Final = frozenset(
    {
        "article.cover_media", "article.media_entities", "attachments.media_keys",
        "attachments.media_source_tweet", "attachments.poll_ids", "author_id",
        "edit_history_tweet_ids", "entities.mentions.username", "geo.place_id",
        "in_reply_to_user_id", "entities.note.mentions.username", "referenced_tweets.id",
        "referenced_tweets.id.attachments.media_keys", "referenced_tweets.id.author_id",
    }
)  # fmt: skip
"""Accepted; only ``author_id`` changes the output."""

_DEFAULT_TWEET_KEYS: Final = ("id", "text", "edit_history_tweet_ids")
_DEFAULT_USER_KEYS: Final = ("id", "name", "username")
_WHITESPACE: Final = b" \t\r\n"


class InvalidFieldsError(ValueError):
    """A ``tweet.fields``, ``user.fields`` or ``expansions`` value X does not know.

    ``parameter`` names the query parameter, ``values`` the unknown values."""

    def __init__(self, parameter: str, values: Iterable[str]) -> None:
        self.parameter = parameter
        self.values = sorted(values)
        super().__init__(
            f"The `{parameter}` query parameter value [{','.join(self.values)}] is not one of "
            f"the allowed values"
        )


@dataclass(frozen=True, slots=True)
class V2Fields:
    """Which optional fields a v2 connection asked for."""

    tweet_fields: frozenset[str] = frozenset()
    user_fields: frozenset[str] = frozenset()
    expand_author: bool = False

    @classmethod
    def parse(
        cls, tweet_fields: str | None, user_fields: str | None, expansions: str | None
    ) -> V2Fields:
        """From the comma-separated query values; ``InvalidFieldsError`` for an unknown one."""
        tweets = _values("tweet.fields", tweet_fields, TWEET_FIELDS)
        users = _values("user.fields", user_fields, USER_FIELDS)
        expanded = _values("expansions", expansions, EXPANSIONS)
        return cls(tweets, users, "author_id" in expanded)


def _values(parameter: str, raw: str | None, allowed: frozenset[str]) -> frozenset[str]:
    if raw is None:
        return frozenset()
    values = frozenset(value.strip() for value in raw.split(",") if value.strip())
    unknown = values - allowed
    if unknown:
        raise InvalidFieldsError(parameter, unknown)
    return values


def powertrack_line(item: Delivered, *, include_cursor: bool = False) -> bytes:
    """The PowerTrack line of ``item``, without its line ending."""
    body = item.value.strip(_WHITESPACE)
    if not include_cursor:
        return body
    return _with_cursor(body, item.cursor)


def v2_line(item: Delivered, fields: V2Fields, *, include_cursor: bool = False) -> bytes:
    """The X API v2 line of ``item``, without its line ending."""
    document = orjson.loads(item.value)
    if tweet_format(document) is TweetFormat.V11:
        rules = document.pop("matching_rules", None) or []
        message = to_v2(document)
        matching = [{"id": str(rule["id"]), "tag": rule.get("tag") or ""} for rule in rules]
    else:
        message = document
        matching = [
            {"id": str(rule["id"]), "tag": rule.get("tag") or ""}
            for rule in document.get("matching_rules") or []
        ]
    out: dict[str, Any] = {"data": _project_tweet(message.get("data") or {}, fields)}
    if fields.expand_author:
        users = _author(message, fields)
        if users:
            out["includes"] = {"users": users}
    out["matching_rules"] = matching
    if include_cursor:
        out["cursor"] = item.cursor
    return orjson.dumps(out)


def _project_tweet(data: Mapping[str, Any], fields: V2Fields) -> dict[str, Any]:
    wanted = set(fields.tweet_fields)
    if fields.expand_author:
        # X adds the key an expansion follows, so the include can be joined back.
        wanted.add("author_id")
    return {
        key: value for key, value in data.items() if key in _DEFAULT_TWEET_KEYS or key in wanted
    }


def _author(message: Mapping[str, Any], fields: V2Fields) -> list[dict[str, Any]]:
    author_id = (message.get("data") or {}).get("author_id")
    users = (message.get("includes") or {}).get("users") or []
    for user in users:
        if user.get("id") == author_id:
            return [
                {
                    key: value
                    for key, value in user.items()
                    if key in _DEFAULT_USER_KEYS or key in fields.user_fields
                }
            ]
    return []


def _with_cursor(body: bytes, cursor: str) -> bytes:
    if not body.endswith(b"}"):
        document = orjson.loads(body)
        document["cursor"] = cursor
        return orjson.dumps(document)
    inner = body[:-1].rstrip(_WHITESPACE)
    separator = b"" if inner.endswith(b"{") else b","
    return inner + separator + b'"cursor":' + orjson.dumps(cursor) + b"}"

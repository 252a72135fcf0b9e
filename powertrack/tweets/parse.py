"""One entry point for every tweet format: detect v1.1 or v2 and dispatch.

Stream control messages (``delete``, ``limit``, v2 ``errors``...) and
direct-message events are not tweets: they are rejected with a
:class:`TweetFormatError` that says what they are, so a consumer can log and
skip them like any other unreadable line.
"""

from __future__ import annotations

from typing import Any

import orjson

from powertrack.tweets.errors import TweetFormatError, describe
from powertrack.tweets.model import Tweet
from powertrack.tweets.v2 import tweet_from_v2
from powertrack.tweets.v11 import tweet_from_v11

__all__ = ["tweet_from_json"]

# Top-level keys of the v1.1 streaming API's non-tweet messages.
_NOTICES = (
    "delete",
    "scrub_geo",
    "limit",
    "status_withheld",
    "user_withheld",
    "disconnect",
    "warning",
    "friends",
    "event",
    "direct_message",
)


def tweet_from_json(raw: bytes | bytearray | memoryview | str | dict[str, Any]) -> Tweet:
    """Build a :class:`Tweet` from v1.1 native or v2 JSON.

    v2 is a filtered-stream message ``{"data": {...}, "includes": {...}}`` or a
    bare v2 tweet object (one with ``author_id`` or ``edit_history_tweet_ids``
    and no ``user``); v1.1 is a status object with ``user``.

    Raises :class:`TweetFormatError` when ``raw`` is not JSON, not an object,
    not a tweet, or has a required field missing or of the wrong type.
    """
    if type(raw) is dict:
        obj: Any = raw
    else:
        try:
            obj = orjson.loads(raw)  # type: ignore[arg-type]
        except orjson.JSONDecodeError as exc:
            if not isinstance(raw, bytes | bytearray | memoryview | str):
                raise TweetFormatError(
                    f"expected bytes, str or a dict, got {type(raw).__name__}"
                ) from None
            raise TweetFormatError(f"not JSON: {exc}") from None
        if type(obj) is not dict:
            raise TweetFormatError(f"not a tweet: expected a JSON object, got {describe(obj)}")
    if "user" in obj:
        return tweet_from_v11(obj)
    data = obj.get("data")
    if data is not None:
        if type(data) is dict:
            return tweet_from_v2(data, obj.get("includes"))
        if type(data) is list:
            raise TweetFormatError(
                "data: an array of tweets (a v2 response page); pass one tweet at a time"
            )
        raise TweetFormatError(f"data: expected a tweet object, got {describe(data)}")
    if "author_id" in obj or "edit_history_tweet_ids" in obj:
        return tweet_from_v2(obj)
    raise _not_a_tweet(obj)


def _not_a_tweet(obj: dict[str, Any]) -> TweetFormatError:
    for key in _NOTICES:
        if key in obj:
            return TweetFormatError(f"not a tweet: a v1.1 stream '{key}' message")
    if "errors" in obj:
        return TweetFormatError("not a tweet: a v2 error message without data")
    if "verb" in obj and "actor" in obj:
        return TweetFormatError(
            "not supported: an Activity Streams (PowerTrack 1.0) activity; "
            "send native v1.1 or v2 JSON"
        )
    if "text" in obj or "full_text" in obj:
        return TweetFormatError(
            "user: missing (a v1.1 status needs its author; a v2 tweet needs a 'data' "
            "wrapper, or 'author_id' or 'edit_history_tweet_ids')"
        )
    keys = ", ".join(sorted(obj)[:5]) or "none"
    return TweetFormatError(
        f"not a tweet: neither a v1.1 status ('user') nor a v2 message ('data'); keys: {keys}"
    )

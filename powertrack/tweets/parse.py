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


def tweet_from_json(
    raw: bytes | bytearray | memoryview | str | dict[str, Any], ignored: list[str] | None = None
) -> Tweet:
    """Build a :class:`Tweet` from v1.1 native or v2 JSON.

    v2 is a filtered-stream message ``{"data": {...}, "includes": {...}}`` or a
    bare v2 tweet object (one with ``author_id`` or ``edit_history_tweet_ids``);
    v1.1 is a status object with ``user`` (or, without it, with ``id_str``,
    ``full_text`` or ``extended_tweet``). Any other object with an ``id`` and
    a ``text`` is read as a bare v2 tweet.

    Only the id and the text are required: any other field that is missing
    where expected, or of another type or shape, is left out of the view and
    its path (``user``, ``entities.urls[].url``, ``data.geo.coordinates``) is
    appended to ``ignored`` when a tweet is returned.

    Raises :class:`TweetFormatError` when ``raw`` is not JSON, not an object,
    not a tweet, or has no id or no text.
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
    if ignored is None:
        ignored = []
    mark = len(ignored)
    try:
        if "user" in obj:
            return tweet_from_v11(obj, ignored)
        data = obj.get("data")
        if data is not None:
            if type(data) is dict:
                return tweet_from_v2(data, obj.get("includes"), ignored)
            if type(data) is list:
                raise TweetFormatError(
                    "data: an array of tweets (a v2 response page); pass one tweet at a time"
                )
            raise TweetFormatError(f"data: expected a tweet object, got {describe(data)}")
        if "author_id" in obj or "edit_history_tweet_ids" in obj:
            return tweet_from_v2(obj, None, ignored)
        return _without_marks(obj, ignored)
    except TweetFormatError:
        del ignored[mark:]
        raise


def _without_marks(obj: dict[str, Any], ignored: list[str]) -> Tweet:
    # Neither a v1.1 status with its user nor a v2 message: a stream notice,
    # or a tweet with its user (v1.1) or its v2 marks missing.
    for key in _NOTICES:
        if key in obj:
            raise TweetFormatError(f"not a tweet: a v1.1 stream '{key}' message")
    if "errors" in obj:
        raise TweetFormatError("not a tweet: a v2 error message without data")
    if "verb" in obj and "actor" in obj:
        raise TweetFormatError(
            "not supported: an Activity Streams (PowerTrack 1.0) activity; "
            "send native v1.1 or v2 JSON"
        )
    if "id_str" in obj or "full_text" in obj or "extended_tweet" in obj:
        return tweet_from_v11(obj, ignored)
    if "id" in obj and "text" in obj:
        return tweet_from_v2(obj, None, ignored)
    keys = ", ".join(sorted(obj)[:5]) or "none"
    raise TweetFormatError(
        f"not a tweet: neither a v1.1 status ('user') nor a v2 message ('data'); keys: {keys}"
    )

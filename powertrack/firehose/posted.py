"""Tweets posted through the API: built as v1.1 native JSON and published.

A posted tweet gets a snowflake id from the same time-ordered scheme as rule
ids, ``created_at`` equal to that id's time, and the entities (hashtags,
mentions, cashtags, links) the text contains, with their positions. Links
are kept as written rather than wrapped in t.co. Mentioned users' ids are
unknown, so mentions carry only the screen name.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import string
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import orjson

from powertrack.firehose._people import twitter_time
from powertrack.firehose.sink import TweetSink
from powertrack.firehose.v2 import snowflake_ms
from powertrack.store.ids import RuleIdGenerator
from powertrack.tweets.entities import extract_entities
from powertrack.tweets.errors import TweetFormatError
from powertrack.tweets.model import Tweet

__all__ = [
    "DEFAULT_AUTHOR",
    "MAX_TEXT_LENGTH",
    "Author",
    "PostedTweetError",
    "TweetPoster",
    "posted_tweet",
    "v11_entities",
]

MAX_TEXT_LENGTH: Final = 280
# Longer texts move to `extended_tweet`, as v1.1 streams deliver them.
_COMPAT_LENGTH: Final = 140
_MAX_USER_ID: Final = (1 << 63) - 1
_SCREEN_NAME = re.compile(r"[A-Za-z0-9_]{1,15}")
_LANG = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")
_SOURCE = '<a href="https://github.com/powertrack" rel="nofollow">powertrack</a>'

_ASCII_WORD = frozenset(string.ascii_letters + string.digits + "_")
_NOT_BEFORE_MENTION = _ASCII_WORD | frozenset("!#$%&*@＠")


class PostedTweetError(ValueError):
    """A posted tweet that cannot be built because ``field`` is wrong; the message says how."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True, slots=True)
class Author:
    """Who a posted tweet is from."""

    id: int
    screen_name: str
    name: str

    @classmethod
    def of(
        cls,
        user_id: str | int | None = None,
        screen_name: str | None = None,
        name: str | None = None,
    ) -> Author:
        """The author described by whichever fields a request gave.

        Without an id, the id is derived from the screen name (the same name
        always gives the same id, so ``from:`` rules by id keep matching);
        without a screen name, it is ``u`` and the id's last 14 digits.
        Neither given: :data:`DEFAULT_AUTHOR`.
        """
        if user_id is None and screen_name is None:
            return DEFAULT_AUTHOR if name is None else cls(DEFAULT_AUTHOR.id, "powertrack", name)
        if screen_name is not None and not _SCREEN_NAME.fullmatch(screen_name):
            raise PostedTweetError(
                "screen_name",
                f"{screen_name!r} is not a screen name (1 to 15 letters, digits or underscores)",
            )
        if user_id is None:
            assert screen_name is not None
            number = _derived_id(screen_name)
        else:
            text = str(user_id)
            if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= _MAX_USER_ID:
                raise PostedTweetError("user_id", f"{text!r} is not a user id (a positive integer)")
            number = int(text)
        handle = screen_name if screen_name is not None else f"u{str(number)[-14:]}"
        return cls(number, handle, name if name is not None else handle)

    def v11(self) -> dict[str, Any]:
        """The v1.1 user object of a posted tweet."""
        return {
            "id": self.id,
            "id_str": str(self.id),
            "name": self.name,
            "screen_name": self.screen_name,
            "location": None,
            "url": None,
            "description": None,
            "protected": False,
            "verified": False,
            "followers_count": 0,
            "friends_count": 0,
            "listed_count": 0,
            "favourites_count": 0,
            "statuses_count": 0,
            "default_profile": True,
        }


def _derived_id(screen_name: str) -> int:
    digest = hashlib.blake2b(screen_name.lower().encode(), digest_size=8).digest()
    return int.from_bytes(digest) % _MAX_USER_ID + 1


DEFAULT_AUTHOR: Final = Author(_derived_id("powertrack"), "powertrack", "powertrack")
"""The author of a posted tweet whose request names none."""


def posted_tweet(
    text: str,
    tweet_id: int,
    *,
    author: Author = DEFAULT_AUTHOR,
    lang: str | None = None,
    in_reply_to_status_id: int | None = None,
) -> dict[str, Any]:
    """The v1.1 native tweet for ``text`` posted by ``author`` with id ``tweet_id``.

    Raises :class:`PostedTweetError` for an empty text, one over
    :data:`MAX_TEXT_LENGTH` characters, or a malformed language code.
    """
    if not text.strip():
        raise PostedTweetError("text", "must not be empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise PostedTweetError(
            "text", f"{len(text)} characters, more than the {MAX_TEXT_LENGTH} allowed"
        )
    if lang is not None and lang != "und" and not _LANG.fullmatch(lang):
        raise PostedTweetError("lang", f"{lang!r} is not a language code such as en or pt-BR")
    ms = snowflake_ms(tweet_id)
    entities = v11_entities(text)
    tweet: dict[str, Any] = {
        "created_at": twitter_time(ms // 1000),
        "id": tweet_id,
        "id_str": str(tweet_id),
        "text": text,
        "source": _SOURCE,
        "truncated": False,
        "in_reply_to_status_id": in_reply_to_status_id,
        "in_reply_to_status_id_str": _str_or_none(in_reply_to_status_id),
        "in_reply_to_user_id": None,
        "in_reply_to_user_id_str": None,
        "in_reply_to_screen_name": None,
        "user": author.v11(),
        "geo": None,
        "coordinates": None,
        "place": None,
        "contributors": None,
        "is_quote_status": False,
        "quote_count": 0,
        "reply_count": 0,
        "retweet_count": 0,
        "favorite_count": 0,
        "entities": entities,
        "favorited": False,
        "retweeted": False,
        "filter_level": "low",
        "lang": lang or "und",
        "timestamp_ms": str(ms),
    }
    if len(text) > _COMPAT_LENGTH:
        short = text[: _COMPAT_LENGTH - 1]
        tweet["text"] = short + "…"
        tweet["truncated"] = True
        tweet["entities"] = {
            kind: [item for item in items if item["indices"][1] <= len(short)]
            for kind, items in entities.items()
        }
        tweet["extended_tweet"] = {
            "full_text": text,
            "display_text_range": [0, len(text)],
            "entities": entities,
        }
    try:
        Tweet.from_json(tweet)
    except TweetFormatError as exc:  # pragma: no cover - a bug here, not bad input
        raise AssertionError(f"posted tweet does not parse: {exc}") from exc
    return tweet


def _str_or_none(value: int | None) -> str | None:
    return None if value is None else str(value)


def v11_entities(text: str) -> dict[str, list[dict[str, Any]]]:
    """The v1.1 ``entities`` of ``text``: hashtags, user mentions, symbols and urls,
    each with its ``indices`` (start and end, in characters)."""
    found = extract_entities(text)
    url_spans: list[tuple[int, int]] = []
    urls = []
    cursor = 0
    for url in found.urls:
        start = text.find(url.url, cursor)
        end = start + len(url.url)
        cursor = end
        url_spans.append((start, end))
        display = url.expanded_url.split("://", 1)[-1]
        urls.append(
            {
                "url": url.url,
                "expanded_url": url.expanded_url,
                "display_url": display if len(display) <= 26 else display[:25] + "…",
                "indices": [start, end],
            }
        )

    def outside_urls(start: int) -> bool:
        return all(not s <= start < e for s, e in url_spans)

    hashtags = [
        {"text": tag, "indices": list(span)}
        for tag, span in _locate(text, found.hashtags, "#＃", _fits_hashtag, outside_urls)
    ]
    mentions = [
        {"screen_name": mention, "name": "", "indices": list(span)}
        for mention, span in _locate(
            text, [m.screen_name for m in found.mentions], "@＠", _fits_mention, outside_urls
        )
    ]
    symbols = [
        {"text": symbol, "indices": list(span)}
        for symbol, span in _locate(text, found.symbols, "$", _fits_cashtag, outside_urls)
    ]
    return {"hashtags": hashtags, "user_mentions": mentions, "symbols": symbols, "urls": urls}


_Fits = Callable[[str, int, int], bool]


def _locate(
    text: str,
    tokens: tuple[str, ...] | list[str],
    signs: str,
    fits: _Fits,
    outside_urls: Callable[[int], bool],
) -> list[tuple[str, tuple[int, int]]]:
    """Where each extracted token (without its sign) stands in ``text``, in order.

    The extractor returns tokens in order of appearance, so each is looked for
    after the previous one, at the first place that passes the same boundary
    tests the extractor applies.
    """
    located = []
    cursor = 0
    for token in tokens:
        span = _find(text, token, signs, cursor, fits, outside_urls)
        if span is None:  # pragma: no cover - the token came from this text
            span = _find(text, token, signs, 0, lambda *_: True, lambda _: True) or (0, 0)
        located.append((token, span))
        cursor = span[1]
    return located


def _find(
    text: str,
    token: str,
    signs: str,
    cursor: int,
    fits: _Fits,
    outside_urls: Callable[[int], bool],
) -> tuple[int, int] | None:
    while True:
        starts = [i for sign in signs if (i := text.find(sign + token, cursor)) >= 0]
        if not starts:
            return None
        start = min(starts)
        end = start + 1 + len(token)
        if fits(text, start, end) and outside_urls(start):
            return start, end
        cursor = start + 1


def _is_tag_char(char: str) -> bool:
    return char.isalnum() or char in "_&\u200c\u200d" or unicodedata.category(char)[0] == "M"


def _fits_hashtag(text: str, start: int, end: int) -> bool:
    return (start == 0 or not _is_tag_char(text[start - 1])) and (
        end == len(text) or not _is_tag_char(text[end])
    )


def _fits_mention(text: str, start: int, end: int) -> bool:
    before_ok = (
        start == 0
        or text[start - 1] not in _NOT_BEFORE_MENTION
        or text[max(start - 2, 0) : start].lower() == "rt"
    )
    return before_ok and (
        end == len(text) or (text[end] not in _ASCII_WORD and text[end] not in "@＠")
    )


def _fits_cashtag(text: str, start: int, end: int) -> bool:
    return (start == 0 or text[start - 1].isspace()) and (
        end == len(text) or text[end].isspace() or unicodedata.category(text[end])[0] in "PZ"
    )


class TweetPoster:
    """Builds posted tweets and publishes them through ``sink`` one at a time.

    Each tweet is flushed before the next is sent, so a failed flush concerns
    exactly the tweet being posted and the caller can report it as not
    published. That caps throughput at one broker round trip per tweet, which
    suits the test and demo traffic this path carries.
    """

    def __init__(self, sink: TweetSink, ids: RuleIdGenerator) -> None:
        self._sink = sink
        self._ids = ids
        self._lock = asyncio.Lock()

    async def post(
        self,
        text: str,
        *,
        author: Author = DEFAULT_AUTHOR,
        lang: str | None = None,
        in_reply_to_status_id: int | None = None,
    ) -> dict[str, Any]:
        """Publish a tweet of ``text``; return it as published (v1.1 native JSON).

        Raises :class:`PostedTweetError` for invalid input (nothing sent) and
        :class:`~powertrack.firehose.sink.PublishError` if the broker did not
        take the tweet.
        """
        async with self._lock:
            # The id is drawn under the lock so ids reach the topic in order.
            tweet_id = self._ids.next_id()
            tweet = posted_tweet(
                text,
                tweet_id,
                author=author,
                lang=lang,
                in_reply_to_status_id=in_reply_to_status_id,
            )
            await self._sink.send(tweet_id, orjson.dumps(tweet))
            await self._sink.flush()
        return tweet

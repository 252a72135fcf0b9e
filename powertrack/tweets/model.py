"""The normalized, immutable view of a tweet that matching works on.

Built from X API v1.1 native JSON or v2 JSON by :meth:`Tweet.from_json`.
Values are as the API gave them (original case); folding and tokenizing are
the matcher's business. Ids are decimal strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

__all__ = ["Media", "MediaType", "MentionEntity", "PlaceInfo", "Tweet", "UrlEntity", "User"]

MediaType: TypeAlias = Literal["photo", "video", "animated_gif"]


@dataclass(frozen=True, slots=True)
class User:
    """The author (or another user) as far as the payload describes them."""

    id: str
    screen_name: str
    name: str = ""
    description: str = ""
    location: str = ""
    verified: bool = False
    followers_count: int = 0
    friends_count: int = 0
    statuses_count: int = 0
    listed_count: int = 0


@dataclass(frozen=True, slots=True)
class MentionEntity:
    """A mentioned user: id and screen name (either may be empty when unknown)."""

    id: str
    screen_name: str


@dataclass(frozen=True, slots=True)
class UrlEntity:
    """A link in the body: the t.co ``url`` and where it leads."""

    url: str
    expanded_url: str


@dataclass(frozen=True, slots=True)
class Media:
    """A media item attached to the tweet."""

    type: MediaType
    url: str = ""
    expanded_url: str = ""


@dataclass(frozen=True, slots=True)
class PlaceInfo:
    """A tagged place. ``bbox`` is ``(west, south, east, north)`` in degrees when known."""

    id: str
    full_name: str
    country_code: str
    bbox: tuple[float, float, float, float] | None = None
    name: str = ""


@dataclass(frozen=True, slots=True)
class Tweet:
    """One tweet, normalized from v1.1 or v2 JSON.

    For a retweet, ``text`` and the entity fields describe the retweeted
    original (the full text), and ``retweeted`` holds the original itself.
    ``quoted`` holds the quoted original of a quote tweet.
    """

    id: str
    text: str
    author: User
    lang: str | None = None
    created_at_ms: int | None = None
    hashtags: tuple[str, ...] = ()
    mentions: tuple[MentionEntity, ...] = ()
    symbols: tuple[str, ...] = ()
    urls: tuple[UrlEntity, ...] = ()
    media: tuple[Media, ...] = ()
    in_reply_to_status_id: str | None = None
    in_reply_to_user_id: str | None = None
    in_reply_to_screen_name: str | None = None
    conversation_id: str | None = None
    retweeted: Tweet | None = None
    quoted: Tweet | None = None
    is_quote: bool = False
    source: str = ""
    place: PlaceInfo | None = None
    point: tuple[float, float] | None = None  # (longitude, latitude)
    nullcast: bool = False

    @classmethod
    def from_json(
        cls,
        raw: bytes | bytearray | memoryview | str | dict[str, Any],
        ignored: list[str] | None = None,
    ) -> Tweet:
        """Build a tweet from v1.1 native or v2 JSON (bytes, text or an already-parsed dict).

        Only the id and the text are required; the path of every other field
        left out because it was not as expected is appended to ``ignored``.
        Raises :class:`powertrack.tweets.errors.TweetFormatError` when the
        payload is not a tweet or has no id or no text.
        """
        from powertrack.tweets.parse import tweet_from_json

        return tweet_from_json(raw, ignored)

"""The fields of a v2 filtered-stream message that matching reads, as msgspec structs.

For ``{"data": ..., "includes": ...}`` messages (a v1.1 status is read by the
compiled index's own JSON scanner, ``index/_cscan.pxi``): msgspec skips every
other field (context annotations, metrics of the tweet, edit history)
without building it. Any field of an unexpected type makes the decode fail,
and the message then goes the general way (``Tweet.from_json``), which reads
every message :mod:`powertrack.tweets.v2` reads. These types describe the
common, well-formed case only; they decide no semantics.
"""

from __future__ import annotations

import msgspec

__all__ = ["DECODER", "Message"]


class _Tag(msgspec.Struct, gc=False):
    tag: str


class _Mention(msgspec.Struct, gc=False):
    username: str
    id: str | None = None


class _Url(msgspec.Struct, gc=False):
    url: str | None = None
    expanded_url: str | None = None
    unwound_url: str | None = None
    media_key: str | None = None


class _Entities(msgspec.Struct, gc=False):
    hashtags: list[_Tag] | None = None
    mentions: list[_Mention] | None = None
    cashtags: list[_Tag] | None = None
    urls: list[_Url] | None = None


class _Note(msgspec.Struct, gc=False):
    text: str | None = None
    entities: _Entities | None = None


class _Attachments(msgspec.Struct, gc=False):
    media_keys: list[str] | None = None


class _Reference(msgspec.Struct, gc=False):
    id: str
    type: str | None = None


class _Point(msgspec.Struct, gc=False):
    coordinates: list[float] | None = None


class _Geo(msgspec.Struct, gc=False):
    place_id: str | None = None
    coordinates: _Point | None = None


class Data(msgspec.Struct, gc=False):
    """A v2 tweet object: the fields :mod:`powertrack.tweets.v2` reads for matching."""

    id: str
    text: str
    author_id: str | None = None
    entities: _Entities | None = None
    note_tweet: _Note | None = None
    attachments: _Attachments | None = None
    referenced_tweets: list[_Reference] | None = None
    geo: _Geo | None = None
    in_reply_to_user_id: str | None = None
    conversation_id: str | None = None
    lang: str | None = None
    source: str | None = None
    # A direct-message event, not a tweet: the general way says so.
    dm_conversation_id: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET


class _Metrics(msgspec.Struct, gc=False):
    followers_count: int | None = None
    following_count: int | None = None
    tweet_count: int | None = None
    listed_count: int | None = None


class User(msgspec.Struct, gc=False):
    """An expanded user of ``includes.users``."""

    id: str
    username: str | None = None
    name: str | None = None
    description: str | None = None
    location: str | None = None
    verified: bool | None = None
    public_metrics: _Metrics | None = None


class _Media(msgspec.Struct, gc=False):
    media_key: str
    type: str | None = None


class _PlaceGeo(msgspec.Struct, gc=False):
    bbox: list[float] | None = None


class Place(msgspec.Struct, gc=False):
    """An expanded place of ``includes.places``."""

    id: str
    full_name: str | None = None
    country_code: str | None = None
    geo: _PlaceGeo | None = None


class _Includes(msgspec.Struct, gc=False):
    users: list[User] | None = None
    tweets: list[Data] | None = None
    media: list[_Media] | None = None
    places: list[Place] | None = None


class Message(msgspec.Struct, gc=False):
    """A filtered-stream message: one tweet and the objects it expands."""

    data: Data
    includes: _Includes | None = None
    # A message with "user" is read as v1.1 (tweets.parse): not this reader's.
    user: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET


DECODER = msgspec.json.Decoder(Message)

"""The fields of a v1.1 status that matching reads, as typed msgspec structs.

The compiled matcher decodes a firehose message with these: msgspec skips
every other field without building it, so a typical v1.1 tweet decodes in
about half the time ``orjson.loads`` takes to build the whole document. Any
field of an unexpected type makes the decode fail, and the message then goes
the general way (``Tweet.from_json``), which reads every tweet that
:mod:`powertrack.tweets.v11` reads. So these types describe the common,
well-formed case only; they decide no semantics.
"""

from __future__ import annotations

import msgspec

__all__ = ["DECODER", "Status"]


class _Text(msgspec.Struct, gc=False):
    text: str


class _Mention(msgspec.Struct, gc=False):
    screen_name: str | None = None
    id_str: str | None = None
    id: int | None = None


class _Url(msgspec.Struct, gc=False):
    url: str | None = None
    expanded_url: str | None = None


class _Media(msgspec.Struct, gc=False):
    type: str | None = None
    url: str | None = None
    expanded_url: str | None = None


class _Entities(msgspec.Struct, gc=False):
    hashtags: list[_Text] | None = None
    user_mentions: list[_Mention] | None = None
    symbols: list[_Text] | None = None
    urls: list[_Url] | None = None
    media: list[_Media] | None = None


class _ExtendedEntities(msgspec.Struct, gc=False):
    media: list[_Media] | None = None


class _Extended(msgspec.Struct, gc=False):
    full_text: str | None = None
    entities: _Entities | None = None
    extended_entities: _ExtendedEntities | None = None


class _User(msgspec.Struct, gc=False):
    id_str: str | None = None
    id: int | None = None
    screen_name: str | None = None
    name: str | None = None
    description: str | None = None
    location: str | None = None
    verified: bool | None = None
    followers_count: int | None = None
    friends_count: int | None = None
    statuses_count: int | None = None
    listed_count: int | None = None


class _Point(msgspec.Struct, gc=False):
    coordinates: tuple[float, float]


class _Scopes(msgspec.Struct, gc=False):
    followers: bool | None = None


class Status(msgspec.Struct, gc=False):
    """A v1.1 status: the fields :mod:`powertrack.tweets.v11` reads for matching."""

    id_str: str | None = None
    id: int | None = None
    text: str | None = None
    full_text: str | None = None
    extended_tweet: _Extended | None = None
    entities: _Entities | None = None
    extended_entities: _ExtendedEntities | None = None
    # Entity lists at the top level (a flattened archive form): their mere
    # presence changes where entities are read, so they are kept as seen.
    hashtags: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    user_mentions: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    urls: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    symbols: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    user: _User | None = None
    lang: str | None = None
    is_quote_status: bool | None = None
    retweeted_status: Status | None = None
    quoted_status: Status | None = None
    in_reply_to_status_id_str: str | None = None
    in_reply_to_status_id: int | None = None
    in_reply_to_user_id_str: str | None = None
    in_reply_to_user_id: int | None = None
    in_reply_to_screen_name: str | None = None
    source: str | None = None
    # Raw cannot be in a union with None: a null is seen as the Raw ``null``.
    place: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    coordinates: _Point | None = None
    geo: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    scopes: _Scopes | None = None


DECODER = msgspec.json.Decoder(Status)

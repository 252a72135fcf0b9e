"""X API v1.1 native status objects -> :class:`Tweet`.

Reads compatibility mode (``text`` plus ``extended_tweet``) and extended mode
(``full_text``) alike. Dict access is direct and checked inline: this runs
once per firehose tweet, and the payload's own ``entities`` are trusted, so
no regex runs unless a tweet comes without them.
"""

from __future__ import annotations

import html
from typing import Any

from powertrack.tweets.entities import Body, absorb_retweet, extract_entities
from powertrack.tweets.errors import TweetFormatError, wrong_type
from powertrack.tweets.fields import (
    MAX_DEPTH,
    MEDIA_TYPES,
    as_count,
    as_id,
    as_lon_lat,
    as_point,
    as_str,
    new_media,
    new_mention,
    new_tweet,
    new_url,
    new_user,
    v11_date_ms,
)
from powertrack.tweets.model import Media, MentionEntity, PlaceInfo, Tweet, UrlEntity, User

__all__ = ["tweet_from_v11"]

# The entity lists of the flattened form some archives use: entity lists at
# the top level of the status instead of under "entities".
_FLAT_ENTITY_KEYS = ("hashtags", "user_mentions", "urls", "symbols")

# Raw source HTML -> client name; a stream has few distinct clients.
_CACHE_LIMIT = 1024
_client_names: dict[str, str] = {}


def tweet_from_v11(obj: dict[str, Any]) -> Tweet:
    """Build a :class:`Tweet` from a v1.1 status object (a dict with ``user``)."""
    return _tweet(obj, "", 0)


def _tweet(obj: dict[str, Any], where: str, depth: int) -> Tweet:
    tweet_id = obj.get("id_str")
    if type(tweet_id) is not str or not tweet_id.isdigit():
        tweet_id = _fallback_id(obj, where)

    ext = obj.get("extended_tweet")
    if ext is None:
        text = obj.get("full_text")
        if text is None:
            text = obj.get("text")
        ents = obj.get("entities")
        xents = obj.get("extended_entities")
    elif type(ext) is dict:
        text = ext.get("full_text")
        if text is None:
            text = obj.get("text")
        ents = ext.get("entities")
        xents = ext.get("extended_entities")
        if ents is None:
            ents = obj.get("entities")
            xents = obj.get("extended_entities")
    else:
        raise wrong_type(where + "extended_tweet", ext, "an object")
    if type(text) is not str:
        if text is None:
            raise TweetFormatError(f"{where}text: missing (text, full_text)")
        raise wrong_type(where + "text", text, "a string")

    if ents is None and any(key in obj for key in _FLAT_ENTITY_KEYS):
        ents = obj
    if ents is None:
        hashtags, mentions, symbols, urls = extract_entities(text)
        media: tuple[Media, ...] = ()
    else:
        hashtags, mentions, symbols, urls, media = _entities(ents, xents, where)

    lang = obj.get("lang")
    if lang is not None and type(lang) is not str:
        raise wrong_type(where + "lang", lang, "a string")
    created_at_ms = obj.get("timestamp_ms")
    if created_at_ms is not None:
        created_at_ms = _timestamp_ms(created_at_ms, where)
    else:
        created_at = obj.get("created_at")
        if created_at is not None:
            created_at_ms = v11_date_ms(created_at, where + "created_at")

    retweeted = quoted = None
    is_quote = obj.get("is_quote_status") is True
    if depth < MAX_DEPTH:
        original = obj.get("retweeted_status")
        if original is not None:
            if type(original) is not dict:
                raise wrong_type(where + "retweeted_status", original, "an object")
            retweeted = _tweet(original, where + "retweeted_status.", depth + 1)
            text, hashtags, mentions, symbols, urls, media = absorb_retweet(
                Body(text, hashtags, mentions, symbols, urls, media), retweeted
            )
            # A retweet of a quote carries the quote's original too, so that
            # is:quote and quote-aware operators see through the retweet.
            quoted = retweeted.quoted
            is_quote = is_quote or retweeted.is_quote
        if quoted is None:
            quoted_obj = obj.get("quoted_status")
            if quoted_obj is not None:
                if type(quoted_obj) is not dict:
                    raise wrong_type(where + "quoted_status", quoted_obj, "an object")
                quoted = _tweet(quoted_obj, where + "quoted_status.", depth + 1)
                is_quote = True

    reply_to = obj.get("in_reply_to_status_id_str")
    if reply_to is None:
        reply_to = obj.get("in_reply_to_status_id")
        if reply_to is not None:
            reply_to = as_id(reply_to, where + "in_reply_to_status_id")
    elif type(reply_to) is not str or not reply_to.isdigit():
        reply_to = as_id(reply_to, where + "in_reply_to_status_id_str")
    reply_user = obj.get("in_reply_to_user_id_str")
    if reply_user is None:
        reply_user = obj.get("in_reply_to_user_id")
        if reply_user is not None:
            reply_user = as_id(reply_user, where + "in_reply_to_user_id")
    elif type(reply_user) is not str or not reply_user.isdigit():
        reply_user = as_id(reply_user, where + "in_reply_to_user_id_str")
    reply_name = obj.get("in_reply_to_screen_name")
    if reply_name is not None and type(reply_name) is not str:
        raise wrong_type(where + "in_reply_to_screen_name", reply_name, "a string")

    source = obj.get("source")
    if source is not None:
        name = _client_names.get(source) if type(source) is str else None
        source = _client_name(source, where) if name is None else name
    place = obj.get("place")
    if place is not None:
        place = _place(place, where + "place")
    point = obj.get("coordinates")
    if point is not None:
        point = as_point(point, where + "coordinates")
    elif obj.get("geo") is not None:
        point = _legacy_point(obj["geo"], where + "geo")
    scopes = obj.get("scopes")

    return new_tweet(  # the field order of fields.new_tweet
        tweet_id,
        text,
        _user(obj.get("user"), where),
        lang,
        created_at_ms,
        hashtags,
        mentions,
        symbols,
        urls,
        media,
        reply_to,
        reply_user,
        reply_name,
        None,  # conversation_id: v1.1 has none
        retweeted,
        quoted,
        is_quote,
        source or "",
        place,
        point,
        # Promoted-only tweets carry "scopes": {"followers": false} in the
        # native payload; v1.1 has no other nullcast marker.
        type(scopes) is dict and scopes.get("followers") is False,
    )


def _fallback_id(obj: dict[str, Any], where: str) -> str:
    id_str = obj.get("id_str")
    if id_str is not None:
        return as_id(id_str, where + "id_str")
    tweet_id = obj.get("id")
    if tweet_id is None:
        raise TweetFormatError(f"{where}id_str: missing (id_str, id)")
    return as_id(tweet_id, where + "id")


def _user(user: Any, where: str) -> User:
    if type(user) is not dict:
        if user is None:
            raise TweetFormatError(f"{where}user: missing")
        raise wrong_type(where + "user", user, "an object")
    user_id = user.get("id_str")
    if type(user_id) is not str or not user_id.isdigit():
        value = user.get("id") if user_id is None else user_id
        if value is None:
            raise TweetFormatError(f"{where}user.id_str: missing (id_str, id)")
        user_id = as_id(value, where + "user.id")
    screen_name = user.get("screen_name")
    if type(screen_name) is not str:
        screen_name = as_str(screen_name, where + "user.screen_name")
    name = user.get("name")
    if type(name) is not str:
        name = as_str(name, where + "user.name")
    description = user.get("description")
    if type(description) is not str:
        description = as_str(description, where + "user.description")
    location = user.get("location")
    if type(location) is not str:
        location = as_str(location, where + "user.location")
    followers = user.get("followers_count")
    if type(followers) is not int:
        followers = as_count(followers, where + "user.followers_count")
    friends = user.get("friends_count")
    if type(friends) is not int:
        friends = as_count(friends, where + "user.friends_count")
    statuses = user.get("statuses_count")
    if type(statuses) is not int:
        statuses = as_count(statuses, where + "user.statuses_count")
    listed = user.get("listed_count")
    if type(listed) is not int:
        listed = as_count(listed, where + "user.listed_count")
    return new_user(
        user_id,
        screen_name,
        name,
        description,
        location,
        user.get("verified") is True,
        followers,
        friends,
        statuses,
        listed,
    )


def _entities(
    ents: Any, xents: Any, where: str
) -> tuple[
    tuple[str, ...],
    tuple[MentionEntity, ...],
    tuple[str, ...],
    tuple[UrlEntity, ...],
    tuple[Media, ...],
]:
    if type(ents) is not dict:
        raise wrong_type(where + "entities", ents, "an object")
    items = ents.get("hashtags")
    hashtags = _texts(items, where, "entities.hashtags") if items else ()
    items = ents.get("user_mentions")
    mentions = _mentions(items, where) if items else ()
    items = ents.get("symbols")
    symbols = _texts(items, where, "entities.symbols") if items else ()
    items = ents.get("urls")
    urls = _urls(items, where) if items else ()
    # extended_entities lists every attached item with its real type;
    # entities.media has only the first, always typed "photo".
    items = None
    if xents is not None:
        if type(xents) is not dict:
            raise wrong_type(where + "extended_entities", xents, "an object")
        items = xents.get("media")
    if items is None:
        items = ents.get("media")
    media = _media(items, where) if items else ()
    return hashtags, mentions, symbols, urls, media


def _texts(items: Any, where: str, name: str) -> tuple[str, ...]:
    if type(items) is not list:
        raise wrong_type(where + name, items, "an array")
    texts = []
    for item in items:
        text = item.get("text") if type(item) is dict else None
        if type(text) is not str:
            raise wrong_type(f"{where}{name}[].text", text, "a string")
        texts.append(text)
    return tuple(texts)


def _mentions(items: Any, where: str) -> tuple[MentionEntity, ...]:
    if type(items) is not list:
        raise wrong_type(where + "entities.user_mentions", items, "an array")
    mentions = []
    for item in items:
        if type(item) is not dict:
            raise wrong_type(where + "entities.user_mentions[]", item, "an object")
        screen_name = item.get("screen_name")
        if type(screen_name) is not str:
            screen_name = as_str(screen_name, where + "entities.user_mentions[].screen_name")
        user_id = item.get("id_str")
        if type(user_id) is not str:
            value = item.get("id") if user_id is None else user_id
            user_id = "" if value is None else as_id(value, where + "entities.user_mentions[].id")
        mentions.append(new_mention(user_id, screen_name))
    return tuple(mentions)


def _urls(items: Any, where: str) -> tuple[UrlEntity, ...]:
    if type(items) is not list:
        raise wrong_type(where + "entities.urls", items, "an array")
    urls = []
    for item in items:
        if type(item) is not dict:
            raise wrong_type(where + "entities.urls[]", item, "an object")
        url = item.get("url")
        expanded = item.get("expanded_url")
        if type(url) is not str:
            url = as_str(url, where + "entities.urls[].url")
        if type(expanded) is not str:
            # Links from before URL wrapping have a null expanded_url.
            expanded = as_str(expanded, where + "entities.urls[].expanded_url") or url
        urls.append(new_url(url, expanded))
    return tuple(urls)


def _media(items: Any, where: str) -> tuple[Media, ...]:
    if type(items) is not list:
        raise wrong_type(where + "extended_entities.media", items, "an array")
    media = []
    for item in items:
        if type(item) is not dict:
            raise wrong_type(where + "extended_entities.media[]", item, "an object")
        kind = item.get("type")
        url = item.get("url")
        expanded = item.get("expanded_url")
        if type(url) is not str:
            url = as_str(url, where + "extended_entities.media[].url")
        if type(expanded) is not str:
            expanded = as_str(expanded, where + "extended_entities.media[].expanded_url")
        kind = MEDIA_TYPES.get(kind, "photo") if type(kind) is str else "photo"
        media.append(new_media(kind, url, expanded))
    return tuple(media)


def _client_name(source: Any, where: str) -> str:
    # '<a href="..." rel="nofollow">Twitter for iPhone</a>' -> the link text;
    # old tweets have a bare name such as "web".
    if type(source) is not str:
        raise wrong_type(where + "source", source, "a string")
    name = source
    if source.startswith("<"):
        start = source.find(">") + 1
        end = source.find("<", start)
        name = "" if not start else source[start:end] if end >= 0 else source[start:]
        if "&" in name:
            name = html.unescape(name)
    if len(_client_names) >= _CACHE_LIMIT:
        _client_names.clear()
    _client_names[source] = name
    return name


def _timestamp_ms(value: Any, where: str) -> int:
    if type(value) is int:
        return value
    if type(value) is str and value.isascii() and value.isdigit():
        return int(value)
    raise wrong_type(where + "timestamp_ms", value, "milliseconds since the epoch")


def _legacy_point(value: Any, where: str) -> tuple[float, float]:
    # The deprecated "geo" field is [latitude, longitude], the reverse of GeoJSON.
    if type(value) is not dict:
        raise wrong_type(where, value, "a Point object")
    coordinates = value.get("coordinates")
    if type(coordinates) is list and len(coordinates) == 2:
        coordinates = [coordinates[1], coordinates[0]]
    return as_lon_lat(coordinates, where + ".coordinates (as [latitude, longitude])")


def _place(place: Any, where: str) -> PlaceInfo:
    if type(place) is not dict:
        raise wrong_type(where, place, "an object")
    place_id = place.get("id")
    if type(place_id) is not str:
        raise wrong_type(where + ".id", place_id, "a string")
    box = place.get("bounding_box")
    return PlaceInfo(
        id=place_id,
        full_name=as_str(place.get("full_name"), where + ".full_name"),
        country_code=as_str(place.get("country_code"), where + ".country_code"),
        bbox=None if box is None else _bbox(box, where + ".bounding_box"),
        name=as_str(place.get("name"), where + ".name"),
    )


def _bbox(box: Any, where: str) -> tuple[float, float, float, float] | None:
    # A GeoJSON Polygon whose outer ring is the box's corners.
    if type(box) is not dict:
        raise wrong_type(where, box, "a GeoJSON Polygon")
    coordinates = box.get("coordinates")
    if coordinates is None:
        return None
    ring = coordinates[0] if type(coordinates) is list and coordinates else None
    if type(ring) is not list or not ring:
        raise wrong_type(where + ".coordinates", coordinates, "a Polygon's rings")
    corners = [as_lon_lat(corner, where + ".coordinates[0][]") for corner in ring]
    lons = [lon for lon, _ in corners]
    lats = [lat for _, lat in corners]
    return min(lons), min(lats), max(lons), max(lats)

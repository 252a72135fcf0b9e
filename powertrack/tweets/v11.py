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
    as_lon_lat,
    as_point,
    as_str,
    id_error,
    new_media,
    new_mention,
    new_tweet,
    new_url,
    new_user,
    opt_id,
    read_id,
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
_NO_AUTHOR = User("", "")


def tweet_from_v11(obj: dict[str, Any], ignored: list[str]) -> Tweet:
    """Build a :class:`Tweet` from a v1.1 status object.

    Only the id and the text are required (:class:`TweetFormatError` without
    them); any other field that is not as expected is read as absent and its
    path appended to ``ignored``.
    """
    return _tweet(obj, "", 0, ignored)


def _tweet(obj: dict[str, Any], where: str, depth: int, ignored: list[str]) -> Tweet:
    tweet_id = obj.get("id_str")
    if type(tweet_id) is not str or not (tweet_id.isdigit() and tweet_id.isascii()):
        tweet_id = _fallback_id(obj, where, ignored)

    ext = obj.get("extended_tweet")
    if ext is not None and type(ext) is not dict:
        ignored.append(where + "extended_tweet")
        ext = None
    if ext is None:
        text = obj.get("full_text")
        if text is None:
            text = obj.get("text")
        ents = obj.get("entities")
        xents = obj.get("extended_entities")
        ents_at, xents_at = "entities.", "extended_entities"
    else:
        text = ext.get("full_text")
        ents = ext.get("entities")
        xents = ext.get("extended_entities")
        ents_at, xents_at = "extended_tweet.entities.", "extended_tweet.extended_entities"
        if type(ents) is not dict:
            if ents is not None:
                ignored.append(where + "extended_tweet.entities")
            ents = obj.get("entities")
            xents = obj.get("extended_entities")
            ents_at, xents_at = "entities.", "extended_entities"
    if type(text) is not str:
        text = _fallback_text(obj, ext, where, ignored)

    if type(ents) is not dict:
        ents = _other_entities(obj, ents, where + ents_at[:-1], ignored)
        ents_at = ""  # the flattened form's lists are the status's own fields
    if ents is None:
        hashtags, mentions, symbols, urls = extract_entities(text)
        media: tuple[Media, ...] = ()
    else:
        hashtags, mentions, symbols, urls, media = _entities(
            ents, xents, where + ents_at, where + xents_at, ignored
        )

    lang = obj.get("lang")
    if lang is not None and type(lang) is not str:
        ignored.append(where + "lang")
        lang = None
    created_at_ms = obj.get("timestamp_ms")
    if created_at_ms is not None:
        created_at_ms = _timestamp_ms(created_at_ms, where, ignored)
    if created_at_ms is None:
        created_at = obj.get("created_at")
        if created_at is not None:
            created_at_ms = v11_date_ms(created_at, where + "created_at", ignored)

    retweeted = quoted = None
    is_quote = obj.get("is_quote_status") is True
    if depth < MAX_DEPTH:
        original = obj.get("retweeted_status")
        if original is not None:
            retweeted = _nested(original, where + "retweeted_status", depth, ignored)
        if retweeted is not None:
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
                quoted = _nested(quoted_obj, where + "quoted_status", depth, ignored)
                is_quote = is_quote or quoted is not None

    reply_to = obj.get("in_reply_to_status_id_str")
    if reply_to is None:
        reply_to = obj.get("in_reply_to_status_id")
        if reply_to is not None:
            reply_to = opt_id(reply_to, where + "in_reply_to_status_id", ignored)
    elif type(reply_to) is not str or not (reply_to.isdigit() and reply_to.isascii()):
        reply_to = _either_id(obj, "in_reply_to_status_id", where, ignored)
    reply_user = obj.get("in_reply_to_user_id_str")
    if reply_user is None:
        reply_user = obj.get("in_reply_to_user_id")
        if reply_user is not None:
            reply_user = opt_id(reply_user, where + "in_reply_to_user_id", ignored)
    elif type(reply_user) is not str or not (reply_user.isdigit() and reply_user.isascii()):
        reply_user = _either_id(obj, "in_reply_to_user_id", where, ignored)
    reply_name = obj.get("in_reply_to_screen_name")
    if reply_name is not None and type(reply_name) is not str:
        ignored.append(where + "in_reply_to_screen_name")
        reply_name = None

    source = obj.get("source")
    if source is not None:
        name = _client_names.get(source) if type(source) is str else None
        source = _client_name(source, where, ignored) if name is None else name
    place = obj.get("place")
    if place is not None:
        place = _place(place, where + "place", ignored)
    point = obj.get("coordinates")
    if point is not None:
        point = as_point(point, where + "coordinates", ignored)
    if point is None and obj.get("geo") is not None:
        point = _legacy_point(obj["geo"], where + "geo", ignored)
    scopes = obj.get("scopes")

    return new_tweet(  # the field order of fields.new_tweet
        tweet_id,
        text,
        _user(obj.get("user"), where, ignored),
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


def _nested(obj: Any, where: str, depth: int, ignored: list[str]) -> Tweet | None:
    # A retweeted or quoted original that is not a tweet is left out; the
    # tweet around it is still read and matched.
    if type(obj) is dict:
        mark = len(ignored)
        try:
            return _tweet(obj, where + ".", depth + 1, ignored)
        except TweetFormatError:
            del ignored[mark:]
    ignored.append(where)
    return None


def _either_id(obj: dict[str, Any], name: str, where: str, ignored: list[str]) -> str | None:
    # The id of name_str, else of name; an odd one of either is noted.
    text = obj.get(name + "_str")
    if text is not None:
        found = read_id(text)
        if found is not None:
            return found
        ignored.append(where + name + "_str")
    value = obj.get(name)
    return None if value is None else opt_id(value, where + name, ignored)


def _fallback_id(obj: dict[str, Any], where: str, ignored: list[str]) -> str:
    tweet_id = _either_id(obj, "id", where, ignored)
    if tweet_id is not None:
        return tweet_id
    for name in ("id_str", "id"):
        value = obj.get(name)
        if value is not None:
            raise id_error(value, where + name)
    raise TweetFormatError(f"{where}id_str: missing (id_str, id)")


def _fallback_text(
    obj: dict[str, Any], ext: dict[str, Any] | None, where: str, ignored: list[str]
) -> str:
    # The first string of extended_tweet.full_text, full_text and text.
    candidates = [("full_text", obj.get("full_text")), ("text", obj.get("text"))]
    if ext is not None:
        candidates.insert(0, ("extended_tweet.full_text", ext.get("full_text")))
    present = [(name, value) for name, value in candidates if value is not None]
    for name, value in present:
        if type(value) is str:
            return value
        ignored.append(where + name)
    if present:
        name, value = present[0]
        raise wrong_type(where + name, value, "a string")
    raise TweetFormatError(f"{where}text: missing (text, full_text)")


def _other_entities(
    obj: dict[str, Any], ents: Any, where: str, ignored: list[str]
) -> dict[str, Any] | None:
    # No entities object: the flattened form some archives use (entity lists
    # at the top level of the status), else none, and they are extracted.
    if ents is not None:
        ignored.append(where)
    return obj if any(key in obj for key in _FLAT_ENTITY_KEYS) else None


def _user(user: Any, where: str, ignored: list[str]) -> User:
    if type(user) is not dict:
        ignored.append(where + "user")
        return _NO_AUTHOR
    user_id = user.get("id_str")
    if type(user_id) is not str or not (user_id.isdigit() and user_id.isascii()):
        user_id = _either_id(user, "id", where + "user.", ignored)
        if user_id is None:
            if user.get("id") is None and user.get("id_str") is None:
                ignored.append(where + "user.id")
            user_id = ""
    screen_name = user.get("screen_name")
    if type(screen_name) is not str:
        screen_name = as_str(screen_name, where + "user.screen_name", ignored)
    name = user.get("name")
    if type(name) is not str:
        name = as_str(name, where + "user.name", ignored)
    description = user.get("description")
    if type(description) is not str:
        description = as_str(description, where + "user.description", ignored)
    location = user.get("location")
    if type(location) is not str:
        location = as_str(location, where + "user.location", ignored)
    followers = user.get("followers_count")
    if type(followers) is not int:
        followers = as_count(followers, where + "user.followers_count", ignored)
    friends = user.get("friends_count")
    if type(friends) is not int:
        friends = as_count(friends, where + "user.friends_count", ignored)
    statuses = user.get("statuses_count")
    if type(statuses) is not int:
        statuses = as_count(statuses, where + "user.statuses_count", ignored)
    listed = user.get("listed_count")
    if type(listed) is not int:
        listed = as_count(listed, where + "user.listed_count", ignored)
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
    ents: dict[str, Any], xents: Any, where: str, xwhere: str, ignored: list[str]
) -> tuple[
    tuple[str, ...],
    tuple[MentionEntity, ...],
    tuple[str, ...],
    tuple[UrlEntity, ...],
    tuple[Media, ...],
]:
    # where: the path of ents with its dot (the status's own for the
    # flattened form); xwhere: the path of xents.
    items = ents.get("hashtags")
    hashtags = _texts(items, where, "hashtags", ignored) if items else ()
    items = ents.get("user_mentions")
    mentions = _mentions(items, where + "user_mentions", ignored) if items else ()
    items = ents.get("symbols")
    symbols = _texts(items, where, "symbols", ignored) if items else ()
    items = ents.get("urls")
    urls = _urls(items, where + "urls", ignored) if items else ()
    # extended_entities lists every attached item with its real type;
    # entities.media has only the first, always typed "photo".
    items = None
    if xents is not None:
        if type(xents) is dict:
            items = xents.get("media")
        else:
            ignored.append(xwhere)
    if items is not None:
        media = _media(items, xwhere + ".media", ignored) if items else ()
    else:
        items = ents.get("media")
        media = _media(items, where + "media", ignored) if items else ()
    return hashtags, mentions, symbols, urls, media


def _texts(items: Any, where: str, name: str, ignored: list[str]) -> tuple[str, ...]:
    if type(items) is not list:
        ignored.append(where + name)
        return ()
    texts = []
    for item in items:
        text = item.get("text") if type(item) is dict else None
        if type(text) is str:
            texts.append(text)
        else:
            ignored.append(f"{where}{name}[].text")
    return tuple(texts)


def _mentions(items: Any, where: str, ignored: list[str]) -> tuple[MentionEntity, ...]:
    if type(items) is not list:
        ignored.append(where)
        return ()
    mentions = []
    for item in items:
        if type(item) is not dict:
            ignored.append(where + "[]")
            continue
        screen_name = item.get("screen_name")
        if type(screen_name) is not str:
            screen_name = as_str(screen_name, where + "[].screen_name", ignored)
        user_id = item.get("id_str")
        if type(user_id) is not str:
            user_id = _either_id(item, "id", where + "[].", ignored) or ""
        mentions.append(new_mention(user_id, screen_name))
    return tuple(mentions)


def _urls(items: Any, where: str, ignored: list[str]) -> tuple[UrlEntity, ...]:
    if type(items) is not list:
        ignored.append(where)
        return ()
    urls = []
    for item in items:
        if type(item) is not dict:
            ignored.append(where + "[]")
            continue
        url = item.get("url")
        expanded = item.get("expanded_url")
        if type(url) is not str:
            url = as_str(url, where + "[].url", ignored)
        if type(expanded) is not str:
            # Links from before URL wrapping have a null expanded_url.
            expanded = as_str(expanded, where + "[].expanded_url", ignored) or url
        urls.append(new_url(url, expanded))
    return tuple(urls)


def _media(items: Any, where: str, ignored: list[str]) -> tuple[Media, ...]:
    if type(items) is not list:
        ignored.append(where)
        return ()
    media = []
    for item in items:
        if type(item) is not dict:
            ignored.append(where + "[]")
            continue
        kind = item.get("type")
        url = item.get("url")
        expanded = item.get("expanded_url")
        if type(url) is not str:
            url = as_str(url, where + "[].url", ignored)
        if type(expanded) is not str:
            expanded = as_str(expanded, where + "[].expanded_url", ignored)
        kind = MEDIA_TYPES.get(kind, "photo") if type(kind) is str else "photo"
        media.append(new_media(kind, url, expanded))
    return tuple(media)


def _client_name(source: Any, where: str, ignored: list[str]) -> str:
    # '<a href="..." rel="nofollow">Twitter for iPhone</a>' -> the link text;
    # old tweets have a bare name such as "web".
    if type(source) is not str:
        ignored.append(where + "source")
        return ""
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


def _timestamp_ms(value: Any, where: str, ignored: list[str]) -> int | None:
    if type(value) is int:
        return value
    if type(value) is str and value.isascii() and value.isdigit():
        return int(value)
    ignored.append(where + "timestamp_ms")
    return None


def _legacy_point(value: Any, where: str, ignored: list[str]) -> tuple[float, float] | None:
    # The deprecated "geo" field is [latitude, longitude], the reverse of GeoJSON.
    if type(value) is not dict:
        ignored.append(where)
        return None
    coordinates = value.get("coordinates")
    if type(coordinates) is list and len(coordinates) == 2:
        coordinates = [coordinates[1], coordinates[0]]
    return as_lon_lat(coordinates, where + ".coordinates", ignored)


def _place(place: Any, where: str, ignored: list[str]) -> PlaceInfo | None:
    # A place is known by its id: without one it is left out.
    if type(place) is not dict:
        ignored.append(where)
        return None
    place_id = place.get("id")
    if type(place_id) is not str:
        ignored.append(where + ".id")
        return None
    box = place.get("bounding_box")
    return PlaceInfo(
        id=place_id,
        full_name=as_str(place.get("full_name"), where + ".full_name", ignored),
        country_code=as_str(place.get("country_code"), where + ".country_code", ignored),
        bbox=None if box is None else _bbox(box, where + ".bounding_box", ignored),
        name=as_str(place.get("name"), where + ".name", ignored),
    )


def _bbox(box: Any, where: str, ignored: list[str]) -> tuple[float, float, float, float] | None:
    # A GeoJSON Polygon whose outer ring is the box's corners; one corner
    # that is not a point leaves the whole box out.
    if type(box) is not dict:
        ignored.append(where)
        return None
    coordinates = box.get("coordinates")
    if coordinates is None:
        return None
    where += ".coordinates"
    ring = coordinates[0] if type(coordinates) is list and coordinates else None
    if type(ring) is not list or not ring:
        ignored.append(where)
        return None
    lons = []
    lats = []
    for corner in ring:
        point = as_lon_lat(corner, where, ignored)
        if point is None:
            return None
        lons.append(point[0])
        lats.append(point[1])
    return min(lons), min(lats), max(lons), max(lats)

"""X API v2 tweets (``{"data": ..., "includes": ...}``) -> :class:`Tweet`.

A v2 tweet names its author, referenced tweets, media and place by id; their
bodies are in ``includes`` when the stream asked for those expansions. What
``includes`` lacks is kept as far as the ids allow: an author with only its
id, a place with only its id, a retweeted original with only its id (and its
author's screen name from the ``RT @name:`` prefix), so ``is:retweet``,
``retweets_of:``, ``place:`` and ``has:geo`` still work.
"""

from __future__ import annotations

import re
from typing import Any

from powertrack.tweets.entities import Body, absorb_retweet, extract_entities
from powertrack.tweets.errors import TweetFormatError, wrong_type
from powertrack.tweets.fields import (
    MAX_DEPTH,
    MEDIA_TYPES,
    as_count,
    as_id,
    as_list,
    as_lon_lat,
    as_point,
    as_str,
    iso_date_ms,
    new_media,
    new_mention,
    new_tweet,
    new_url,
    new_user,
    opt_str,
)
from powertrack.tweets.model import (
    Media,
    MediaType,
    MentionEntity,
    PlaceInfo,
    Tweet,
    UrlEntity,
    User,
)

__all__ = ["tweet_from_v2"]

# Media keys start with a type code: 3_ photo, 7_ video, 13_ amplify video,
# 16_ animated GIF. It types a media item whose body is not in includes.
_MEDIA_KEY_TYPES: dict[str, MediaType] = {"7": "video", "13": "video", "16": "animated_gif"}
_NO_AUTHOR = User("", "")
_SCREEN_NAME = re.compile(r"[A-Za-z0-9_]{1,15}")

_Index = dict[str, dict[str, Any]]


# Lookups by id into one message's includes, each index built on first use:
# most messages need only the users.
class _Includes:
    __slots__ = ("_indexes", "_names", "_raw")

    def __init__(self, raw: Any) -> None:
        if raw is not None and type(raw) is not dict:
            raise wrong_type("includes", raw, "an object")
        self._raw: dict[str, Any] = raw or {}
        self._indexes: dict[str, _Index] = {}
        self._names: dict[str, str] | None = None

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        index = self._indexes.get(kind)
        if index is None:
            index = self._indexes[kind] = _index(self._raw.get(kind), kind)
        return index.get(key)

    def user_id_by_name(self, username: str) -> str:
        if self._names is None:
            self.get("users", "")
            self._names = {
                name.lower(): user_id
                for user_id, user in self._indexes["users"].items()
                if type(name := user.get("username")) is str
            }
        return self._names.get(username.lower(), "")


def _index(items: Any, kind: str) -> _Index:
    if not items:
        return {}
    key = "media_key" if kind == "media" else "id"
    try:
        # An id of another type indexes harmlessly: lookups are by string and miss.
        return {item[key]: item for item in as_list(items, "includes." + kind)}
    except (TypeError, KeyError):
        raise TweetFormatError(
            f"includes.{kind}: expected objects with a string '{key}' field"
        ) from None


def tweet_from_v2(data: dict[str, Any], includes: Any = None) -> Tweet:
    """Build a :class:`Tweet` from a v2 tweet object and its message's ``includes``."""
    if "dm_conversation_id" in data:
        raise TweetFormatError("data: a direct-message event, not a tweet")
    return _tweet(data, _Includes(includes), "data.", 0)


def _tweet(data: dict[str, Any], inc: _Includes, where: str, depth: int) -> Tweet:
    tweet_id = data.get("id")
    if type(tweet_id) is not str or not tweet_id.isdigit():
        if tweet_id is None:
            raise TweetFormatError(f"{where}id: missing")
        tweet_id = as_id(tweet_id, where + "id")

    ents = data.get("entities")
    note = data.get("note_tweet")
    if note is None:
        text = data.get("text")
    elif type(note) is dict:
        # A long tweet: "text" is its first 280 characters, note_tweet the whole.
        text = note.get("text")
        if text is None:
            text = data.get("text")
        elif note.get("entities") is not None:
            ents = note["entities"]
    else:
        raise wrong_type(where + "note_tweet", note, "an object")
    if type(text) is not str:
        if text is None:
            raise TweetFormatError(f"{where}text: missing")
        raise wrong_type(where + "text", text, "a string")

    author_id = data.get("author_id")
    if author_id is None:
        author = _NO_AUTHOR
    else:
        if type(author_id) is not str or not author_id.isdigit():
            author_id = as_id(author_id, where + "author_id")
        author = _user(inc.get("users", author_id), author_id)

    media_links: dict[str, UrlEntity] | None = None
    if ents is None:
        hashtags, mentions, symbols, urls = extract_entities(text)
        if mentions:
            mentions = tuple(
                MentionEntity(inc.user_id_by_name(mention.screen_name), mention.screen_name)
                for mention in mentions
            )
    elif type(ents) is dict:
        items = ents.get("hashtags")
        hashtags = _tags(items, where, "entities.hashtags") if items else ()
        items = ents.get("mentions")
        mentions = _mentions(items, inc, where) if items else ()
        items = ents.get("cashtags")
        symbols = _tags(items, where, "entities.cashtags") if items else ()
        items = ents.get("urls")
        urls, media_links = _urls(items, where) if items else ((), None)
    else:
        raise wrong_type(where + "entities", ents, "an object")
    attachments = data.get("attachments")
    media = _media(attachments, media_links, inc, where) if attachments or media_links else ()

    reply_to = retweet_id = quote_id = None
    refs = data.get("referenced_tweets")
    if refs:
        reply_to, retweet_id, quote_id = _references(refs, where)
    retweeted = quoted = None
    is_quote = quote_id is not None
    if retweet_id is not None:
        original = inc.get("tweets", retweet_id) if depth < MAX_DEPTH else None
        if original is None:
            retweeted = _stub_original(retweet_id, text, mentions)
        else:
            retweeted = _tweet(original, inc, f"includes.tweets[id={retweet_id}].", depth + 1)
            # Same retweet semantics as v1.1, and the original's quoted tweet.
            text, hashtags, mentions, symbols, urls, media = absorb_retweet(
                Body(text, hashtags, mentions, symbols, urls, media), retweeted
            )
            quoted = retweeted.quoted
            is_quote = is_quote or retweeted.is_quote
    if quote_id is not None and depth < MAX_DEPTH and (quoted is None or quoted.id != quote_id):
        quoted_data = inc.get("tweets", quote_id)
        if quoted_data is not None:
            quoted = _tweet(quoted_data, inc, f"includes.tweets[id={quote_id}].", depth + 1)

    place = point = None
    geo = data.get("geo")
    if geo is not None:
        if type(geo) is not dict:
            raise wrong_type(where + "geo", geo, "an object")
        place_id = geo.get("place_id")
        if place_id is not None:
            place = _place(place_id, inc, where + "geo.place_id")
        coordinates = geo.get("coordinates")
        if coordinates is not None:
            point = as_point(coordinates, where + "geo.coordinates")

    reply_user_id = data.get("in_reply_to_user_id")
    reply_name = None
    if reply_user_id is not None:
        if type(reply_user_id) is not str or not reply_user_id.isdigit():
            reply_user_id = as_id(reply_user_id, where + "in_reply_to_user_id")
        replied = inc.get("users", reply_user_id)
        if replied is not None:
            reply_name = opt_str(replied.get("username"), "includes.users[].username")
    conversation_id = data.get("conversation_id")
    if conversation_id is not None and (
        type(conversation_id) is not str or not conversation_id.isdigit()
    ):
        conversation_id = as_id(conversation_id, where + "conversation_id")
    lang = data.get("lang")
    if lang is not None and type(lang) is not str:
        raise wrong_type(where + "lang", lang, "a string")
    created_at = data.get("created_at")

    source = data.get("source")
    if type(source) is not str:
        source = as_str(source, where + "source")
    return new_tweet(  # the field order of fields.new_tweet
        tweet_id,
        text,
        author,
        lang,
        None if created_at is None else iso_date_ms(created_at, where + "created_at"),
        hashtags,
        mentions,
        symbols,
        urls,
        media,
        reply_to,
        reply_user_id,
        reply_name,
        conversation_id,
        retweeted,
        quoted,
        is_quote,
        source,
        place,
        point,
        False,  # nullcast: v2 has no marker for promoted-only tweets
    )


def _user(user: dict[str, Any] | None, user_id: str) -> User:
    if user is None:
        return User(user_id, "")
    username = user.get("username")
    name = user.get("name")
    description = user.get("description")
    if description is None:
        description = ""
    location = user.get("location")
    if location is None:
        location = ""
    if not (
        type(username) is str
        and type(name) is str
        and type(description) is str
        and type(location) is str
    ):
        where = f"includes.users[id={user_id}]."
        username = as_str(username, where + "username")
        name = as_str(name, where + "name")
        description = as_str(description, where + "description")
        location = as_str(location, where + "location")
    metrics = user.get("public_metrics")
    if type(metrics) is dict:
        followers = metrics.get("followers_count")
        following = metrics.get("following_count")
        tweets = metrics.get("tweet_count")
        listed = metrics.get("listed_count")
        if not (
            type(followers) is int
            and type(following) is int
            and type(tweets) is int
            and type(listed) is int
        ):
            where = f"includes.users[id={user_id}].public_metrics."
            followers = as_count(followers, where + "followers_count")
            following = as_count(following, where + "following_count")
            tweets = as_count(tweets, where + "tweet_count")
            listed = as_count(listed, where + "listed_count")
    elif metrics is None:
        followers = following = tweets = listed = 0
    else:
        raise wrong_type(f"includes.users[id={user_id}].public_metrics", metrics, "an object")
    return new_user(
        user_id,
        username,
        name,
        description,
        location,
        user.get("verified") is True,
        followers,
        following,
        tweets,
        listed,
    )


def _tags(items: Any, where: str, name: str) -> tuple[str, ...]:
    tags = []
    for item in as_list(items, where + name):
        tag = item.get("tag") if type(item) is dict else None
        if type(tag) is not str:
            raise wrong_type(f"{where}{name}[].tag", tag, "a string")
        tags.append(tag)
    return tuple(tags)


def _mentions(items: Any, inc: _Includes, where: str) -> tuple[MentionEntity, ...]:
    mentions = []
    for item in as_list(items, where + "entities.mentions"):
        username = item.get("username") if type(item) is dict else None
        if type(username) is not str:
            raise wrong_type(where + "entities.mentions[].username", username, "a string")
        user_id = item.get("id")
        if user_id is None:
            user_id = inc.user_id_by_name(username)
        elif type(user_id) is not str:
            user_id = as_id(user_id, where + "entities.mentions[].id")
        mentions.append(new_mention(user_id, username))
    return tuple(mentions)


def _urls(items: Any, where: str) -> tuple[tuple[UrlEntity, ...], dict[str, UrlEntity] | None]:
    # A URL entity with a media_key is the t.co link of an attached media item;
    # it goes to that Media, as v1.1 puts it in entities.media, not urls.
    urls = []
    media_links: dict[str, UrlEntity] | None = None
    for item in as_list(items, where + "entities.urls"):
        if type(item) is not dict:
            raise wrong_type(where + "entities.urls[]", item, "an object")
        url = item.get("url")
        expanded = item.get("expanded_url")
        if type(url) is not str:
            url = as_str(url, where + "entities.urls[].url")
        if type(expanded) is not str:
            expanded = as_str(expanded, where + "entities.urls[].expanded_url") or as_str(
                item.get("unwound_url"), where + "entities.urls[].unwound_url"
            )
        link = new_url(url, expanded or url)
        media_key = item.get("media_key")
        if media_key is None:
            urls.append(link)
        else:
            if media_links is None:
                media_links = {}
            media_links[as_str(media_key, where + "entities.urls[].media_key")] = link
    return tuple(urls), media_links


def _media(
    attachments: Any, links: dict[str, UrlEntity] | None, inc: _Includes, where: str
) -> tuple[Media, ...]:
    keys: list[Any] = []
    if attachments is not None:
        if type(attachments) is not dict:
            raise wrong_type(where + "attachments", attachments, "an object")
        listed = attachments.get("media_keys")
        if listed:
            keys = as_list(listed, where + "attachments.media_keys")
    if links:
        keys = keys + [key for key in links if key not in keys]
    media = []
    for key in keys:
        if type(key) is not str:
            raise wrong_type(where + "attachments.media_keys[]", key, "a string")
        item = inc.get("media", key)
        kind = item.get("type") if item is not None else None
        if type(kind) is str and kind in MEDIA_TYPES:
            media_type = MEDIA_TYPES[kind]
        else:
            media_type = _MEDIA_KEY_TYPES.get(key.partition("_")[0], "photo")
        link = links.get(key) if links else None
        if link is None:
            media.append(new_media(media_type, "", ""))
        else:
            media.append(new_media(media_type, link.url, link.expanded_url))
    return tuple(media)


def _references(refs: Any, where: str) -> tuple[str | None, str | None, str | None]:
    reply_to = retweet_id = quote_id = None
    where += "referenced_tweets"
    for ref in as_list(refs, where):
        if type(ref) is not dict:
            raise wrong_type(where + "[]", ref, "an object")
        ref_id = ref.get("id")
        if type(ref_id) is not str or not ref_id.isdigit():
            ref_id = as_id(ref_id, where + "[].id")
        kind = ref.get("type")
        if kind == "replied_to":
            reply_to = ref_id
        elif kind == "retweeted":
            retweet_id = ref_id
        elif kind == "quoted":
            quote_id = ref_id
        elif type(kind) is not str:
            raise wrong_type(where + "[].type", kind, "a string")
    return reply_to, retweet_id, quote_id


def _stub_original(tweet_id: str, text: str, mentions: tuple[MentionEntity, ...]) -> Tweet:
    # The original is not in includes: keep its id, and its author as named by
    # the retweet's "RT @name:" prefix. Its text is unknown, so empty; the
    # retweet keeps its own (truncated) text and entities for matching.
    author = _NO_AUTHOR
    colon = text.find(":", 4)
    if text.startswith("RT @") and colon > 4:
        name = text[4:colon]
        known = [mention for mention in mentions if mention.screen_name.lower() == name.lower()]
        if known:
            author = User(known[0].id, known[0].screen_name)
        elif _SCREEN_NAME.fullmatch(name):
            author = User("", name)
    return Tweet(id=tweet_id, text="", author=author)


def _place(place_id: Any, inc: _Includes, where: str) -> PlaceInfo:
    if type(place_id) is not str:
        raise wrong_type(where, place_id, "a string")
    place = inc.get("places", place_id)
    if place is None:
        return PlaceInfo(place_id, "", "")
    where = f"includes.places[id={place_id}]"
    geo = place.get("geo")
    bbox = geo.get("bbox") if type(geo) is dict else None
    return PlaceInfo(
        id=place_id,
        full_name=as_str(place.get("full_name"), where + ".full_name"),
        country_code=as_str(place.get("country_code"), where + ".country_code"),
        bbox=None if bbox is None else _bbox(bbox, where + ".geo.bbox"),
        name=as_str(place.get("name"), where + ".name"),
    )


def _bbox(bbox: Any, where: str) -> tuple[float, float, float, float]:
    if type(bbox) is list and len(bbox) == 4:
        west, south = as_lon_lat(bbox[:2], where)
        east, north = as_lon_lat(bbox[2:], where)
        return west, south, east, north
    raise wrong_type(where, bbox, "[west, south, east, north]")

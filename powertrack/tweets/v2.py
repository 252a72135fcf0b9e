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
    opt_id,
    opt_str,
    read_id,
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
# most messages need only the users. It also carries the message's list of
# ignored field paths, which every reader of the message appends to.
class _Includes:
    __slots__ = ("_indexes", "_names", "_raw", "ignored")

    def __init__(self, raw: Any, ignored: list[str]) -> None:
        if raw is not None and type(raw) is not dict:
            ignored.append("includes")
            raw = None
        self._raw: dict[str, Any] = raw or {}
        self._indexes: dict[str, _Index] = {}
        self._names: dict[str, str] | None = None
        self.ignored = ignored

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        index = self._indexes.get(kind)
        if index is None:
            index = self._indexes[kind] = _index(self._raw.get(kind), kind, self.ignored)
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


def _index(items: Any, kind: str, ignored: list[str]) -> _Index:
    key = "media_key" if kind == "media" else "id"
    if type(items) is list:
        try:
            # An id of another type indexes harmlessly: lookups are by string and miss.
            return {item[key]: item for item in items}
        except (TypeError, KeyError):
            pass
    elif items is None:
        return {}
    else:
        ignored.append("includes." + kind)
        return {}
    # Items that are not objects with a string key are left out, the rest kept.
    index: _Index = {}
    for item in items:
        item_key = item.get(key) if type(item) is dict else None
        if type(item_key) is str:
            index[item_key] = item
        else:
            ignored.append(
                f"includes.{kind}[].{key}" if type(item) is dict else f"includes.{kind}[]"
            )
    return index


def tweet_from_v2(data: dict[str, Any], includes: Any, ignored: list[str]) -> Tweet:
    """Build a :class:`Tweet` from a v2 tweet object and its message's ``includes``.

    Only ``id`` and ``text`` are required (:class:`TweetFormatError` without
    them); any other field that is not as expected is read as absent and its
    path appended to ``ignored``.
    """
    if "dm_conversation_id" in data:
        raise TweetFormatError("data: a direct-message event, not a tweet")
    return _tweet(data, _Includes(includes, ignored), "data.", 0)


def _tweet(data: dict[str, Any], inc: _Includes, where: str, depth: int) -> Tweet:
    ignored = inc.ignored
    tweet_id = data.get("id")
    if type(tweet_id) is not str or not (tweet_id.isdigit() and tweet_id.isascii()):
        if tweet_id is None:
            raise TweetFormatError(f"{where}id: missing")
        tweet_id = as_id(tweet_id, where + "id")

    ents = data.get("entities")
    note = data.get("note_tweet")
    if note is None:
        text = data.get("text")
    else:
        text, ents = _long_text(note, data, ents, where, ignored)
    if type(text) is not str:
        if text is None:
            raise TweetFormatError(f"{where}text: missing")
        raise wrong_type(where + "text", text, "a string")

    author_id = data.get("author_id")
    if author_id is None:
        author = _NO_AUTHOR
    else:
        if type(author_id) is not str or not (author_id.isdigit() and author_id.isascii()):
            author_id = opt_id(author_id, where + "author_id", ignored)
        author = (
            _NO_AUTHOR
            if author_id is None
            else _user(inc.get("users", author_id), author_id, ignored)
        )

    media_links: dict[str, UrlEntity] | None = None
    if type(ents) is not dict:
        if ents is not None:
            ignored.append(where + "entities")
        hashtags, mentions, symbols, urls = extract_entities(text)
        if mentions:
            mentions = tuple(
                MentionEntity(inc.user_id_by_name(mention.screen_name), mention.screen_name)
                for mention in mentions
            )
    else:
        items = ents.get("hashtags")
        hashtags = _tags(items, where, "entities.hashtags", ignored) if items else ()
        items = ents.get("mentions")
        mentions = _mentions(items, inc, where) if items else ()
        items = ents.get("cashtags")
        symbols = _tags(items, where, "entities.cashtags", ignored) if items else ()
        items = ents.get("urls")
        urls, media_links = _urls(items, where, ignored) if items else ((), None)
    attachments = data.get("attachments")
    media = _media(attachments, media_links, inc, where) if attachments or media_links else ()

    reply_to = retweet_id = quote_id = None
    refs = data.get("referenced_tweets")
    if refs:
        reply_to, retweet_id, quote_id = _references(refs, where, ignored)
    retweeted = quoted = None
    is_quote = quote_id is not None
    if retweet_id is not None:
        original = inc.get("tweets", retweet_id) if depth < MAX_DEPTH else None
        if original is not None:
            retweeted = _nested(original, inc, depth)
        if retweeted is None:
            retweeted = _stub_original(retweet_id, text, mentions)
        else:
            # Same retweet semantics as v1.1, and the original's quoted tweet.
            text, hashtags, mentions, symbols, urls, media = absorb_retweet(
                Body(text, hashtags, mentions, symbols, urls, media), retweeted
            )
            quoted = retweeted.quoted
            is_quote = is_quote or retweeted.is_quote
    if quote_id is not None and depth < MAX_DEPTH and (quoted is None or quoted.id != quote_id):
        quoted_data = inc.get("tweets", quote_id)
        if quoted_data is not None:
            quoted = _nested(quoted_data, inc, depth)

    place = point = None
    geo = data.get("geo")
    if geo is not None:
        if type(geo) is dict:
            place_id = geo.get("place_id")
            if place_id is not None:
                place = _place(place_id, inc, where + "geo.place_id")
            coordinates = geo.get("coordinates")
            if coordinates is not None:
                point = as_point(coordinates, where + "geo.coordinates", ignored)
        else:
            ignored.append(where + "geo")

    reply_user_id = data.get("in_reply_to_user_id")
    reply_name = None
    if reply_user_id is not None:
        if type(reply_user_id) is not str or not (
            reply_user_id.isdigit() and reply_user_id.isascii()
        ):
            reply_user_id = opt_id(reply_user_id, where + "in_reply_to_user_id", ignored)
        replied = None if reply_user_id is None else inc.get("users", reply_user_id)
        if replied is not None:
            reply_name = opt_str(replied.get("username"), "includes.users[].username", ignored)
    conversation_id = data.get("conversation_id")
    if conversation_id is not None and (
        type(conversation_id) is not str
        or not (conversation_id.isdigit() and conversation_id.isascii())
    ):
        conversation_id = opt_id(conversation_id, where + "conversation_id", ignored)
    lang = data.get("lang")
    if lang is not None and type(lang) is not str:
        ignored.append(where + "lang")
        lang = None
    created_at = data.get("created_at")
    if created_at is not None:
        created_at = iso_date_ms(created_at, where + "created_at", ignored)

    source = data.get("source")
    if type(source) is not str:
        source = as_str(source, where + "source", ignored)
    return new_tweet(  # the field order of fields.new_tweet
        tweet_id,
        text,
        author,
        lang,
        created_at,
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


def _long_text(
    note: Any, data: dict[str, Any], ents: Any, where: str, ignored: list[str]
) -> tuple[Any, Any]:
    # A long tweet: "text" is its first 280 characters, note_tweet the whole.
    # A note_tweet that cannot be read leaves the tweet's own text and entities.
    if type(note) is not dict:
        ignored.append(where + "note_tweet")
        return data.get("text"), ents
    text = note.get("text")
    if type(text) is not str:
        if text is not None:
            ignored.append(where + "note_tweet.text")
        return data.get("text"), ents
    note_ents = note.get("entities")
    if type(note_ents) is dict:
        return text, note_ents
    if note_ents is not None:
        ignored.append(where + "note_tweet.entities")
    return text, ents


def _nested(data: dict[str, Any], inc: _Includes, depth: int) -> Tweet | None:
    # A referenced tweet in includes that is not a tweet is as good as missing.
    mark = len(inc.ignored)
    try:
        return _tweet(data, inc, "includes.tweets[].", depth + 1)
    except TweetFormatError:
        del inc.ignored[mark:]
        inc.ignored.append("includes.tweets[]")
        return None


def _user(user: dict[str, Any] | None, user_id: str, ignored: list[str]) -> User:
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
        username = as_str(username, "includes.users[].username", ignored)
        name = as_str(name, "includes.users[].name", ignored)
        description = as_str(description, "includes.users[].description", ignored)
        location = as_str(location, "includes.users[].location", ignored)
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
            where = "includes.users[].public_metrics."
            followers = as_count(followers, where + "followers_count", ignored)
            following = as_count(following, where + "following_count", ignored)
            tweets = as_count(tweets, where + "tweet_count", ignored)
            listed = as_count(listed, where + "listed_count", ignored)
    else:
        if metrics is not None:
            ignored.append("includes.users[].public_metrics")
        followers = following = tweets = listed = 0
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


def _tags(items: Any, where: str, name: str, ignored: list[str]) -> tuple[str, ...]:
    tags = []
    for item in as_list(items, where + name, ignored):
        tag = item.get("tag") if type(item) is dict else None
        if type(tag) is str:
            tags.append(tag)
        else:
            ignored.append(f"{where}{name}[].tag")
    return tuple(tags)


def _mentions(items: Any, inc: _Includes, where: str) -> tuple[MentionEntity, ...]:
    ignored = inc.ignored
    mentions = []
    for item in as_list(items, where + "entities.mentions", ignored):
        if type(item) is not dict:
            ignored.append(where + "entities.mentions[]")
            continue
        username = item.get("username")
        if type(username) is not str:
            ignored.append(where + "entities.mentions[].username")
            continue
        user_id = item.get("id")
        if user_id is not None and type(user_id) is not str:
            user_id = opt_id(user_id, where + "entities.mentions[].id", ignored)
        if user_id is None:
            user_id = inc.user_id_by_name(username)
        mentions.append(new_mention(user_id, username))
    return tuple(mentions)


def _urls(
    items: Any, where: str, ignored: list[str]
) -> tuple[tuple[UrlEntity, ...], dict[str, UrlEntity] | None]:
    # A URL entity with a media_key is the t.co link of an attached media item;
    # it goes to that Media, as v1.1 puts it in entities.media, not urls.
    urls = []
    media_links: dict[str, UrlEntity] | None = None
    for item in as_list(items, where + "entities.urls", ignored):
        if type(item) is not dict:
            ignored.append(where + "entities.urls[]")
            continue
        url = item.get("url")
        expanded = item.get("expanded_url")
        if type(url) is not str:
            url = as_str(url, where + "entities.urls[].url", ignored)
        if type(expanded) is not str:
            expanded = as_str(expanded, where + "entities.urls[].expanded_url", ignored) or as_str(
                item.get("unwound_url"), where + "entities.urls[].unwound_url", ignored
            )
        link = new_url(url, expanded or url)
        media_key = item.get("media_key")
        if media_key is None:
            urls.append(link)
        elif type(media_key) is str:
            if media_links is None:
                media_links = {}
            media_links[media_key] = link
        else:
            ignored.append(where + "entities.urls[].media_key")
            urls.append(link)
    return tuple(urls), media_links


def _media(
    attachments: Any, links: dict[str, UrlEntity] | None, inc: _Includes, where: str
) -> tuple[Media, ...]:
    ignored = inc.ignored
    keys: list[Any] = []
    if type(attachments) is dict:
        listed = attachments.get("media_keys")
        if listed:
            keys = as_list(listed, where + "attachments.media_keys", ignored)
    elif attachments is not None:
        ignored.append(where + "attachments")
    if links:
        keys = keys + [key for key in links if key not in keys]
    media = []
    for key in keys:
        if type(key) is not str:
            ignored.append(where + "attachments.media_keys[]")
            continue
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


def _references(
    refs: Any, where: str, ignored: list[str]
) -> tuple[str | None, str | None, str | None]:
    # A reference without a usable id or type is left out.
    reply_to = retweet_id = quote_id = None
    where += "referenced_tweets"
    for ref in as_list(refs, where, ignored):
        if type(ref) is not dict:
            ignored.append(where + "[]")
            continue
        ref_id = ref.get("id")
        if type(ref_id) is not str or not (ref_id.isdigit() and ref_id.isascii()):
            ref_id = read_id(ref_id)
            if ref_id is None:
                ignored.append(where + "[].id")
                continue
        kind = ref.get("type")
        if kind == "replied_to":
            reply_to = ref_id
        elif kind == "retweeted":
            retweet_id = ref_id
        elif kind == "quoted":
            quote_id = ref_id
        elif type(kind) is not str:
            ignored.append(where + "[].type")
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


def _place(place_id: Any, inc: _Includes, where: str) -> PlaceInfo | None:
    ignored = inc.ignored
    if type(place_id) is not str:
        ignored.append(where)
        return None
    place = inc.get("places", place_id)
    if place is None:
        return PlaceInfo(place_id, "", "")
    where = "includes.places[]"
    geo = place.get("geo")
    bbox = None
    if type(geo) is dict:
        bbox = geo.get("bbox")
    elif geo is not None:
        ignored.append(where + ".geo")
    return PlaceInfo(
        id=place_id,
        full_name=as_str(place.get("full_name"), where + ".full_name", ignored),
        country_code=as_str(place.get("country_code"), where + ".country_code", ignored),
        bbox=None if bbox is None else _bbox(bbox, where + ".geo.bbox", ignored),
        name=as_str(place.get("name"), where + ".name", ignored),
    )


def _bbox(bbox: Any, where: str, ignored: list[str]) -> tuple[float, float, float, float] | None:
    if type(bbox) is list and len(bbox) == 4:
        south_west = as_lon_lat(bbox[:2], where, ignored)
        north_east = None if south_west is None else as_lon_lat(bbox[2:], where, ignored)
        if south_west is not None and north_east is not None:
            return (*south_west, *north_east)
        return None
    ignored.append(where)
    return None

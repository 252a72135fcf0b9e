"""Conversion of v1.1 native tweets into X API v2 filtered-stream messages."""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

__all__ = ["TWITTER_EPOCH_MS", "iso_time", "snowflake_ms", "to_v2"]

TWITTER_EPOCH_MS = 1_288_834_974_657
# Ids below this predate snowflake ids (November 2010) and carry no timestamp.
_FIRST_SNOWFLAKE = 29_700_859_247

_MEDIA_KEY_PREFIX = {"photo": "3", "video": "7", "animated_gif": "16"}


def snowflake_ms(tweet_id: int) -> int:
    """The creation time in Unix milliseconds encoded in a snowflake id."""
    return (tweet_id >> 22) + TWITTER_EPOCH_MS


def iso_time(ms: int) -> str:
    """``2023-06-01T12:00:00.000Z`` for Unix milliseconds ``ms``."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


@functools.lru_cache(maxsize=4096)
def _iso_from_v11(created_at: str) -> str:
    parsed = datetime.strptime(created_at, "%a %b %d %H:%M:%S %z %Y")
    return iso_time(int(parsed.timestamp()) * 1000)


def _created(tweet: Mapping[str, Any]) -> str:
    # v2 gives whole seconds (always ".000Z"), like v1.1's created_at.
    if "timestamp_ms" in tweet:
        return iso_time(int(tweet["timestamp_ms"]) // 1000 * 1000)
    tweet_id = int(_id(tweet) or 0)
    if tweet_id >= _FIRST_SNOWFLAKE:
        return iso_time(snowflake_ms(tweet_id) // 1000 * 1000)
    return _iso_from_v11(tweet["created_at"])


def _source_name(source: str) -> str:
    # v1.1 gives an HTML anchor, v2 only the client's name.
    if source.startswith("<a"):
        return source[source.find(">") + 1 : source.rfind("<")]
    return source


def _id(obj: Mapping[str, Any], key: str = "id") -> str | None:
    # Trimmed v1.1 payloads sometimes drop the `*_str` twin of an id.
    value = obj.get(f"{key}_str") or obj.get(key)
    return None if value is None else str(value)


def _span(entity: Mapping[str, Any]) -> dict[str, int]:
    start, end = entity["indices"]
    return {"start": start, "end": end}


def _user(user: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": _id(user),
        "name": user.get("name", ""),
        "username": user["screen_name"],
        "created_at": _iso_from_v11(user["created_at"]) if user.get("created_at") else None,
        "description": user.get("description") or "",
        "protected": bool(user.get("protected")),
        "verified": bool(user.get("verified")),
        "profile_image_url": user.get("profile_image_url_https", ""),
        "url": user.get("url") or "",
        "public_metrics": {
            "followers_count": user.get("followers_count", 0),
            "following_count": user.get("friends_count", 0),
            "tweet_count": user.get("statuses_count", 0),
            "listed_count": user.get("listed_count", 0),
        },
    }
    if out["created_at"] is None:
        del out["created_at"]
    if user.get("location"):
        out["location"] = user["location"]
    return out


def _media(item: Mapping[str, Any]) -> dict[str, Any]:
    kind = item["type"]
    large = item.get("sizes", {}).get("large", {})
    out: dict[str, Any] = {
        "media_key": f"{_MEDIA_KEY_PREFIX.get(kind, '3')}_{_id(item)}",
        "type": kind,
        "width": large.get("w", 0),
        "height": large.get("h", 0),
    }
    if kind == "photo":
        out["url"] = item["media_url_https"]
        return out
    out["preview_image_url"] = item["media_url_https"]
    info = item.get("video_info", {})
    if "duration_millis" in info:
        out["duration_ms"] = info["duration_millis"]
    variants = []
    for variant in info.get("variants", []):
        converted = {"content_type": variant["content_type"], "url": variant["url"]}
        if "bitrate" in variant:
            converted["bit_rate"] = variant["bitrate"]
        variants.append(converted)
    out["variants"] = variants
    return out


def _data(tweet: Mapping[str, Any], media_out: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The v2 ``data`` object of one v1.1 tweet; its media go to ``media_out``."""
    ext = tweet.get("extended_tweet")
    if ext:
        text = ext["full_text"]
        ents = ext.get("entities", {})
        media = ext.get("extended_entities", {}).get("media", [])
    else:
        text = tweet.get("full_text") or tweet["text"]
        ents = tweet.get("entities", {})
        media = tweet.get("extended_entities", {}).get("media") or ents.get("media", [])
    id_str = _id(tweet)
    user = tweet["user"]
    data: dict[str, Any] = {
        "id": id_str,
        "text": text,
        "author_id": _id(user),
        "created_at": _created(tweet),
        "edit_history_tweet_ids": [id_str],
        "conversation_id": _id(tweet, "in_reply_to_status_id") or id_str,
        "lang": tweet.get("lang") or "und",
        "source": _source_name(tweet.get("source", "")),
        "possibly_sensitive": bool(tweet.get("possibly_sensitive")),
        "reply_settings": "everyone",
        "public_metrics": {
            "retweet_count": tweet.get("retweet_count", 0),
            "reply_count": tweet.get("reply_count", 0),
            "like_count": tweet.get("favorite_count", 0),
            "quote_count": tweet.get("quote_count", 0),
        },
    }
    entities: dict[str, list[dict[str, Any]]] = {}
    urls = [
        {
            **_span(u),
            "url": u["url"],
            "expanded_url": u["expanded_url"],
            "display_url": u["display_url"],
        }
        for u in ents.get("urls", [])
    ]
    keys = []
    for item in media:
        converted = _media(item)
        media_out.setdefault(converted["media_key"], converted)
        keys.append(converted["media_key"])
    if media:
        first = media[0]
        urls.append(
            {
                **_span(first),
                "url": first["url"],
                "expanded_url": first["expanded_url"],
                "display_url": first["display_url"],
                "media_key": keys[0],
            }
        )
    if urls:
        entities["urls"] = urls
    if ents.get("hashtags"):
        entities["hashtags"] = [{**_span(h), "tag": h["text"]} for h in ents["hashtags"]]
    if ents.get("user_mentions"):
        entities["mentions"] = [
            {**_span(m), "username": m["screen_name"], "id": _id(m)} for m in ents["user_mentions"]
        ]
    if ents.get("symbols"):
        entities["cashtags"] = [{**_span(s), "tag": s["text"]} for s in ents["symbols"]]
    if entities:
        data["entities"] = entities
    if keys:
        data["attachments"] = {"media_keys": keys}
    referenced = []
    if tweet.get("retweeted_status"):
        referenced.append({"type": "retweeted", "id": _id(tweet["retweeted_status"])})
    elif _id(tweet, "quoted_status_id"):
        referenced.append({"type": "quoted", "id": _id(tweet, "quoted_status_id")})
    if _id(tweet, "in_reply_to_status_id"):
        referenced.append({"type": "replied_to", "id": _id(tweet, "in_reply_to_status_id")})
        data["in_reply_to_user_id"] = _id(tweet, "in_reply_to_user_id")
    if referenced:
        data["referenced_tweets"] = referenced
    geo: dict[str, Any] = {}
    if tweet.get("place"):
        geo["place_id"] = tweet["place"]["id"]
    if tweet.get("coordinates"):
        geo["coordinates"] = {"type": "Point", "coordinates": tweet["coordinates"]["coordinates"]}
    if geo:
        data["geo"] = geo
    return data


def _place(place: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": place["id"],
        "full_name": place.get("full_name", ""),
        "name": place.get("name", ""),
        "country": place.get("country", ""),
        "country_code": place.get("country_code", ""),
        "place_type": place.get("place_type", ""),
    }
    ring = (place.get("bounding_box") or {}).get("coordinates")
    if ring:
        lons = [p[0] for p in ring[0]]
        lats = [p[1] for p in ring[0]]
        out["geo"] = {
            "type": "Feature",
            "bbox": [min(lons), min(lats), max(lons), max(lats)],
            "properties": {},
        }
    return out


def to_v2(tweet: Mapping[str, Any]) -> dict[str, Any]:
    """Convert a v1.1 native tweet into a v2 filtered-stream message.

    The result is ``{"data": {...}, "includes": {...}}`` as the stream sends it
    with the usual expansions (author, mentioned users, referenced tweets and
    their authors, media, places of the tweet and of the tweets it
    references). As in the real API, empty ``includes``
    lists are left out; ``users`` always holds at least the author. Mentioned
    users appear with only the fields a v1.1 mention carries. A reply's
    ``conversation_id`` is the tweet it replies to, which is exact for the
    synthetic stream (its replies answer thread roots only).
    """
    media: dict[str, dict[str, Any]] = {}
    data = _data(tweet, media)
    users: dict[str, dict[str, Any]] = {}
    included: list[dict[str, Any]] = []
    primary = [tweet]
    referenced = [tweet.get("retweeted_status"), tweet.get("quoted_status")]
    retweeted = tweet.get("retweeted_status")
    if retweeted and retweeted.get("quoted_status") and not tweet.get("quoted_status"):
        referenced.append(retweeted["quoted_status"])
    for ref in referenced:
        if ref and all(t["id"] != _id(ref) for t in included):
            included.append(_data(ref, media))
            primary.append(ref)
    for t in primary:
        users.setdefault(str(_id(t["user"])), _user(t["user"]))
    for t in primary:
        ext = t.get("extended_tweet") or t
        for m in ext.get("entities", {}).get("user_mentions", []):
            users.setdefault(
                str(_id(m)),
                {"id": _id(m), "name": m.get("name", ""), "username": m["screen_name"]},
            )
    includes: dict[str, Any] = {"users": list(users.values())}
    if included:
        includes["tweets"] = included
    places = {t["place"]["id"]: _place(t["place"]) for t in primary if t.get("place")}
    if places:
        includes["places"] = list(places.values())
    if media:
        includes["media"] = list(media.values())
    return {"data": data, "includes": includes}

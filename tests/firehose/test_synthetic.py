"""The synthetic firehose: determinism, v1.1 payload shapes, mix, v2 conversion."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from powertrack.firehose.synthetic import (
    DEFAULT_START_MS,
    Mix,
    SyntheticTweets,
    all_hashtags,
    to_v2,
)
from powertrack.firehose.v2 import snowflake_ms
from powertrack.geo import haversine_km

CREATED_AT = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d \+0000 \d{4}"
)
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z")
SCREEN_NAME = re.compile(r"[A-Za-z0-9_]{4,15}")


@pytest.fixture(scope="module")
def tweets() -> list[dict[str, Any]]:
    return SyntheticTweets(42).take(6000)


def _statuses(tweet: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The tweet and every tweet embedded in it."""
    yield tweet
    for key in ("retweeted_status", "quoted_status"):
        if key in tweet:
            yield from _statuses(tweet[key])


def _full(tweet: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    ext = tweet.get("extended_tweet")
    return (ext["full_text"], ext["entities"]) if ext else (tweet["text"], tweet["entities"])


def _share(tweets: list[dict[str, Any]], predicate: Any) -> float:
    return sum(1 for t in tweets if predicate(t)) / len(tweets)


def test_same_seed_same_tweets() -> None:
    first = [orjson.dumps(t) for t in SyntheticTweets(7).take(500)]
    second = [orjson.dumps(t) for t in SyntheticTweets(7).take(500)]
    assert first == second


def test_other_seed_other_tweets() -> None:
    assert SyntheticTweets(7).take(50) != SyntheticTweets(8).take(50)


def test_iteration_continues_the_same_stream() -> None:
    stream = SyntheticTweets(3)
    head = [t["id"] for _, t in zip(range(10), stream, strict=False)]
    assert head + [t["id"] for t in stream.take(10)] == [
        t["id"] for t in SyntheticTweets(3).take(20)
    ]


def test_ids_are_unique_snowflakes_matching_timestamps(tweets: list[dict[str, Any]]) -> None:
    ids = [t["id"] for t in tweets]
    assert len(set(ids)) == len(ids)
    for tweet in tweets:
        assert tweet["id_str"] == str(tweet["id"])
        assert snowflake_ms(tweet["id"]) == int(tweet["timestamp_ms"])
        assert CREATED_AT.fullmatch(tweet["created_at"])
    assert int(tweets[0]["timestamp_ms"]) >= DEFAULT_START_MS
    times = [int(t["timestamp_ms"]) for t in tweets]
    assert times == sorted(times)


def test_every_status_has_the_v11_fields(tweets: list[dict[str, Any]]) -> None:
    for tweet in tweets:
        for status in _statuses(tweet):
            user = status["user"]
            assert SCREEN_NAME.fullmatch(user["screen_name"])
            assert user["id_str"] == str(user["id"])
            assert isinstance(user["followers_count"], int)
            assert isinstance(user["verified"], bool)
            assert set(status["entities"]) >= {"hashtags", "urls", "user_mentions", "symbols"}
            assert status["source"].startswith("<a href=")
            assert CREATED_AT.fullmatch(status["created_at"])
            assert status["lang"] in {"en", "es", "pt", "ja", "fr", "de", "und"}


def test_entity_indices_point_at_their_text(tweets: list[dict[str, Any]]) -> None:
    for tweet in tweets:
        for status in _statuses(tweet):
            pairs = [(status["text"], status["entities"])]
            if "extended_tweet" in status:
                pairs.append(_full(status))
            for text, entities in pairs:
                for tag in entities["hashtags"]:
                    assert text[slice(*tag["indices"])] == "#" + tag["text"]
                for symbol in entities["symbols"]:
                    assert text[slice(*symbol["indices"])] == "$" + symbol["text"]
                for mention in entities["user_mentions"]:
                    assert text[slice(*mention["indices"])] == "@" + mention["screen_name"]
                for url in entities["urls"] + entities.get("media", []):
                    assert text[slice(*url["indices"])] == url["url"]
                    assert url["url"].startswith("https://t.co/")
                    assert len(url["url"]) == 23


def test_long_tweets_are_truncated_with_extended_tweet(tweets: list[dict[str, Any]]) -> None:
    extended = [t for t in tweets if "extended_tweet" in t]
    assert len(extended) > 100
    for tweet in extended:
        assert tweet["truncated"] is True
        assert len(tweet["text"]) <= 140
        assert len(tweet["extended_tweet"]["full_text"]) > 140
        _, end = tweet["extended_tweet"]["display_text_range"]
        assert end <= 280
    for tweet in tweets:
        if "extended_tweet" not in tweet:
            assert len(tweet["text"]) <= 140


def test_retweets_quotes_and_replies(tweets: list[dict[str, Any]]) -> None:
    for tweet in tweets:
        if "retweeted_status" in tweet:
            original = tweet["retweeted_status"]
            assert tweet["text"].startswith(f"RT @{original['user']['screen_name']}: ")
            assert original["id"] < tweet["id"]
            assert "timestamp_ms" not in original
        elif tweet["is_quote_status"]:
            quoted = tweet["quoted_status"]
            assert tweet["quoted_status_id_str"] == quoted["id_str"]
            assert quoted["id"] < tweet["id"]
            assert "quoted_status" not in quoted
        if tweet["in_reply_to_status_id"] is not None:
            assert tweet["text"].startswith("@" + tweet["in_reply_to_screen_name"])
            assert tweet["in_reply_to_status_id_str"] == str(tweet["in_reply_to_status_id"])
            assert tweet["in_reply_to_status_id"] < tweet["id"]


def test_places_and_points(tweets: list[dict[str, Any]]) -> None:
    placed = [t for t in tweets if t["place"] is not None]
    pointed = [t for t in tweets if t["coordinates"] is not None]
    assert placed
    assert pointed
    for tweet in placed:
        place = tweet["place"]
        assert re.fullmatch(r"[A-Z]{2}", place["country_code"])
        ring = place["bounding_box"]["coordinates"][0]
        assert len(ring) == 4
        assert place["bounding_box"]["type"] == "Polygon"
    for tweet in pointed:
        lon, lat = tweet["coordinates"]["coordinates"]
        assert tweet["geo"]["coordinates"] == [lat, lon]
        (west, south), _, (east, north), _ = tweet["place"]["bounding_box"]["coordinates"][0]
        if west != east:
            assert west <= lon <= east
            assert south <= lat <= north
        else:
            assert haversine_km(lon, lat, west, south) < 1.0


def test_media_in_extended_entities(tweets: list[dict[str, Any]]) -> None:
    kinds: Counter[str] = Counter()
    for tweet in tweets:
        text, entities = _full(tweet)
        holder = tweet.get("extended_tweet") or tweet
        media = holder.get("extended_entities", {}).get("media", [])
        if not media:
            continue
        kinds.update(m["type"] for m in media)
        assert entities["media"][0]["type"] == "photo"
        for item in media:
            assert text[slice(*item["indices"])] == item["url"]
            if item["type"] != "photo":
                assert item["video_info"]["variants"]
    assert set(kinds) == {"photo", "video", "animated_gif"}


def test_mix_is_roughly_what_was_asked(tweets: list[dict[str, Any]]) -> None:
    mix = Mix()
    assert _share(tweets, lambda t: "retweeted_status" in t) == pytest.approx(mix.retweet, abs=0.03)
    quotes = _share(tweets, lambda t: t["is_quote_status"] and "retweeted_status" not in t)
    assert quotes == pytest.approx(mix.quote, abs=0.02)
    replies = _share(tweets, lambda t: t["in_reply_to_status_id"] is not None)
    assert replies == pytest.approx(mix.reply, abs=0.03)
    langs = Counter(t["lang"] for t in tweets)
    for lang, share in mix.langs:
        assert langs[lang] / len(tweets) == pytest.approx(share, abs=0.03)
    originals = [t for t in tweets if "retweeted_status" not in t]
    assert _share(originals, lambda t: bool(_full(t)[1]["urls"])) > 0.1
    assert _share(originals, lambda t: bool(_full(t)[1]["hashtags"])) > 0.2
    assert _share(originals, lambda t: bool(_full(t)[1]["user_mentions"])) > 0.1
    assert _share(originals, lambda t: bool(_full(t)[1]["symbols"])) > 0.01
    assert 0.01 < _share(originals, lambda t: t["place"] is not None) < 0.1


def test_text_has_emoji_and_accents(tweets: list[dict[str, Any]]) -> None:
    texts = " ".join(_full(t)[0] for t in tweets)
    for sample in ("🚀", "👩\u200d🚀", "🇧🇷", "café", "cumpleaños", "fußball"):
        assert sample in texts.lower()


def test_mix_can_turn_kinds_off() -> None:
    quiet = Mix(retweet=0.0, quote=0.0, reply=0.0, media=0.0, geo=0.0)
    tweets = SyntheticTweets(5, users=200, mix=quiet).take(500)
    assert not any("retweeted_status" in t or t["is_quote_status"] for t in tweets)
    assert all(t["in_reply_to_status_id"] is None and t["place"] is None for t in tweets)


def test_mix_rejects_impossible_shares() -> None:
    with pytest.raises(ValueError, match="must not exceed 1"):
        Mix(retweet=0.6, quote=0.3, reply=0.3)
    with pytest.raises(ValueError, match="between 0 and 1"):
        Mix(media=1.5)


def test_user_pool(tweets: list[dict[str, Any]]) -> None:
    stream = SyntheticTweets(42)
    names = stream.screen_names
    assert len(names) == len(set(names))
    assert len(names) == pytest.approx(5000, abs=20)  # per-language shares are rounded
    assert [u["screen_name"] for u in stream.users] == names
    assert {t["user"]["screen_name"] for t in tweets} <= set(names)
    assert any(u["verified"] for u in stream.users)
    assert any(u["description"] and not u["description"].isascii() for u in stream.users)


def test_all_hashtags_lists_what_tweets_use(tweets: list[dict[str, Any]]) -> None:
    known = {tag.casefold() for tag in all_hashtags()}
    used = {h["text"].casefold() for t in tweets for h in _full(t)[1]["hashtags"]}
    assert used <= known
    assert "mars" in known


def test_v2_message_shape(tweets: list[dict[str, Any]]) -> None:
    for tweet in tweets[:2000]:
        message = to_v2(tweet)
        orjson.dumps(message)
        data, includes = message["data"], message["includes"]
        assert data["id"] == tweet["id_str"]
        assert data["author_id"] == tweet["user"]["id_str"]
        assert ISO.fullmatch(data["created_at"])
        assert not data["source"].startswith("<")
        users = {u["id"]: u for u in includes["users"]}
        assert users[data["author_id"]]["username"] == tweet["user"]["screen_name"]
        for tag in data.get("entities", {}).get("hashtags", []):
            assert data["text"][tag["start"] : tag["end"]] == "#" + tag["tag"]
        for mention in data.get("entities", {}).get("mentions", []):
            assert data["text"][mention["start"] : mention["end"]] == "@" + mention["username"]
            assert mention["id"] in users
        media_keys = {m["media_key"] for m in includes.get("media", [])}
        assert set(data.get("attachments", {}).get("media_keys", [])) <= media_keys
        referenced = {r["type"]: r["id"] for r in data.get("referenced_tweets", [])}
        included = {t["id"]: t for t in includes.get("tweets", [])}
        if "retweeted_status" in tweet:
            assert referenced["retweeted"] in included
            assert included[referenced["retweeted"]]["author_id"] in users
        if tweet["in_reply_to_status_id"] is not None:
            assert referenced["replied_to"] == tweet["in_reply_to_status_id_str"]
            assert data["conversation_id"] == tweet["in_reply_to_status_id_str"]
        if tweet["place"] is not None:
            assert includes["places"][0]["id"] == data["geo"]["place_id"]
            assert len(includes["places"][0]["geo"]["bbox"]) == 4
        if tweet["coordinates"] is not None:
            assert data["geo"]["coordinates"]["coordinates"] == tweet["coordinates"]["coordinates"]


def test_v2_uses_the_full_text_of_long_tweets(tweets: list[dict[str, Any]]) -> None:
    tweet = next(t for t in tweets if "extended_tweet" in t and "retweeted_status" not in t)
    assert to_v2(tweet)["data"]["text"] == tweet["extended_tweet"]["full_text"]

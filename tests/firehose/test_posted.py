"""Posted tweets: v1.1 JSON with extracted entities, authors, and one-at-a-time publishing."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from powertrack.firehose.posted import (
    DEFAULT_AUTHOR,
    Author,
    PostedTweetError,
    TweetPoster,
    posted_tweet,
    v11_entities,
)
from powertrack.firehose.sink import ListTweetSink, PublishError
from powertrack.firehose.synthetic import to_v2
from powertrack.firehose.v2 import snowflake_ms
from powertrack.store.ids import RuleIdGenerator
from powertrack.tweets.model import MentionEntity, Tweet, UrlEntity

TWEET_ID = 1_800_000_000_000_000_000


def _spans(text: str, items: list[dict[str, Any]]) -> list[str]:
    return [text[item["indices"][0] : item["indices"][1]] for item in items]


def test_a_posted_tweet_parses_and_carries_the_entities_of_its_text() -> None:
    text = (
        "Launch day #Mars ＃宇宙 with @NASA and @spacex_fan: $TSLA up, see https://nasa.gov/x?y=1."
    )
    tweet = posted_tweet(text, TWEET_ID, lang="en")
    parsed = Tweet.from_json(orjson.dumps(tweet))
    assert parsed.id == str(TWEET_ID)
    assert parsed.text == text
    assert parsed.lang == "en"
    assert parsed.created_at_ms == snowflake_ms(TWEET_ID)
    assert parsed.hashtags == ("Mars", "宇宙")
    assert parsed.mentions == (MentionEntity("", "NASA"), MentionEntity("", "spacex_fan"))
    assert parsed.symbols == ("TSLA",)
    assert parsed.urls == (UrlEntity("https://nasa.gov/x?y=1", "https://nasa.gov/x?y=1"),)
    assert parsed.author.screen_name == "powertrack"
    entities = tweet["entities"]
    assert _spans(text, entities["hashtags"]) == ["#Mars", "＃宇宙"]
    assert _spans(text, entities["user_mentions"]) == ["@NASA", "@spacex_fan"]
    assert _spans(text, entities["symbols"]) == ["$TSLA"]
    assert _spans(text, entities["urls"]) == ["https://nasa.gov/x?y=1"]
    assert entities["urls"][0]["display_url"] == "nasa.gov/x?y=1"


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        # The same tag inside a link first, then standing alone.
        ("example.com/#top then #top", "hashtags", ["#top"]),
        ("a#glued #tag", "hashtags", ["#tag"]),
        ("#topic and #top", "hashtags", ["#topic", "#top"]),
        ("mail a@b.co or @bob", "user_mentions", ["@bob"]),
        ("RT@jack: hi", "user_mentions", ["@jack"]),
        ("costs $5 or x$AB, buy $BRK.A!", "symbols", ["$BRK.A"]),
    ],
)
def test_entity_positions_skip_look_alikes(text: str, kind: str, expected: list[str]) -> None:
    assert _spans(text, v11_entities(text)[kind]) == expected


def test_the_entities_survive_conversion_to_v2() -> None:
    tweet = posted_tweet("hello #world @you $ABC example.com", TWEET_ID)
    data = to_v2(tweet)["data"]
    assert data["id"] == str(TWEET_ID)
    assert [h["tag"] for h in data["entities"]["hashtags"]] == ["world"]
    assert [m["username"] for m in data["entities"]["mentions"]] == ["you"]
    assert [c["tag"] for c in data["entities"]["cashtags"]] == ["ABC"]
    assert [u["expanded_url"] for u in data["entities"]["urls"]] == ["http://example.com"]


def test_a_long_text_moves_to_extended_tweet() -> None:
    text = "word " * 20 + "#first" + " filler" * 10 + " #last"
    tweet = posted_tweet(text, TWEET_ID)
    assert tweet["truncated"] is True
    assert len(tweet["text"]) == 140
    assert tweet["text"].endswith("…")
    assert [h["text"] for h in tweet["entities"]["hashtags"]] == ["first"]
    assert tweet["extended_tweet"]["full_text"] == text
    parsed = Tweet.from_json(tweet)
    assert parsed.text == text
    assert parsed.hashtags == ("first", "last")


def test_a_reply_names_the_tweet_it_answers() -> None:
    tweet = posted_tweet("@powertrack agreed", TWEET_ID, in_reply_to_status_id=TWEET_ID - 1)
    assert tweet["in_reply_to_status_id_str"] == str(TWEET_ID - 1)
    assert Tweet.from_json(tweet).in_reply_to_status_id == str(TWEET_ID - 1)


@pytest.mark.parametrize(
    ("text", "lang", "field"),
    [("   ", None, "text"), ("x" * 281, None, "text"), ("hi", "english!", "lang")],
)
def test_bad_input_names_the_field(text: str, lang: str | None, field: str) -> None:
    with pytest.raises(PostedTweetError) as caught:
        posted_tweet(text, TWEET_ID, lang=lang)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")


def test_authors_from_request_fields() -> None:
    assert Author.of() == DEFAULT_AUTHOR
    assert Author.of(screen_name="Alice_1") == Author.of(screen_name="Alice_1")
    alice = Author.of(screen_name="Alice_1", name="Alice")
    assert (alice.screen_name, alice.name) == ("Alice_1", "Alice")
    assert alice.id != DEFAULT_AUTHOR.id
    numbered = Author.of(user_id="12345")
    assert (numbered.id, numbered.screen_name) == (12345, "u12345")
    tweet = posted_tweet("hi", TWEET_ID, author=Author.of("42", "bob", "Bob"))
    author = Tweet.from_json(tweet).author
    assert (author.id, author.screen_name, author.name) == ("42", "bob", "Bob")


@pytest.mark.parametrize(
    ("user_id", "screen_name", "field"),
    [("abc", None, "user_id"), ("0", None, "user_id"), (None, "has space", "screen_name")],
)
def test_bad_authors_are_refused(user_id: str | None, screen_name: str | None, field: str) -> None:
    with pytest.raises(PostedTweetError) as caught:
        Author.of(user_id, screen_name)
    assert caught.value.field == field


async def test_the_poster_publishes_each_tweet_before_answering() -> None:
    sink = ListTweetSink()
    poster = TweetPoster(sink, RuleIdGenerator(5))
    first = await poster.post("one #a")
    second = await poster.post("two", lang="fr")
    assert sink.pending == []
    assert [key for key, _ in sink.sent] == [first["id"], second["id"]]
    assert first["id"] < second["id"]
    assert sink.tweets() == [first, second]


async def test_the_poster_publishes_nothing_when_the_sink_fails() -> None:
    sink = ListTweetSink()
    poster = TweetPoster(sink, RuleIdGenerator(5))
    sink.down = True
    with pytest.raises(PublishError):
        await poster.post("lost")
    sink.down = False
    kept = await poster.post("kept")
    assert sink.tweets() == [kept]

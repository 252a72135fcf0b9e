"""v2 filtered-stream messages -> Tweet, on small hand-written payloads."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import orjson
import pytest

from powertrack.tweets.errors import TweetFormatError
from powertrack.tweets.model import Media, MentionEntity, PlaceInfo, Tweet, UrlEntity, User


def v2_user(
    user_id: str = "2244994945", username: str = "TwitterDev", **fields: Any
) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": user_id,
        "username": username,
        "name": "Twitter Dev",
        "description": "The voice of the #TwitterDev team",
        "location": "127.0.0.1",
        "verified": True,
        "public_metrics": {
            "followers_count": 556601,
            "following_count": 1961,
            "tweet_count": 4053,
            "listed_count": 2108,
        },
    }
    base.update(fields)
    return base


def v2_tweet(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "1460323737035677698",
        "text": "Introducing a new era #TwitterAPI @suhemparack $TWTR https://t.co/link",
        "author_id": "2244994945",
        "created_at": "2021-11-15T19:08:05.000Z",
        "conversation_id": "1460323737035677698",
        "lang": "en",
        "source": "Twitter Web App",
        "edit_history_tweet_ids": ["1460323737035677698"],
        "entities": {
            "hashtags": [{"start": 22, "end": 33, "tag": "TwitterAPI"}],
            "mentions": [
                {"start": 34, "end": 46, "username": "suhemparack", "id": "857699969263964161"}
            ],
            "cashtags": [{"start": 47, "end": 52, "tag": "TWTR"}],
            "urls": [
                {
                    "start": 53,
                    "end": 76,
                    "url": "https://t.co/link",
                    "expanded_url": "https://developer.twitter.com/en/blog",
                    "unwound_url": "https://developer.twitter.com/en/blog/final",
                }
            ],
        },
    }
    base.update(fields)
    return base


def message(data: dict[str, Any], **includes: Any) -> dict[str, Any]:
    includes.setdefault("users", [v2_user()])
    return {"data": data, "includes": includes}


NOV_15_2021_19_08_05_MS = 1637003285000


def test_every_field_of_a_plain_tweet() -> None:
    tweet = Tweet.from_json(message(v2_tweet()))
    assert tweet == Tweet(
        id="1460323737035677698",
        text="Introducing a new era #TwitterAPI @suhemparack $TWTR https://t.co/link",
        author=User(
            id="2244994945",
            screen_name="TwitterDev",
            name="Twitter Dev",
            description="The voice of the #TwitterDev team",
            location="127.0.0.1",
            verified=True,
            followers_count=556601,
            friends_count=1961,
            statuses_count=4053,
            listed_count=2108,
        ),
        lang="en",
        created_at_ms=NOV_15_2021_19_08_05_MS,
        hashtags=("TwitterAPI",),
        mentions=(MentionEntity("857699969263964161", "suhemparack"),),
        symbols=("TWTR",),
        urls=(UrlEntity("https://t.co/link", "https://developer.twitter.com/en/blog"),),
        conversation_id="1460323737035677698",
        source="Twitter Web App",
    )
    assert Tweet.from_json(orjson.dumps(message(v2_tweet()))) == tweet


def test_bare_tweet_object_without_a_wrapper() -> None:
    tweet = Tweet.from_json(v2_tweet())
    assert tweet.id == "1460323737035677698"
    assert tweet.author == User("2244994945", "")


def test_default_fields_only() -> None:
    tweet = Tweet.from_json({"data": {"id": "1", "text": "hello #world @jack"}})
    assert tweet.author == User("", "")
    assert tweet.hashtags == ("world",)
    assert tweet.mentions == (MentionEntity("", "jack"),)
    assert (tweet.lang, tweet.created_at_ms, tweet.source) == (None, None, "")


def test_extracted_mentions_resolve_ids_through_includes() -> None:
    data = {"id": "1", "text": "thanks @TwitterDev", "author_id": "9"}
    tweet = Tweet.from_json(message(data, users=[v2_user(), v2_user("9", "me")]))
    assert tweet.mentions == (MentionEntity("2244994945", "TwitterDev"),)
    assert tweet.author.screen_name == "me"


def test_mention_without_id_resolves_through_includes() -> None:
    entities = {"mentions": [{"start": 0, "end": 11, "username": "twitterdev"}]}
    tweet = Tweet.from_json(message(v2_tweet(entities=entities)))
    assert tweet.mentions == (MentionEntity("2244994945", "twitterdev"),)
    alone = Tweet.from_json({"data": v2_tweet(entities=entities)})
    assert alone.mentions == (MentionEntity("", "twitterdev"),)


def test_note_tweet_gives_the_long_text_and_its_entities() -> None:
    data = v2_tweet(
        text="First 280 characters…",
        note_tweet={
            "text": "The whole long post #long",
            "entities": {"hashtags": [{"tag": "long"}]},
        },
    )
    tweet = Tweet.from_json(message(data))
    assert tweet.text == "The whole long post #long"
    assert tweet.hashtags == ("long",)
    assert tweet.urls == ()


def test_author_missing_from_includes_and_metrics_as_strings() -> None:
    tweet = Tweet.from_json(message(v2_tweet(), users=[]))
    assert tweet.author == User("2244994945", "")
    counted = v2_user(public_metrics={"followers_count": "12", "following_count": None})
    author = Tweet.from_json(message(v2_tweet(), users=[counted])).author
    assert (author.followers_count, author.friends_count, author.statuses_count) == (12, 0, 0)
    bare = v2_user(description=None, location=None, public_metrics=None, verified=None)
    author = Tweet.from_json(message(v2_tweet(), users=[bare])).author
    assert (author.description, author.location, author.verified) == ("", "", False)


def test_media_from_attachments_includes_and_media_urls() -> None:
    entities = {
        "urls": [
            {"url": "https://t.co/link", "expanded_url": "https://example.com/a"},
            {
                "url": "https://t.co/pic",
                "expanded_url": "https://twitter.com/TwitterDev/status/1/video/1",
                "media_key": "7_111",
            },
        ]
    }
    data = v2_tweet(
        entities=entities,
        attachments={"media_keys": ["7_111", "3_222", "16_333"]},
    )
    media = [
        {"media_key": "7_111", "type": "video"},
        {"media_key": "3_222", "type": "photo", "url": "https://pbs.twimg.com/x.jpg"},
    ]
    tweet = Tweet.from_json(message(data, media=media))
    assert tweet.urls == (UrlEntity("https://t.co/link", "https://example.com/a"),)
    assert tweet.media == (
        Media("video", "https://t.co/pic", "https://twitter.com/TwitterDev/status/1/video/1"),
        Media("photo"),
        Media("animated_gif"),  # typed by its media key: not in includes
    )


def test_media_link_without_attachments_still_counts() -> None:
    entities = {
        "urls": [{"url": "https://t.co/p", "expanded_url": "https://x/1", "media_key": "3_9"}]
    }
    tweet = Tweet.from_json(message(v2_tweet(entities=entities)))
    assert tweet.media == (Media("photo", "https://t.co/p", "https://x/1"),)
    assert tweet.urls == ()


def test_reply_fields() -> None:
    data = v2_tweet(
        referenced_tweets=[{"type": "replied_to", "id": "1460000000000000000"}],
        in_reply_to_user_id="783214",
    )
    tweet = Tweet.from_json(message(data, users=[v2_user(), v2_user("783214", "Twitter")]))
    assert tweet.in_reply_to_status_id == "1460000000000000000"
    assert tweet.in_reply_to_user_id == "783214"
    assert tweet.in_reply_to_screen_name == "Twitter"
    unknown = Tweet.from_json(message(data))
    assert unknown.in_reply_to_screen_name is None


def original(tweet_id: str = "1000", **fields: Any) -> dict[str, Any]:
    return v2_tweet(
        id=tweet_id,
        text="The original, full text #space #mars @NASA https://t.co/orig",
        author_id="11348282",
        entities={
            "hashtags": [{"tag": "space"}, {"tag": "mars"}],
            "mentions": [{"username": "NASA", "id": "11348282"}],
            "urls": [{"url": "https://t.co/orig", "expanded_url": "https://nasa.gov/mars"}],
        },
        **fields,
    )


def retweet_of(tweet_id: str = "1000") -> dict[str, Any]:
    return v2_tweet(
        id="2000",
        text="RT @NASA: The original, full text #space…",
        author_id="44196397",
        entities={
            "hashtags": [{"tag": "space"}],
            "mentions": [{"username": "NASA", "start": 3, "end": 8}],
        },
        referenced_tweets=[{"type": "retweeted", "id": tweet_id}],
    )


NASA = v2_user("11348282", "NASA")
FAN = v2_user("44196397", "fan", verified=False)


def test_retweet_reads_the_original_from_includes() -> None:
    tweet = Tweet.from_json(message(retweet_of(), users=[FAN, NASA], tweets=[original()]))
    assert tweet.id == "2000"
    assert tweet.author.screen_name == "fan"
    assert tweet.text == "The original, full text #space #mars @NASA https://t.co/orig"
    assert tweet.hashtags == ("space", "mars")
    assert tweet.mentions == (MentionEntity("11348282", "NASA"),)
    assert tweet.urls == (UrlEntity("https://t.co/orig", "https://nasa.gov/mars"),)
    assert tweet.retweeted is not None
    assert tweet.retweeted.author.screen_name == "NASA"
    assert tweet.retweeted.id == "1000"


def test_retweet_whose_original_is_not_in_includes() -> None:
    tweet = Tweet.from_json(message(retweet_of(), users=[FAN, NASA]))
    assert tweet.text == "RT @NASA: The original, full text #space…"
    assert tweet.hashtags == ("space",)
    assert tweet.retweeted == Tweet(id="1000", text="", author=User("11348282", "NASA"))
    bare = retweet_of()
    del bare["entities"]
    tweet = Tweet.from_json(message(bare, users=[FAN]))
    assert tweet.retweeted == Tweet(id="1000", text="", author=User("", "NASA"))


def test_quote_and_a_retweet_of_a_quote() -> None:
    quote = v2_tweet(
        id="3000",
        text="Look at this",
        referenced_tweets=[{"type": "quoted", "id": "1000"}],
    )
    tweet = Tweet.from_json(message(quote, users=[v2_user(), NASA], tweets=[original()]))
    assert tweet.is_quote
    assert tweet.quoted is not None
    assert tweet.quoted.author.screen_name == "NASA"
    assert tweet.hashtags == ("TwitterAPI",)

    missing = Tweet.from_json(message(quote))
    assert missing.is_quote
    assert missing.quoted is None

    shared = v2_tweet(
        id="4000",
        text="RT @TwitterDev: Look at this",
        author_id="44196397",
        referenced_tweets=[{"type": "quoted", "id": "1000"}, {"type": "retweeted", "id": "3000"}],
    )
    tweet = Tweet.from_json(
        message(shared, users=[FAN, v2_user(), NASA], tweets=[quote, original()])
    )
    assert tweet.retweeted is not None
    assert tweet.retweeted.id == "3000"
    assert tweet.quoted is tweet.retweeted.quoted
    assert tweet.quoted is not None
    assert tweet.quoted.id == "1000"
    assert tweet.is_quote
    assert tweet.text == "Look at this"


def test_a_tweet_that_retweets_itself_does_not_loop() -> None:
    looped = retweet_of("2000")
    tweet = Tweet.from_json(message(looped, users=[FAN], tweets=[looped]))
    depth = 0
    while tweet.retweeted is not None:
        tweet = tweet.retweeted
        depth += 1
    assert depth <= 3


def test_place_and_point() -> None:
    place = {
        "id": "01a9a39529b27f36",
        "full_name": "Manhattan, NY",
        "name": "Manhattan",
        "country_code": "US",
        "geo": {"type": "Feature", "bbox": [-74.026675, 40.683935, -73.910408, 40.877483]},
    }
    data = v2_tweet(
        geo={
            "place_id": "01a9a39529b27f36",
            "coordinates": {"type": "Point", "coordinates": [-73.99, 40.73]},
        }
    )
    tweet = Tweet.from_json(message(data, places=[place]))
    assert tweet.place == PlaceInfo(
        "01a9a39529b27f36",
        "Manhattan, NY",
        "US",
        (-74.026675, 40.683935, -73.910408, 40.877483),
        "Manhattan",
    )
    assert tweet.point == (-73.99, 40.73)
    missing = Tweet.from_json(message(v2_tweet(geo={"place_id": "abc"})))
    assert missing.place == PlaceInfo("abc", "", "")
    assert missing.point is None


def broken(path: str, value: Any) -> dict[str, Any]:
    """A message with the field at dotted ``path`` set to ``value`` (or removed, for ...)."""
    payload = copy.deepcopy(message(v2_tweet()))
    *parents, last = path.split(".")
    target = payload
    for key in parents:
        target = target[key]
    if value is ...:
        target.pop(last, None)
    else:
        target[last] = value
    return payload


def without_text(data: dict[str, Any]) -> dict[str, Any]:
    del data["text"]
    return data


@pytest.mark.parametrize(
    ("payload", "message_part"),
    [
        ({"data": [v2_tweet()]}, "data: an array of tweets"),
        ({"data": "x"}, "data: expected a tweet object, got a string"),
        ({"errors": [{"title": "operational-disconnect"}]}, "a v2 error message"),
        ({"includes": {"users": [v2_user()]}}, "not a tweet"),
        (
            {"data": {"id": "1", "text": "hi", "dm_conversation_id": "5", "sender_id": "2"}},
            "a direct-message event",
        ),
        (broken("data.id", ...), "data.id: missing"),
        (broken("data.id", "abc"), "data.id: expected a decimal id, got 'abc'"),
        (broken("data.text", ...), "data.text: missing"),
        (broken("data.text", ["x"]), "data.text: expected a string, got an array"),
        (message(without_text(v2_tweet(note_tweet={"text": 5}))), "data.text: missing"),
    ],
)
def test_a_message_without_an_id_or_a_text_raises_a_clear_error(
    payload: Any, message_part: str
) -> None:
    with pytest.raises(TweetFormatError) as caught:
        Tweet.from_json(payload)
    assert message_part in str(caught.value)


_PLAIN = Tweet.from_json(message(v2_tweet()))


def _changed(tweet: Tweet, reference: Tweet) -> set[str]:
    return {
        field.name
        for field in dataclasses.fields(Tweet)
        if getattr(tweet, field.name) != getattr(reference, field.name)
    }


@pytest.mark.parametrize(
    ("path", "value", "ignored", "changed"),
    [
        ("data.note_tweet", "x", ["data.note_tweet"], set()),
        ("data.note_tweet", {"text": 5}, ["data.note_tweet.text"], set()),
        ("data.author_id", 1.5, ["data.author_id"], {"author"}),
        ("data.author_id", "abc", ["data.author_id"], {"author"}),
        ("data.entities", "x", ["data.entities"], {"mentions", "urls"}),
        ("data.entities.hashtags", [{"text": "x"}], ["data.entities.hashtags[].tag"], {"hashtags"}),
        ("data.entities.hashtags", {}, [], {"hashtags"}),
        ("data.entities.hashtags", 5, ["data.entities.hashtags"], {"hashtags"}),
        (
            "data.entities.mentions",
            [{"id": "1"}],
            ["data.entities.mentions[].username"],
            {"mentions"},
        ),
        ("data.entities.mentions", [3], ["data.entities.mentions[]"], {"mentions"}),
        ("data.entities.urls", [3], ["data.entities.urls[]"], {"urls"}),
        ("data.created_at", "Monday", ["data.created_at"], {"created_at_ms"}),
        ("data.created_at", 1637003285, ["data.created_at"], {"created_at_ms"}),
        ("data.lang", 1, ["data.lang"], {"lang"}),
        ("data.source", 1, ["data.source"], {"source"}),
        ("data.conversation_id", "x", ["data.conversation_id"], {"conversation_id"}),
        ("data.in_reply_to_user_id", [], ["data.in_reply_to_user_id"], set()),
        ("data.referenced_tweets", 5, ["data.referenced_tweets"], set()),
        ("data.referenced_tweets", [{"type": "quoted"}], ["data.referenced_tweets[].id"], set()),
        ("data.referenced_tweets", [{"id": "1"}], ["data.referenced_tweets[].type"], set()),
        ("data.referenced_tweets", ["x"], ["data.referenced_tweets[]"], set()),
        ("data.geo", "x", ["data.geo"], set()),
        ("data.geo", {"place_id": 5}, ["data.geo.place_id"], set()),
        (
            "data.geo",
            {"coordinates": {"coordinates": [1]}},
            ["data.geo.coordinates.coordinates"],
            set(),
        ),
        ("data.geo", {"coordinates": []}, ["data.geo.coordinates"], set()),
        ("data.attachments", [], [], set()),
        ("data.attachments", "x", ["data.attachments"], set()),
        ("data.attachments", {"media_keys": "3_1"}, ["data.attachments.media_keys"], set()),
        (
            "data.attachments",
            {"media_keys": [3, "3_1"]},
            ["data.attachments.media_keys[]"],
            {"media"},
        ),
        ("includes", [], ["includes"], {"author"}),
        ("includes", 5, ["includes"], {"author"}),
        ("includes.users", [{"username": "x"}], ["includes.users[].id"], {"author"}),
        ("includes.users", ["x", v2_user()], ["includes.users[]"], set()),
        ("includes.users", {"id": "1"}, ["includes.users"], {"author"}),
        (
            "includes.users",
            [v2_user(public_metrics={"tweet_count": "lots"})],
            ["includes.users[].public_metrics.tweet_count"],
            {"author"},
        ),
        (
            "includes.users",
            [v2_user(public_metrics=[])],
            ["includes.users[].public_metrics"],
            {"author"},
        ),
        ("includes.users", [v2_user(name=7)], ["includes.users[].name"], {"author"}),
    ],
)
def test_a_field_not_as_expected_is_read_as_absent_and_noted(
    path: str, value: Any, ignored: list[str], changed: set[str]
) -> None:
    found: list[str] = []
    tweet = Tweet.from_json(broken(path, value), found)
    assert found == ignored
    assert _changed(tweet, _PLAIN) == changed
    if ignored == [path]:
        # The tweet is read as if the field were not there at all.
        assert tweet == Tweet.from_json(broken(path, ...), [])


def test_an_empty_object_for_a_point_leaves_the_rest_of_the_geo() -> None:
    # The shape of real v2 tweets: {"coordinates": {"coordinates": {}}}.
    place = {"id": "p", "full_name": "Paris, France", "country_code": "FR"}
    data = v2_tweet(geo={"place_id": "p", "coordinates": {"coordinates": {}}})
    found: list[str] = []
    tweet = Tweet.from_json(message(data, places=[place]), found)
    assert found == ["data.geo.coordinates.coordinates"]
    assert tweet.point is None
    assert tweet.place == PlaceInfo("p", "Paris, France", "FR")
    assert dataclasses.replace(tweet, place=None) == _PLAIN


def test_a_place_with_a_bad_bbox_keeps_its_names() -> None:
    data = v2_tweet(geo={"place_id": "p"})
    place = {"id": "p", "full_name": "x", "geo": {"bbox": [1, 2, 3]}}
    found: list[str] = []
    tweet = Tweet.from_json(message(data, places=[place]), found)
    assert tweet.place == PlaceInfo("p", "x", "")
    assert found == ["includes.places[].geo.bbox"]


def test_an_unreadable_retweeted_original_is_as_good_as_missing() -> None:
    # Its id and author still come from the retweet, as for an original
    # missing from includes.
    data = v2_tweet(
        text="RT @TwitterDev: the original",
        referenced_tweets=[{"type": "retweeted", "id": "7"}],
    )
    original = v2_tweet(id="7", lang=5)
    del original["text"]
    found: list[str] = []
    tweet = Tweet.from_json(message(data, tweets=[original]), found)
    assert found == ["includes.tweets[]"]
    assert tweet == Tweet.from_json(message(data), [])
    assert tweet.retweeted is not None
    assert (tweet.retweeted.id, tweet.retweeted.author.screen_name) == ("7", "TwitterDev")


def test_a_field_of_a_referenced_tweet_is_noted_under_includes() -> None:
    data = v2_tweet(referenced_tweets=[{"type": "quoted", "id": "7"}])
    quoted = v2_tweet(id="7", text="quoted", lang=5, entities={"hashtags": "x"})
    found: list[str] = []
    tweet = Tweet.from_json(message(data, tweets=[quoted]), found)
    assert found == ["includes.tweets[].entities.hashtags", "includes.tweets[].lang"]
    assert tweet.quoted is not None
    assert (tweet.quoted.id, tweet.quoted.text, tweet.quoted.lang) == ("7", "quoted", None)
    assert tweet.is_quote

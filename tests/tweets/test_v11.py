"""v1.1 native statuses -> Tweet, on small hand-written payloads."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import orjson
import pytest

from powertrack.tweets.errors import TweetFormatError
from powertrack.tweets.fields import MAX_DEPTH, fast_constructor, new_user
from powertrack.tweets.model import Media, MentionEntity, PlaceInfo, Tweet, UrlEntity, User

IPHONE = '<a href="http://twitter.com/download/iphone" rel="nofollow">Twitter for iPhone</a>'


def user(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 783214,
        "id_str": "783214",
        "screen_name": "TwitterDev",
        "name": "Twitter Dev",
        "description": "The voice of the #TwitterDev team",
        "location": "Internet",
        "verified": True,
        "followers_count": 500,
        "friends_count": 20,
        "statuses_count": 3000,
        "listed_count": 7,
    }
    base.update(fields)
    return base


def status(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "created_at": "Wed Oct 10 20:19:24 +0000 2018",
        "id": 1050118621198921728,
        "id_str": "1050118621198921728",
        "text": "To make room for more expression #Twitter @jack $TWTR https://t.co/abc",
        "source": IPHONE,
        "truncated": False,
        "in_reply_to_status_id": None,
        "in_reply_to_status_id_str": None,
        "in_reply_to_user_id": None,
        "in_reply_to_user_id_str": None,
        "in_reply_to_screen_name": None,
        "user": user(),
        "geo": None,
        "coordinates": None,
        "place": None,
        "is_quote_status": False,
        "entities": {
            "hashtags": [{"text": "Twitter", "indices": [33, 41]}],
            "user_mentions": [
                {"screen_name": "jack", "name": "jack", "id": 12, "id_str": "12"},
            ],
            "symbols": [{"text": "TWTR", "indices": [48, 53]}],
            "urls": [
                {
                    "url": "https://t.co/abc",
                    "expanded_url": "https://blog.twitter.com/more",
                    "display_url": "blog.twitter.com/more",
                }
            ],
        },
        "lang": "en",
    }
    base.update(fields)
    return base


def photo(url: str = "https://t.co/pic", kind: str = "photo") -> dict[str, Any]:
    return {
        "id_str": "99",
        "type": kind,
        "url": url,
        "expanded_url": "https://twitter.com/TwitterDev/status/1/photo/1",
        "media_url_https": "https://pbs.twimg.com/media/x.jpg",
    }


OCT_10_2018_20_19_24_MS = 1539202764000


def test_every_field_of_a_plain_status() -> None:
    tweet = Tweet.from_json(status())
    assert tweet == Tweet(
        id="1050118621198921728",
        text="To make room for more expression #Twitter @jack $TWTR https://t.co/abc",
        author=User(
            id="783214",
            screen_name="TwitterDev",
            name="Twitter Dev",
            description="The voice of the #TwitterDev team",
            location="Internet",
            verified=True,
            followers_count=500,
            friends_count=20,
            statuses_count=3000,
            listed_count=7,
        ),
        lang="en",
        created_at_ms=OCT_10_2018_20_19_24_MS,
        hashtags=("Twitter",),
        mentions=(MentionEntity("12", "jack"),),
        symbols=("TWTR",),
        urls=(UrlEntity("https://t.co/abc", "https://blog.twitter.com/more"),),
        source="Twitter for iPhone",
    )
    assert tweet.conversation_id is None
    assert not tweet.nullcast


@pytest.mark.parametrize(
    "raw",
    [
        orjson.dumps(status()),
        bytearray(orjson.dumps(status())),
        memoryview(orjson.dumps(status())),
        orjson.dumps(status()).decode(),
    ],
    ids=["bytes", "bytearray", "memoryview", "str"],
)
def test_every_input_type_gives_the_same_tweet(raw: Any) -> None:
    assert Tweet.from_json(raw) == Tweet.from_json(status())


def test_fast_constructor_matches_the_dataclass_and_checks_names() -> None:
    assert new_user("1", "a", "b", "c", "d", True, 1, 2, 3, 4) == User(
        "1", "a", "b", "c", "d", True, 1, 2, 3, 4
    )
    with pytest.raises(TypeError, match="has no field nme"):
        fast_constructor(User, "id", "nme")
    with pytest.raises(TypeError, match=r"User\.id has no default"):
        fast_constructor(User, "screen_name")


def test_timestamp_ms_wins_over_created_at_and_offsets_apply() -> None:
    assert Tweet.from_json(status(timestamp_ms="1539202764123")).created_at_ms == (
        OCT_10_2018_20_19_24_MS + 123
    )
    west = Tweet.from_json(status(created_at="Wed Oct 10 18:49:24 -0130 2018"))
    assert west.created_at_ms == OCT_10_2018_20_19_24_MS
    assert Tweet.from_json(status(created_at=None)).created_at_ms is None


def test_extended_mode_reads_full_text() -> None:
    tweet = Tweet.from_json(status(full_text="The whole text, past 140 characters #long"))
    assert tweet.text == "The whole text, past 140 characters #long"


def test_compatibility_mode_reads_extended_tweet_text_and_entities() -> None:
    payload = status(
        text="Truncated… https://t.co/web",
        truncated=True,
        entities={
            "hashtags": [],
            "user_mentions": [],
            "symbols": [],
            "urls": [{"url": "https://t.co/web", "expanded_url": "https://twitter.com/i/web/1"}],
        },
        extended_tweet={
            "full_text": "Truncated no more #full https://t.co/pic",
            "entities": {
                "hashtags": [{"text": "full"}],
                "user_mentions": [],
                "symbols": [],
                "urls": [],
                "media": [photo()],
            },
            "extended_entities": {"media": [photo(), photo(kind="animated_gif")]},
        },
    )
    tweet = Tweet.from_json(payload)
    assert tweet.text == "Truncated no more #full https://t.co/pic"
    assert tweet.hashtags == ("full",)
    assert tweet.urls == ()
    assert [item.type for item in tweet.media] == ["photo", "animated_gif"]


def test_media_prefers_extended_entities_with_real_types() -> None:
    entities = dict(status()["entities"], media=[photo()])
    payload = status(
        entities=entities,
        extended_entities={"media": [photo(kind="video"), photo(kind="photo")]},
    )
    assert Tweet.from_json(payload).media == (
        Media("video", "https://t.co/pic", "https://twitter.com/TwitterDev/status/1/photo/1"),
        Media("photo", "https://t.co/pic", "https://twitter.com/TwitterDev/status/1/photo/1"),
    )
    only_entities = Tweet.from_json(status(entities=entities))
    assert [item.type for item in only_entities.media] == ["photo"]


def test_user_counts_as_strings_and_nulls() -> None:
    payload = status(
        user=user(
            followers_count="1200",
            friends_count=None,
            description=None,
            location=None,
            verified=None,
        )
    )
    author = Tweet.from_json(payload).author
    assert (author.followers_count, author.friends_count) == (1200, 0)
    assert (author.description, author.location, author.verified) == ("", "", False)


def test_ids_from_numbers_and_mongo_extended_json() -> None:
    payload = status(id_str=None, id=5998833480, user=user(id_str=None, id=37735152))
    del payload["id_str"]
    tweet = Tweet.from_json(payload)
    assert (tweet.id, tweet.author.id) == ("5998833480", "37735152")
    mongo = status(in_reply_to_status_id={"$numberLong": "661274099642073089"})
    assert Tweet.from_json(mongo).in_reply_to_status_id == "661274099642073089"


def test_reply_fields() -> None:
    payload = status(
        in_reply_to_status_id=1050118621198921700,
        in_reply_to_status_id_str="1050118621198921700",
        in_reply_to_user_id=12,
        in_reply_to_screen_name="jack",
    )
    tweet = Tweet.from_json(payload)
    assert tweet.in_reply_to_status_id == "1050118621198921700"
    assert tweet.in_reply_to_user_id == "12"
    assert tweet.in_reply_to_screen_name == "jack"


@pytest.mark.parametrize(
    ("source", "client"),
    [
        (IPHONE, "Twitter for iPhone"),
        ("web", "web"),
        ('<a href="https://x.example" rel="nofollow">Tom &amp; Jerry</a>', "Tom & Jerry"),
        (None, ""),
    ],
)
def test_source_keeps_the_client_name(source: str | None, client: str) -> None:
    assert Tweet.from_json(status(source=source)).source == client


def test_place_point_and_legacy_geo() -> None:
    place = {
        "id": "01fbe706f872cb32",
        "full_name": "Washington, DC",
        "name": "Washington",
        "country_code": "US",
        "bounding_box": {
            "type": "Polygon",
            "coordinates": [
                [[-77.1194, 38.8018], [-76.9093, 38.8018], [-76.9093, 38.9953], [-77.1194, 38.9953]]
            ],
        },
    }
    tweet = Tweet.from_json(
        status(place=place, coordinates={"type": "Point", "coordinates": [-77.03, 38.89]})
    )
    assert tweet.place == PlaceInfo(
        "01fbe706f872cb32",
        "Washington, DC",
        "US",
        (-77.1194, 38.8018, -76.9093, 38.9953),
        "Washington",
    )
    assert tweet.point == (-77.03, 38.89)
    legacy = Tweet.from_json(status(geo={"type": "Point", "coordinates": [38.89, -77.03]}))
    assert legacy.point == (-77.03, 38.89)
    no_box = Tweet.from_json(status(place=dict(place, bounding_box=None)))
    assert no_box.place is not None
    assert no_box.place.bbox is None


def test_nullcast_from_scopes() -> None:
    assert Tweet.from_json(status(scopes={"followers": False})).nullcast
    assert not Tweet.from_json(status(scopes={"followers": True})).nullcast


def original() -> dict[str, Any]:
    return status(
        id_str="1000",
        id=1000,
        text="Original text that runs long #space #mars @nasa https://t.co/orig",
        user=user(id_str="11348282", id=11348282, screen_name="NASA", verified=True),
        entities={
            "hashtags": [{"text": "space"}, {"text": "mars"}],
            "user_mentions": [{"screen_name": "nasa", "id_str": "11348282"}],
            "symbols": [],
            "urls": [{"url": "https://t.co/orig", "expanded_url": "https://nasa.gov/mars"}],
        },
        place={"id": "abc", "full_name": "Pasadena, CA", "country_code": "US"},
    )


def retweet(of: dict[str, Any]) -> dict[str, Any]:
    return status(
        id_str="2000",
        id=2000,
        text="RT @NASA: Original text that runs long #space…",
        user=user(id_str="44196397", id=44196397, screen_name="fan", verified=False),
        entities={
            "hashtags": [{"text": "space"}],
            "user_mentions": [{"screen_name": "NASA", "id_str": "11348282"}],
            "symbols": [],
            "urls": [],
        },
        retweeted_status=of,
    )


def test_retweet_reads_the_original_text_and_both_entity_sets() -> None:
    tweet = Tweet.from_json(retweet(original()))
    assert tweet.id == "2000"
    assert tweet.author.screen_name == "fan"
    assert tweet.text == "Original text that runs long #space #mars @nasa https://t.co/orig"
    assert tweet.hashtags == ("space", "mars")
    # One mention per user: "RT @NASA" and the original's "@nasa" are the same account.
    assert tweet.mentions == (MentionEntity("11348282", "NASA"),)
    assert tweet.urls == (UrlEntity("https://t.co/orig", "https://nasa.gov/mars"),)
    assert tweet.retweeted is not None
    assert tweet.retweeted.id == "1000"
    assert tweet.retweeted.author.screen_name == "NASA"
    assert tweet.retweeted.place is not None
    assert tweet.place is None
    assert not tweet.is_quote


def test_quote_tweet_and_a_retweet_of_it() -> None:
    quote = status(
        id_str="3000",
        id=3000,
        text="Look at this",
        is_quote_status=True,
        quoted_status_id_str="1000",
        quoted_status=original(),
    )
    tweet = Tweet.from_json(quote)
    assert tweet.is_quote
    assert tweet.quoted is not None
    assert tweet.quoted.id == "1000"
    assert tweet.quoted.hashtags == ("space", "mars")
    assert tweet.hashtags == ("Twitter",)  # the quote's own entities only

    shared = Tweet.from_json(retweet(quote))
    assert shared.retweeted is not None
    assert shared.retweeted.quoted is not None
    assert shared.quoted is shared.retweeted.quoted
    assert shared.is_quote
    assert shared.text == "Look at this"


def test_quote_flag_without_the_quoted_status() -> None:
    tweet = Tweet.from_json(status(is_quote_status=True, quoted_status_id_str="1000"))
    assert tweet.is_quote
    assert tweet.quoted is None


def test_nesting_is_cut_at_max_depth() -> None:
    payload = status(id_str="1", text="level 0")
    level = payload
    for depth in range(1, 2000):
        inner = status(id_str=str(depth + 1), text=f"level {depth}")
        level["quoted_status"] = inner
        level = inner
    tweet = Tweet.from_json(payload)
    chain = []
    while tweet.quoted is not None:
        chain.append(tweet.quoted)
        tweet = tweet.quoted
    assert len(chain) == MAX_DEPTH


def test_status_without_entities_gets_them_from_its_text() -> None:
    payload = {
        "id_str": "7",
        "text": "Launch day #Artemis with @NASA $BA http://nasa.gov/artemis!",
        "user": {"id_str": "1", "screen_name": "someone"},
    }
    tweet = Tweet.from_json(payload)
    assert tweet.hashtags == ("Artemis",)
    assert tweet.mentions == (MentionEntity("", "NASA"),)
    assert tweet.symbols == ("BA",)
    assert tweet.urls == (UrlEntity("http://nasa.gov/artemis", "http://nasa.gov/artemis"),)
    assert tweet.author == User("1", "someone")
    assert tweet.created_at_ms is None
    assert tweet.lang is None


def test_flattened_entity_lists_at_the_top_level() -> None:
    payload = status(
        hashtags=[{"text": "flat"}],
        user_mentions=[{"screen_name": "jack", "id": 12}],
        urls=[{"url": "https://t.co/x", "expanded_url": None}],
    )
    del payload["entities"]
    tweet = Tweet.from_json(payload)
    assert tweet.hashtags == ("flat",)
    assert tweet.mentions == (MentionEntity("12", "jack"),)
    assert tweet.urls == (UrlEntity("https://t.co/x", "https://t.co/x"),)


def broken(path: str, value: Any) -> dict[str, Any]:
    """A status with the field at dotted ``path`` set to ``value`` (or removed, for ...)."""
    payload = copy.deepcopy(status())
    *parents, last = path.split(".")
    target = payload
    for key in parents:
        target = target[key]
    if value is ...:
        target.pop(last, None)
    else:
        target[last] = value
    return payload


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "expected a JSON object, got an array"),
        (b'"text"', "expected a JSON object, got a string"),
        (42, "expected bytes, str or a dict, got int"),
        (b'{"delete": {"status": {"id_str": "1"}}}', "a v1.1 stream 'delete' message"),
        (b'{"limit": {"track": 5}}', "a v1.1 stream 'limit' message"),
        (b'{"verb": "post", "actor": {}}', "Activity Streams"),
        (b'{"foo": 1}', "not a tweet"),
        (b'{"id_str": "1"}', "text: missing (text, full_text)"),
        (broken("id_str", ...) | {"id": None}, "id_str: missing (id_str, id)"),
        (broken("id_str", "12a") | {"id": None}, "id_str: expected a decimal id, got '12a'"),
        (broken("id_str", 1.5) | {"id": -1}, "id_str: expected a decimal id, got a number"),
        (broken("text", ...), "text: missing (text, full_text)"),
        (broken("text", 5), "text: expected a string, got a number"),
        (broken("text", 5) | {"full_text": None}, "text: expected a string, got a number"),
        (
            broken("extended_tweet", {"full_text": []}) | {"text": None},
            "extended_tweet.full_text: expected a string, got an array",
        ),
    ],
)
def test_a_payload_without_an_id_or_a_text_raises_a_clear_error(payload: Any, message: str) -> None:
    with pytest.raises(TweetFormatError) as caught:
        Tweet.from_json(payload)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


_PLAIN = Tweet.from_json(status())


def _changed(tweet: Tweet, reference: Tweet) -> set[str]:
    return {
        field.name
        for field in dataclasses.fields(Tweet)
        if getattr(tweet, field.name) != getattr(reference, field.name)
    }


@pytest.mark.parametrize(
    ("path", "value", "ignored", "changed"),
    [
        ("id_str", "12a", ["id_str"], set()),
        ("id_str", 1.5, ["id_str"], set()),
        ("user", None, ["user"], {"author"}),
        ("user", "jack", ["user"], {"author"}),
        ("user", {"screen_name": "x"}, ["user.id"], {"author"}),
        ("user.id_str", "x", ["user.id_str"], set()),
        ("user.id_str", {"$numberLong": "x"}, ["user.id_str"], set()),
        ("user.followers_count", "many", ["user.followers_count"], {"author"}),
        ("user.listed_count", 1.5, ["user.listed_count"], {"author"}),
        ("user.name", 3, ["user.name"], {"author"}),
        ("user.screen_name", [], ["user.screen_name"], {"author"}),
        ("lang", ["en"], ["lang"], {"lang"}),
        ("created_at", "yesterday", ["created_at"], {"created_at_ms"}),
        ("created_at", 1539202764, ["created_at"], {"created_at_ms"}),
        ("entities", [], ["entities"], {"mentions", "urls"}),
        ("entities.hashtags", "x", ["entities.hashtags"], {"hashtags"}),
        ("entities.hashtags", [{"tag": "x"}], ["entities.hashtags[].text"], {"hashtags"}),
        ("entities.user_mentions", [1], ["entities.user_mentions[]"], {"mentions"}),
        ("entities.urls", [{"url": 1}], ["entities.urls[].url"], {"urls"}),
        ("extended_tweet", "x", ["extended_tweet"], set()),
        ("retweeted_status", "x", ["retweeted_status"], set()),
        ("retweeted_status", {"id_str": "1"}, ["retweeted_status"], set()),
        ("quoted_status", [], ["quoted_status"], set()),
        ("source", 1, ["source"], {"source"}),
        ("coordinates", {"coordinates": [1]}, ["coordinates.coordinates"], set()),
        ("coordinates", {"coordinates": ["a", 1]}, ["coordinates.coordinates"], set()),
        ("coordinates", {"coordinates": [200, 1]}, ["coordinates.coordinates"], set()),
        ("coordinates", 5, ["coordinates"], set()),
        ("geo", {"coordinates": [1, None]}, ["geo.coordinates"], set()),
        ("place", {"full_name": "x"}, ["place.id"], set()),
        ("in_reply_to_status_id", "x", ["in_reply_to_status_id"], set()),
        ("in_reply_to_status_id_str", [], ["in_reply_to_status_id_str"], set()),
        ("in_reply_to_screen_name", 5, ["in_reply_to_screen_name"], set()),
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


def test_a_status_without_its_user_is_read_with_an_unknown_author() -> None:
    found: list[str] = []
    tweet = Tweet.from_json(b'{"id_str": "1", "text": "hi #there"}', found)
    assert tweet == Tweet(id="1", text="hi #there", author=User("", ""), hashtags=("there",))
    assert found == ["user"]
    assert Tweet.from_json(broken("user", ...), found) == dataclasses.replace(
        _PLAIN, author=User("", "")
    )


def test_a_field_of_a_nested_original_is_noted_under_its_path() -> None:
    # The shape of real retweets whose original quotes a tweet without a user.
    quote = status(id=3, id_str="3", text="the quoted one")
    del quote["user"]
    original = status(id=2, id_str="2", is_quote_status=True, quoted_status=quote)
    found: list[str] = []
    tweet = Tweet.from_json(status(retweeted_status=original), found)
    assert found == ["retweeted_status.quoted_status.user"]
    assert tweet.retweeted is not None
    assert tweet.retweeted.id == "2"
    assert tweet.quoted is not None
    assert (tweet.quoted.id, tweet.quoted.text, tweet.quoted.author) == (
        "3",
        "the quoted one",
        User("", ""),
    )
    assert tweet.is_quote


def test_a_nested_original_without_an_id_or_a_text_is_left_out_alone() -> None:
    # What was read of it before its text was found missing is not noted.
    original = status(id=2, id_str="two", text=None, lang=5)
    found: list[str] = []
    tweet = Tweet.from_json(status(retweeted_status=original), found)
    assert found == ["retweeted_status"]
    assert tweet == _PLAIN
    quoted = status(quoted_status={"id_str": "3", "text": 3}, is_quote_status=False)
    assert Tweet.from_json(quoted, found).quoted is None
    assert found == ["retweeted_status", "quoted_status"]


def test_an_odd_extended_tweet_leaves_the_text_and_entities_of_the_status() -> None:
    long = "x" * 300 + " #long"
    payload = status(
        extended_tweet={"full_text": long, "entities": {"hashtags": [{"text": "long"}]}}
    )
    assert Tweet.from_json(payload).text == long
    found: list[str] = []
    odd_text = copy.deepcopy(payload)
    odd_text["extended_tweet"]["full_text"] = 7
    tweet = Tweet.from_json(odd_text, found)
    assert found == ["extended_tweet.full_text"]
    assert (tweet.text, tweet.hashtags) == (_PLAIN.text, ("long",))
    odd_entities = copy.deepcopy(payload)
    odd_entities["extended_tweet"]["entities"] = "x"
    tweet = Tweet.from_json(odd_entities, found)
    assert found == ["extended_tweet.full_text", "extended_tweet.entities"]
    assert (tweet.text, tweet.hashtags) == (long, _PLAIN.hashtags)


def test_odd_items_are_left_out_of_their_lists_one_by_one() -> None:
    entities = {
        "hashtags": [{"text": "one"}, {"text": None}, "two", {"text": "three"}],
        "user_mentions": [{"screen_name": "jack", "id_str": [], "id": 12}, None],
        "urls": [{"url": "https://t.co/a", "expanded_url": 5}],
    }
    found: list[str] = []
    tweet = Tweet.from_json(status(entities=entities), found)
    assert tweet.hashtags == ("one", "three")
    assert tweet.mentions == (MentionEntity("12", "jack"),)
    assert tweet.urls == (UrlEntity("https://t.co/a", "https://t.co/a"),)
    assert found == [
        "entities.hashtags[].text",
        "entities.hashtags[].text",
        "entities.user_mentions[].id_str",
        "entities.user_mentions[]",
        "entities.urls[].expanded_url",
    ]


def test_a_place_keeps_what_can_be_read() -> None:
    box = {"type": "Polygon", "coordinates": [[[-74.0, 40.6], [-73.9, 40.6], ["x", 40.9]]]}
    place = {"id": "01a9", "full_name": 5, "country_code": "US", "bounding_box": box}
    found: list[str] = []
    tweet = Tweet.from_json(status(place=place), found)
    assert tweet.place == PlaceInfo("01a9", "", "US", None, "")
    assert found == ["place.full_name", "place.bounding_box.coordinates"]


def test_an_odd_timestamp_falls_back_to_created_at() -> None:
    found: list[str] = []
    tweet = Tweet.from_json(status(timestamp_ms="soon"), found)
    assert tweet.created_at_ms == OCT_10_2018_20_19_24_MS
    assert found == ["timestamp_ms"]


def test_an_odd_point_falls_back_to_the_legacy_geo() -> None:
    payload = status(coordinates={"type": "Point", "coordinates": {}}, geo={"coordinates": [2, 1]})
    found: list[str] = []
    assert Tweet.from_json(payload, found).point == (1.0, 2.0)
    assert found == ["coordinates.coordinates"]


def test_nothing_is_noted_for_a_tweet_that_is_refused() -> None:
    found = ["earlier"]
    with pytest.raises(TweetFormatError, match="text: missing"):
        Tweet.from_json(broken("text", ...) | {"lang": 5, "user": None}, found)
    assert found == ["earlier"]

"""The reference evaluator, operator by operator, against hand-built tweets."""

from __future__ import annotations

from typing import Any

import pytest

from powertrack.rules.ast import (
    And,
    BoundingBox,
    Cashtag,
    Contains,
    CountRange,
    Has,
    Hashtag,
    IdOp,
    Is,
    Keyword,
    Lang,
    Mention,
    Node,
    Not,
    Or,
    Phrase,
    Place,
    PlaceCountry,
    PointRadius,
    Proximity,
    Sample,
    Source,
    Url,
    UrlContains,
    UserOp,
    UserText,
)
from powertrack.rules.evaluate import evaluate
from powertrack.rules.rule import Rule
from powertrack.rules.sampling import sample_bucket
from powertrack.tweets.model import Media, MentionEntity, PlaceInfo, Tweet, UrlEntity, User

ALICE = User(
    id="11",
    screen_name="Alice_W",
    name="Alice Wonder",
    description="Coffee lover. Engineer at ACME",
    location="São Paulo, Brasil",
    verified=True,
    followers_count=1500,
    friends_count=300,
    statuses_count=12000,
    listed_count=7,
)
BOB = User(id="22", screen_name="BobTheBuilder")
IPHONE = '<a href="http://twitter.com/download/iphone" rel="nofollow">Twitter for iPhone</a>'
NYT = UrlEntity(url="https://t.co/abc123", expanded_url="https://www.NYTimes.com/2024/new-york")
PHOTO = Media(
    type="photo", url="https://t.co/pic1", expanded_url="https://x.com/a/status/1/photo/1"
)
VIDEO = Media(
    type="video", url="https://t.co/vid1", expanded_url="https://x.com/a/status/1/video/1"
)
GIF = Media(type="animated_gif", url="https://t.co/gif1", expanded_url="https://x.com/gif/1")
TWITTERDEV = MentionEntity(id="2244994945", screen_name="TwitterDev")
EMPIRE = (-73.9857, 40.7484)  # (lon, lat)
MIDTOWN_BOX = (-73.99, 40.745, -73.98, 40.752)  # corners 0.52 to 0.63 km from EMPIRE
NYC_BOX = (-74.26, 40.48, -73.70, 40.92)
NYC = PlaceInfo(id="01a9a39529b27f36", full_name="Manhattan, NY", country_code="us", bbox=NYC_BOX)
MIDTOWN = PlaceInfo(id="abc", full_name="Midtown, New York", country_code="US", bbox=MIDTOWN_BOX)
BBOX_NYC = BoundingBox(west=-74.3, south=40.4, east=-73.6, north=41.0)


def tw(text: str = "", **fields: Any) -> Tweet:
    fields.setdefault("id", "1000")
    fields.setdefault("author", ALICE)
    return Tweet(text=text, **fields)


def quoting(quoted: Tweet, text: str = "my comment", **fields: Any) -> Tweet:
    """A quote tweet by Bob of ``quoted``."""
    return tw(text, id="2000", author=BOB, quoted=quoted, is_quote=True, **fields)


def retweet_of(original: Tweet, **fields: Any) -> Tweet:
    """Bob's retweet of ``original``: text and entities are the original's."""
    return tw(
        original.text,
        id="3000",
        author=BOB,
        retweeted=original,
        hashtags=original.hashtags,
        urls=original.urls,
        quoted=original.quoted,
        **fields,
    )


def kw(*tokens: str) -> Keyword:
    return Keyword(tokens=tokens)


def case(name: str, node: Node, tweet: Tweet, expected: bool) -> Any:
    return pytest.param(node, tweet, expected, id=name)


KEYWORD = [
    case("keyword-token", kw("apple"), tw("I like Apple pie"), True),
    case("keyword-not-substring", kw("apple"), tw("pineapple juice"), False),
    case("keyword-accent-kept", kw("cumpleaños"), tw("Feliz CUMPLEAÑOS!"), True),
    case("keyword-accent-missing", kw("cumpleaños"), tw("feliz cumpleanos"), False),
    case("keyword-accent-extra", kw("cumpleanos"), tw("feliz cumpleaños"), False),
    case("keyword-eszett-folds-to-ss", kw("strasse"), tw("Die Straße ist lang"), True),
    case("keyword-upper-ss", kw("strasse"), tw("STRASSE"), True),
    case("keyword-emoji-glued", kw("🍕"), tw("pizza🍕time"), True),
    case("keyword-emoji-absent", kw("🍕"), tw("pizza time"), False),
    case("keyword-emoji-variation-selector", kw("❤"), tw("I ❤️ NY"), True),
    case("keyword-hyphen-is-phrase", kw("coca", "cola"), tw("I drink Coca-Cola"), True),
    case("keyword-hyphen-spaced", kw("coca", "cola"), tw("coca cola"), True),
    case("keyword-hyphen-order", kw("coca", "cola"), tw("cola coca"), False),
    case("keyword-hyphen-gap", kw("coca", "cola"), tw("coca and cola"), False),
    case("keyword-expanded-url", kw("nytimes"), tw("read https://t.co/abc123", urls=(NYT,)), True),
    case("keyword-media-url", kw("photo"), tw("look", media=(PHOTO,)), True),
    case("keyword-not-tco-entity", kw("abc123"), tw("look", urls=(NYT,)), False),
    case("keyword-phrase-in-url", kw("new", "york"), tw("look", urls=(NYT,)), True),
    case(
        "keyword-phrase-not-across-urls",
        kw("coca", "cola"),
        tw("x", urls=(UrlEntity("", "https://a.example/coca"), UrlEntity("", "cola.example/x"))),
        False,
    ),
    case("keyword-in-quoted", kw("apple"), quoting(tw("Apple launches")), True),
    case("keyword-quoted-url", kw("nytimes"), quoting(tw("x", urls=(NYT,))), True),
    case("keyword-neither", kw("apple"), quoting(tw("Pear launches")), False),
    case("keyword-retweet-text", kw("apple"), retweet_of(tw("Apple!")), True),
]

PHRASE = [
    case("phrase-in-order", Phrase(("new", "york")), tw("I love New York!"), True),
    case("phrase-through-punct", Phrase(("new", "york")), tw("new-york"), True),
    case("phrase-gap", Phrase(("new", "york")), tw("new in york"), False),
    case("phrase-reversed", Phrase(("new", "york")), tw("York, New"), False),
    case("phrase-not-url", Phrase(("new", "york")), tw("look", urls=(NYT,)), False),
    case("phrase-in-quoted", Phrase(("new", "york")), quoting(tw("New York")), True),
    case("phrase-not-across-quote", Phrase(("new", "york")), quoting(tw("york"), "new"), False),
]

PROXIMITY = [
    case("prox-adjacent", Proximity(("social", "media"), 1), tw("social media"), True),
    case("prox-any-order", Proximity(("social", "media"), 1), tw("media social"), True),
    case("prox-too-far", Proximity(("social", "media"), 1), tw("social and media"), False),
    case("prox-at-limit", Proximity(("social", "media"), 2), tw("media and social"), True),
    case("prox-3-within", Proximity(("a1", "b1", "c1"), 2), tw("b1 c1 a1"), True),
    case("prox-3-too-far", Proximity(("a1", "b1", "c1"), 2), tw("c1 x b1 a1"), False),
    case("prox-3-needs-span-2", Proximity(("x1", "y1", "z1"), 1), tw("x1 y1 z1"), False),
    case("prox-repeat-needs-two", Proximity(("ha", "ha"), 1), tw("ha"), False),
    case("prox-repeat-two", Proximity(("ha", "ha"), 1), tw("ha ha"), True),
    case("prox-missing", Proximity(("social", "media"), 6), tw("social life"), False),
    case("prox-in-quoted", Proximity(("social", "media"), 2), quoting(tw("media x social")), True),
]

ENTITIES = [
    case("hashtag-exact", Hashtag("2016"), tw("#2016", hashtags=("2016",)), True),
    case(
        "hashtag-no-prefix", Hashtag("2016"), tw("#2016election", hashtags=("2016election",)), False
    ),
    case("hashtag-folded", Hashtag("bigdata"), tw("x", hashtags=("BigData",)), True),
    case("hashtag-text-only", Hashtag("bigdata"), tw("#bigdata"), False),
    case("hashtag-quoted", Hashtag("bigdata"), quoting(tw("x", hashtags=("BigData",))), True),
    case("mention-name", Mention("twitterdev"), tw("hi", mentions=(TWITTERDEV,)), True),
    case("mention-id", Mention("2244994945"), tw("hi", mentions=(TWITTERDEV,)), True),
    case("mention-prefix", Mention("twitter"), tw("hi", mentions=(TWITTERDEV,)), False),
    case("mention-text-only", Mention("twitterdev"), tw("hi @TwitterDev"), False),
    case("mention-quoted", Mention("twitterdev"), quoting(tw("hi", mentions=(TWITTERDEV,))), True),
    case("cashtag", Cashtag("aapl"), tw("$AAPL", symbols=("AAPL",)), True),
    case("cashtag-exact", Cashtag("aapl"), tw("x", symbols=("AAPLX",)), False),
    case("cashtag-quoted", Cashtag("aapl"), quoting(tw("x", symbols=("AAPL",))), True),
    case("url-expanded", Url(("nytimes",)), tw("x", urls=(NYT,)), True),
    case("url-tco-too", Url(("abc123",)), tw("x", urls=(NYT,)), True),
    case("url-media", Url(("video",)), tw("x", media=(VIDEO,)), True),
    case("url-phrase", Url(("new", "york")), tw("x", urls=(NYT,)), True),
    case("url-phrase-order", Url(("york", "new")), tw("x", urls=(NYT,)), False),
    case("url-not-text", Url(("nytimes",)), tw("https://www.nytimes.com/x"), False),
    case("url-quoted", Url(("nytimes",)), quoting(tw("x", urls=(NYT,))), True),
    case("url-contains", UrlContains("nytimes.com/2024"), tw("x", urls=(NYT,)), True),
    case("url-contains-case", UrlContains("www.nytimes"), tw("x", urls=(NYT,)), True),
    case("url-contains-not-tco", UrlContains("t.co/abc"), tw("x", urls=(NYT,)), False),
    case("url-contains-media", UrlContains("/photo/1"), tw("x", media=(PHOTO,)), True),
    case("url-contains-absent", UrlContains("bbc.co"), tw("x", urls=(NYT,)), False),
    case("url-contains-quoted", UrlContains("nytimes"), quoting(tw("x", urls=(NYT,))), True),
]

TWEET_ONLY = [
    case("contains-substring", Contains("appl"), tw("Apple"), True),
    case("contains-folded", Contains("strasse"), tw("Große Straße"), True),
    case("contains-accent", Contains("ñ"), tw("cumpleanos"), False),
    case("contains-not-quoted", Contains("apple"), quoting(tw("Apple")), False),
    case("from-name", UserOp("from", "alice_w"), tw("x"), True),
    case("from-id", UserOp("from", "11"), tw("x"), True),
    case("from-other", UserOp("from", "bobthebuilder"), tw("x"), False),
    case("from-not-quoted-author", UserOp("from", "alice_w"), quoting(tw("x")), False),
    case("from-retweeter", UserOp("from", "bobthebuilder"), retweet_of(tw("x")), True),
    case("to-name", UserOp("to", "bob"), tw("x", in_reply_to_screen_name="Bob"), True),
    case("to-id", UserOp("to", "22"), tw("x", in_reply_to_user_id="22"), True),
    case("to-none", UserOp("to", "bob"), tw("@bob x"), False),
    case("retweets-of-name", UserOp("retweets_of", "alice_w"), retweet_of(tw("x")), True),
    case("retweets-of-id", UserOp("retweets_of", "11"), retweet_of(tw("x")), True),
    case("retweets-of-not-rt", UserOp("retweets_of", "alice_w"), tw("x"), False),
    case("retweets-of-quote", UserOp("retweets_of", "alice_w"), quoting(tw("x")), False),
    case("rt-status-id", IdOp("retweets_of_status_id", "1000"), retweet_of(tw("x")), True),
    case("rt-status-other", IdOp("retweets_of_status_id", "999"), retweet_of(tw("x")), False),
    case("rt-status-not-rt", IdOp("retweets_of_status_id", "1000"), tw("x"), False),
    case(
        "reply-to-status", IdOp("in_reply_to_status_id", "5"), tw(in_reply_to_status_id="5"), True
    ),
    case(
        "reply-to-other", IdOp("in_reply_to_status_id", "5"), tw(in_reply_to_status_id="6"), False
    ),
    case(
        "reply-to-not-quoted",
        IdOp("in_reply_to_status_id", "5"),
        quoting(tw(in_reply_to_status_id="5")),
        False,
    ),
    case("conv-explicit", IdOp("conversation_id", "7"), tw(conversation_id="7"), True),
    case("conv-root-v1", IdOp("conversation_id", "1000"), tw(), True),
    case(
        "conv-reply-unknown",
        IdOp("conversation_id", "1000"),
        tw(in_reply_to_status_id="5"),
        False,
    ),
    case("conv-explicit-wins", IdOp("conversation_id", "1000"), tw(conversation_id="7"), False),
    case("bio-token", UserText("bio", ("coffee",)), tw(), True),
    case("bio-phrase", UserText("bio", ("coffee", "lover")), tw(), True),
    case("bio-phrase-order", UserText("bio", ("lover", "coffee")), tw(), False),
    case("bio-absent", UserText("bio", ("tea",)), tw(), False),
    case("bio-name", UserText("bio_name", ("wonder",)), tw(), True),
    case("bio-name-not-bio", UserText("bio_name", ("coffee",)), tw(), False),
    case("bio-location", UserText("bio_location", ("são", "paulo")), tw(), True),
    case("bio-location-accent", UserText("bio_location", ("sao", "paulo")), tw(), False),
    case("bio-not-quoted-author", UserText("bio", ("coffee",)), quoting(tw()), False),
    case("followers-at-least", CountRange("followers_count", 1000, None), tw(), True),
    case("followers-exact-range", CountRange("followers_count", 1500, 1500), tw(), True),
    case("followers-below", CountRange("followers_count", 1501, None), tw(), False),
    case("followers-above", CountRange("followers_count", 0, 1499), tw(), False),
    case("friends", CountRange("friends_count", 300, 400), tw(), True),
    case("statuses", CountRange("statuses_count", 20000, None), tw(), False),
    case("listed", CountRange("listed_count", 5, 10), tw(), True),
    case("lang", Lang("en"), tw(lang="en"), True),
    case("lang-upper-payload", Lang("en"), tw(lang="EN"), True),
    case("lang-other", Lang("en"), tw(lang="es"), False),
    case("lang-none", Lang("en"), tw(), False),
    case("lang-und", Lang("und"), tw(lang="und"), True),
    case("lang-not-quoted", Lang("en"), quoting(tw(lang="en"), lang="es"), False),
    case("source-phrase-html", Source(("twitter", "for", "iphone")), tw(source=IPHONE), True),
    case("source-token", Source(("iphone",)), tw(source=IPHONE), True),
    case("source-not-link", Source(("download",)), tw(source=IPHONE), False),
    case("source-v2-plain", Source(("iphone",)), tw(source="Twitter for iPhone"), True),
    case("source-other", Source(("android",)), tw(source=IPHONE), False),
    case("source-not-quoted", Source(("iphone",)), quoting(tw(source=IPHONE)), False),
]

NEAR_EMPIRE = (-73.99, 40.75)  # 0.40 km from EMPIRE
FAR_FROM_EMPIRE = (-73.97, 40.76)  # 1.85 km from EMPIRE
AROUND_EMPIRE = PointRadius(lon=EMPIRE[0], lat=EMPIRE[1], radius_km=1.0)
FIJI = BoundingBox(west=179.8, south=-17.0, east=-179.8, north=-16.5)
LEANING_OUT = PlaceInfo(id="p", full_name="x", country_code="US", bbox=(-74.5, 40.5, -73.9, 40.8))

GEO = [
    case("place-phrase", Place(("new", "york")), tw(place=MIDTOWN), True),
    case("place-token", Place(("manhattan",)), tw(place=NYC), True),
    case("place-phrase-order", Place(("york", "new")), tw(place=MIDTOWN), False),
    case("place-id", Place(("01a9a39529b27f36",)), tw(place=NYC), True),
    case("place-none", Place(("manhattan",)), tw("Manhattan"), False),
    case("place-not-quoted", Place(("manhattan",)), quoting(tw(place=NYC)), False),
    case("country", PlaceCountry("US"), tw(place=NYC), True),
    case("country-other", PlaceCountry("GB"), tw(place=NYC), False),
    case("country-not-quoted", PlaceCountry("US"), quoting(tw(place=NYC)), False),
    case("radius-point-in", AROUND_EMPIRE, tw(point=NEAR_EMPIRE), True),
    case("radius-point-out", AROUND_EMPIRE, tw(point=FAR_FROM_EMPIRE), False),
    case(
        "radius-wider",
        PointRadius(lon=EMPIRE[0], lat=EMPIRE[1], radius_km=2.0),
        tw(point=FAR_FROM_EMPIRE),
        True,
    ),
    case("radius-place-inside", AROUND_EMPIRE, tw(place=MIDTOWN), True),
    case(
        "radius-place-corners-out",
        PointRadius(lon=EMPIRE[0], lat=EMPIRE[1], radius_km=0.6),
        tw(place=MIDTOWN),
        False,
    ),
    case("radius-place-too-big", AROUND_EMPIRE, tw(place=NYC), False),
    case("radius-place-no-bbox", AROUND_EMPIRE, tw(place=PlaceInfo("q", "NY", "US")), False),
    case("radius-point-wins", AROUND_EMPIRE, tw(point=FAR_FROM_EMPIRE, place=MIDTOWN), False),
    case("radius-no-geo", AROUND_EMPIRE, tw("Empire State"), False),
    case("radius-not-quoted", AROUND_EMPIRE, quoting(tw(point=NEAR_EMPIRE)), False),
    case("box-point-in", BBOX_NYC, tw(point=NEAR_EMPIRE), True),
    case("box-point-edge", BBOX_NYC, tw(point=(-74.3, 40.4)), True),
    case("box-point-out", BBOX_NYC, tw(point=(-73.5, 40.7)), False),
    case("box-place-inside", BBOX_NYC, tw(place=NYC), True),
    case("box-place-overlaps", BBOX_NYC, tw(place=LEANING_OUT), False),
    case("box-point-wins", BBOX_NYC, tw(point=(-73.5, 40.7), place=NYC), False),
    case("box-not-quoted", BBOX_NYC, quoting(tw(point=NEAR_EMPIRE)), False),
    case("box-antimeridian-east", FIJI, tw(point=(179.9, -16.8)), True),
    case("box-antimeridian-west", FIJI, tw(point=(-179.9, -16.8)), True),
    case("box-antimeridian-out", FIJI, tw(point=(0.0, -16.8)), False),
]

HAS = [
    case("has-links-url", Has("links"), tw(urls=(NYT,)), True),
    case("has-links-media", Has("links"), tw(media=(PHOTO,)), True),
    case("has-links-none", Has("links"), tw("https://nytimes.com"), False),
    case("has-links-quoted", Has("links"), quoting(tw(urls=(NYT,))), True),
    case("has-mentions", Has("mentions"), tw(mentions=(TWITTERDEV,)), True),
    case("has-mentions-none", Has("mentions"), tw("@x"), False),
    case("has-mentions-quoted", Has("mentions"), quoting(tw(mentions=(TWITTERDEV,))), True),
    case("has-hashtags", Has("hashtags"), tw(hashtags=("a",)), True),
    case("has-hashtags-none", Has("hashtags"), tw("#a"), False),
    case("has-symbols", Has("symbols"), tw(symbols=("AAPL",)), True),
    case("has-symbols-none", Has("symbols"), tw(), False),
    case("has-media", Has("media"), tw(media=(GIF,)), True),
    case("has-media-url-only", Has("media"), tw(urls=(NYT,)), False),
    case("has-images", Has("images"), tw(media=(PHOTO,)), True),
    case("has-images-video", Has("images"), tw(media=(VIDEO,)), False),
    case("has-images-quoted", Has("images"), quoting(tw(media=(PHOTO,))), True),
    case("has-videos-video", Has("videos"), tw(media=(VIDEO,)), True),
    case("has-videos-gif", Has("videos"), tw(media=(GIF,)), True),
    case("has-videos-photo", Has("videos"), tw(media=(PHOTO,)), False),
    case("has-geo-point", Has("geo"), tw(point=NEAR_EMPIRE), True),
    case("has-geo-place", Has("geo"), tw(place=NYC), True),
    case("has-geo-none", Has("geo"), tw(), False),
    case("has-geo-not-quoted", Has("geo"), quoting(tw(place=NYC)), False),
    case("has-lang", Has("lang"), tw(lang="en"), True),
    case("has-lang-und", Has("lang"), tw(lang="und"), False),
    case("has-lang-none", Has("lang"), tw(), False),
    case("has-lang-not-quoted", Has("lang"), quoting(tw(lang="en")), False),
]

IS = [
    case("is-retweet", Is("retweet"), retweet_of(tw("x")), True),
    case("is-retweet-plain", Is("retweet"), tw("x"), False),
    case("is-retweet-quote", Is("retweet"), quoting(tw("x")), False),
    case("is-reply", Is("reply"), tw(in_reply_to_status_id="5"), True),
    case("is-reply-plain", Is("reply"), tw(in_reply_to_screen_name="bob"), False),
    case("is-reply-quoted", Is("reply"), quoting(tw(in_reply_to_status_id="5")), True),
    case("is-quote", Is("quote"), quoting(tw("x")), True),
    case("is-quote-flag-only", Is("quote"), tw(is_quote=True), True),
    case("is-quote-plain", Is("quote"), tw(), False),
    case("is-verified", Is("verified"), tw(), True),
    case("is-verified-not", Is("verified"), tw(author=BOB), False),
    case("is-verified-not-quoted", Is("verified"), quoting(tw()), False),
    case("is-nullcast", Is("nullcast"), tw(nullcast=True), True),
    case("is-nullcast-not", Is("nullcast"), tw(), False),
]

BUCKET_2 = "1212092628029698048"  # sample_bucket(BUCKET_2) == 2

SAMPLE = [
    case("sample-below", Sample(3), tw(id=BUCKET_2), True),
    case("sample-at-bucket", Sample(2), tw(id=BUCKET_2), False),
    case("sample-100", Sample(100), tw(id="1"), True),
]

BOOLEAN = [
    case("and-both", And((kw("apple"), kw("pie"))), tw("apple pie"), True),
    case("and-one", And((kw("apple"), kw("pie"))), tw("apple tart"), False),
    case("or-one", Or((kw("apple"), kw("pear"))), tw("pear"), True),
    case("or-none", Or((kw("apple"), kw("pear"))), tw("plum"), False),
    case("not-absent", Not(kw("apple")), tw("pear"), True),
    case("not-present", Not(kw("apple")), tw("apple"), False),
    case(
        "nested-true",
        And((kw("apple"), Not(Or((kw("pie"), Is("retweet")))))),
        tw("apple tart"),
        True,
    ),
    case(
        "nested-false",
        And((kw("apple"), Not(Or((kw("pie"), Is("retweet")))))),
        retweet_of(tw("apple tart")),
        False,
    ),
]

ALL_CASES = KEYWORD + PHRASE + PROXIMITY + ENTITIES + TWEET_ONLY + GEO + HAS + IS + SAMPLE + BOOLEAN


@pytest.mark.parametrize(("node", "tweet", "expected"), ALL_CASES)
def test_evaluate(node: Node, tweet: Tweet, expected: bool) -> None:
    assert evaluate(node, tweet) is expected


@pytest.mark.parametrize(("node", "tweet", "expected"), ALL_CASES)
def test_negation_inverts(node: Node, tweet: Tweet, expected: bool) -> None:
    assert evaluate(Not(node), tweet) is not expected


GEO_OPERATORS = [
    Place(("midtown",)),
    PlaceCountry("US"),
    AROUND_EMPIRE,
    BBOX_NYC,
    Has("geo"),
]


@pytest.mark.parametrize("node", GEO_OPERATORS)
def test_geo_never_matches_a_retweet(node: Node) -> None:
    original = tw("x", point=NEAR_EMPIRE, place=MIDTOWN)
    # The retweet carries the same geo fields: only being a retweet differs.
    retweet = retweet_of(original, point=NEAR_EMPIRE, place=MIDTOWN)
    assert evaluate(node, original)
    assert not evaluate(node, retweet)


def test_retweet_of_a_quote_reads_the_quoted_original() -> None:
    quote = quoting(tw("Apple launches", hashtags=("Apple",)), "so true")
    retweet = tw(quote.text, id="3000", author=ALICE, retweeted=quote)
    assert evaluate(kw("apple"), retweet)
    assert evaluate(Hashtag("apple"), retweet)


def test_quote_scope_is_one_level() -> None:
    inner = tw("Apple launches", id="1")
    middle = quoting(inner, "look at this")
    assert not evaluate(kw("apple"), quoting(middle, "wow"))


def test_sample_keeps_about_n_percent_deterministically() -> None:
    tweets = [tw(id=str(1445880548472328192 + 7919 * i)) for i in range(10_000)]
    kept = [t.id for t in tweets if evaluate(Sample(10), t)]
    assert 900 <= len(kept) <= 1100
    assert kept == [t.id for t in tweets if evaluate(Sample(10), t)]
    assert kept == [t.id for t in tweets if sample_bucket(t.id) < 10]


def test_sample_is_nested_by_percent() -> None:
    tweets = [tw(id=str(i)) for i in range(2_000)]
    for small, large in ((1, 5), (5, 10), (10, 50)):
        assert all(evaluate(Sample(large), t) for t in tweets if evaluate(Sample(small), t))


def test_rule_matches_uses_the_evaluator() -> None:
    rule = Rule("apple -pie", And((kw("apple"), Not(kw("pie")))))
    assert rule.matches(tw("Apple tart"))
    assert not rule.matches(tw("Apple pie"))

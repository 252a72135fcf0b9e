"""parse_rule: every operator and alias, precedence, grouping, negation, positions."""

from __future__ import annotations

import threading
from importlib.resources import files

import pytest

from powertrack.geo import KM_PER_MILE
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
from powertrack.rules.parser import parse_rule, validate_rule
from powertrack.rules.rule import Rule

CAT = Keyword(("cat",))


def kw(*tokens: str) -> Keyword:
    return Keyword(tokens)


def with_cat(node: Node) -> And:
    return And((CAT, node))


def parse(text: str) -> Node:
    return parse_rule(text).root


# One row per operator and alias: the rule, and the AST it parses to. The
# conjunction-required operators are ANDed with "cat" to make a valid rule.
OPERATORS = [
    ("cat", CAT),
    ("Cat", CAT),
    ("cumpleaños", kw("cumpleaños")),
    ("STRASSE", kw("strasse")),
    ("Straße", kw("strasse")),
    ("coca-cola", kw("coca", "cola")),
    ("U.S.A.", kw("u", "s", "a")),
    ("don't", kw("don", "t")),
    ("🚀", kw("🚀")),
    ("❤️", kw("❤")),
    ("🚀launch", kw("🚀", "launch")),
    ("#️⃣", kw("#⃣")),
    ("or cat", And((kw("or"), CAT))),
    ("ORegon", kw("oregon")),
    ('"Perseverance Rover"', Phrase(("perseverance", "rover"))),
    ('"apple"', Phrase(("apple",))),
    ('"coca-cola, inc."', Phrase(("coca", "cola", "inc"))),
    ('"say \\"cheese\\" now"', Phrase(("say", "cheese", "now"))),
    ('"AND"', Phrase(("and",))),
    ('"line\\\nbreak"', Phrase(("line", "break"))),
    ('"OR the"', Phrase(("or", "the"))),
    ('"apple pie"~1', Proximity(("apple", "pie"), 1)),
    ('"apple pie tart"~6', Proximity(("apple", "pie", "tart"), 6)),
    ("#Mars", Hashtag("mars")),
    ("#2016", Hashtag("2016")),
    ("#café", Hashtag("café")),
    ("#nasa_jpl", Hashtag("nasa_jpl")),
    ("@NASA", Mention("nasa")),
    ("@783214", Mention("783214")),
    ("$TWTR", Cashtag("twtr")),
    ("$BRK.A", Cashtag("brk.a")),
    ("contains:Mars", Contains("mars")),
    ('contains:"ice cream!"', Contains("ice cream!")),
    ('contains:"C:\\temp"', Contains("c:\\temp")),
    ('contains:"a \\\\ \\" b"', Contains('a \\ " b')),
    ("from:NASA", UserOp("from", "nasa")),
    ("from:@nasa", UserOp("from", "nasa")),
    ("from:783214", UserOp("from", "783214")),
    ('from:"nasa"', UserOp("from", "nasa")),
    ("to:nasa_jpl", UserOp("to", "nasa_jpl")),
    ("retweets_of:nasa", UserOp("retweets_of", "nasa")),
    ("retweets_of_user:nasa", UserOp("retweets_of", "nasa")),
    ("retweets_of_status_id:1234", IdOp("retweets_of_status_id", "1234")),
    ("retweets_of_tweet_id:1234", IdOp("retweets_of_status_id", "1234")),
    (
        "in_reply_to_status_id:1629307668568633344",
        IdOp("in_reply_to_status_id", "1629307668568633344"),
    ),
    ("in_reply_to_tweet_id:0042", IdOp("in_reply_to_status_id", "42")),
    ("conversation_id:20", IdOp("conversation_id", "20")),
    ("url:nasa", Url(("nasa",))),
    ('url:"https://www.nasa.gov/mars"', Url(("https", "www", "nasa", "gov", "mars"))),
    ("url:nasa.gov", Url(("nasa", "gov"))),
    ("url_contains:NASA.gov/Mars", UrlContains("nasa.gov/mars")),
    ('url_contains:"https://nasa.gov"', UrlContains("https://nasa.gov")),
    ("bio:Scientist", UserText("bio", ("scientist",))),
    ('user_bio:"data science"', UserText("bio", ("data", "science"))),
    ("bio_name:Jane", UserText("bio_name", ("jane",))),
    ('bio_location:"New York"', UserText("bio_location", ("new", "york"))),
    ("user_bio_location:paris", UserText("bio_location", ("paris",))),
    ("followers_count:1000", CountRange("followers_count", 1000, None)),
    ("followers_count:0..10", CountRange("followers_count", 0, 10)),
    ("friends_count:5", CountRange("friends_count", 5, None)),
    ("following_count:5..5", CountRange("friends_count", 5, 5)),
    ("statuses_count:100..1000", CountRange("statuses_count", 100, 1000)),
    ("tweets_count:7", CountRange("statuses_count", 7, None)),
    ("listed_count:3", CountRange("listed_count", 3, None)),
    ("user_in_lists_count:1..2", CountRange("listed_count", 1, 2)),
    ('place:"San Francisco"', Place(("san", "francisco"))),
    ("place:01a9a39529b27f36", Place(("01a9a39529b27f36",))),
    ("place_country:us", PlaceCountry("US")),
    ("place_country:FR", PlaceCountry("FR")),
    ("point_radius:[-105.27 40.01 10mi]", PointRadius(-105.27, 40.01, 10 * KM_PER_MILE)),
    ("point_radius:[2.35 48.86 2.5km]", PointRadius(2.35, 48.86, 2.5)),
    ("point_radius:[2.35 48.86 25mi]", PointRadius(2.35, 48.86, 25 * KM_PER_MILE)),
    ("point_radius:[0 0 40.2336KM]", PointRadius(0.0, 0.0, 40.2336)),
    ("point_radius:[-180 -90 1e-2mi]", PointRadius(-180.0, -90.0, 0.01 * KM_PER_MILE)),
    ("bounding_box:[-105.3 39.9 -105.1 40.1]", BoundingBox(-105.3, 39.9, -105.1, 40.1)),
    ("geo_bounding_box:[2.3 48.8 2.4 48.9]", BoundingBox(2.3, 48.8, 2.4, 48.9)),
    ("cat lang:EN", with_cat(Lang("en"))),
    ("cat lang:und", with_cat(Lang("und"))),
    ("cat lang:zh-CN", with_cat(Lang("zh-cn"))),
    ("cat has:links", with_cat(Has("links"))),
    ("cat has:mentions", with_cat(Has("mentions"))),
    ("cat has:hashtags", with_cat(Has("hashtags"))),
    ("cat has:symbols", with_cat(Has("symbols"))),
    ("cat has:cashtags", with_cat(Has("symbols"))),
    ("cat has:media", with_cat(Has("media"))),
    ("cat has:media_link", with_cat(Has("media"))),
    ("cat has:images", with_cat(Has("images"))),
    ("cat has:videos", with_cat(Has("videos"))),
    ("cat has:video_link", with_cat(Has("videos"))),
    ("cat has:geo", with_cat(Has("geo"))),
    ("cat has:lang", with_cat(Has("lang"))),
    ("cat HAS:Links", with_cat(Has("links"))),
    ("cat is:retweet", with_cat(Is("retweet"))),
    ("cat is:reply", with_cat(Is("reply"))),
    ("cat is:quote", with_cat(Is("quote"))),
    ("cat is:verified", with_cat(Is("verified"))),
    ("cat -is:nullcast", with_cat(Not(Is("nullcast")))),
    ("cat sample:1", with_cat(Sample(1))),
    ("cat sample:100", with_cat(Sample(100))),
    ('cat source:"Twitter for iPhone"', with_cat(Source(("twitter", "for", "iphone")))),
    ("cat source:tweetdeck", with_cat(Source(("tweetdeck",)))),
    ("FROM:nasa", UserOp("from", "nasa")),
    ("Point_Radius:[0 0 1km]", PointRadius(0.0, 0.0, 1.0)),
]


@pytest.mark.parametrize(("text", "expected"), OPERATORS, ids=[text for text, _ in OPERATORS])
def test_operator(text: str, expected: Node) -> None:
    assert parse(text) == expected


STRUCTURE = [
    ("apple banana", And((kw("apple"), kw("banana")))),
    ("apple OR banana", Or((kw("apple"), kw("banana")))),
    ("apple or banana", And((kw("apple"), kw("or"), kw("banana")))),
    # AND binds tighter than OR.
    ("apple OR iphone ipad", Or((kw("apple"), And((kw("iphone"), kw("ipad")))))),
    ("iphone ipad OR apple", Or((And((kw("iphone"), kw("ipad"))), kw("apple")))),
    ("(apple OR iphone) ipad", And((Or((kw("apple"), kw("iphone"))), kw("ipad")))),
    # Nesting of the same operator flattens; one-clause groups vanish.
    ("a1 (b1 c1) d1", And((kw("a1"), kw("b1"), kw("c1"), kw("d1")))),
    ("(a1 b1) (c1 d1)", And((kw("a1"), kw("b1"), kw("c1"), kw("d1")))),
    ("a1 OR (b1 OR c1) OR d1", Or((kw("a1"), kw("b1"), kw("c1"), kw("d1")))),
    ("((((apple))))", kw("apple")),
    ("(apple)(banana)", And((kw("apple"), kw("banana")))),
    ('apple"pie"', And((kw("apple"), Phrase(("pie",))))),
    # Negation of a clause, a phrase, a group; double negation is kept.
    ("apple -banana", And((kw("apple"), Not(kw("banana"))))),
    ('apple -"banana split"', And((kw("apple"), Not(Phrase(("banana", "split")))))),
    ("apple -(pie OR tart)", And((kw("apple"), Not(Or((kw("pie"), kw("tart"))))))),
    ("apple -(pie tart)", And((kw("apple"), Not(And((kw("pie"), kw("tart"))))))),
    ("apple --pie", And((kw("apple"), Not(Not(kw("pie")))))),
    (
        "apple -#pie -@pie -$pie",
        And((kw("apple"), Not(Hashtag("pie")), Not(Mention("pie")), Not(Cashtag("pie")))),
    ),
    ("apple -coca-cola", And((kw("apple"), Not(kw("coca", "cola"))))),
    ("apple OR (iphone -ipad)", Or((kw("apple"), And((kw("iphone"), Not(kw("ipad"))))))),
    # Whitespace of any kind joins clauses.
    ("  apple\t\nbanana  ", And((kw("apple"), kw("banana")))),
    # A grouped sample: inside an OR samples that alternative only.
    ("apple OR (pie sample:10)", Or((kw("apple"), And((kw("pie"), Sample(10)))))),
    ("(apple OR pie) sample:10", And((Or((kw("apple"), kw("pie"))), Sample(10)))),
    # An OR alternative without a standalone clause is fine when the OR is
    # ANDed with one: every match still contains "apple".
    ("apple (banana OR has:geo)", And((kw("apple"), Or((kw("banana"), Has("geo")))))),
    # Stop words are fine beside a non-stop-word clause.
    ("the apple", And((kw("the"), kw("apple")))),
    ("the is:retweet", And((kw("the"), Is("retweet")))),
    ('"to be"', Phrase(("to", "be"))),
]


@pytest.mark.parametrize(("text", "expected"), STRUCTURE, ids=[text for text, _ in STRUCTURE])
def test_structure(text: str, expected: Node) -> None:
    assert parse(text) == expected


def test_typical_rule() -> None:
    rule = parse_rule('from:nasa (#mars OR "perseverance rover") -is:retweet lang:en')
    assert isinstance(rule, Rule)
    assert rule.text == 'from:nasa (#mars OR "perseverance rover") -is:retweet lang:en'
    assert rule.root == And(
        (
            UserOp("from", "nasa"),
            Or((Hashtag("mars"), Phrase(("perseverance", "rover")))),
            Not(Is("retweet")),
            Lang("en"),
        )
    )


def test_positions_are_one_based_code_points() -> None:
    root = parse('🚀 from:nasa (#mars OR "a b") -is:retweet')
    assert isinstance(root, And)
    rocket, user, group, negation = root.children
    assert (root.pos, rocket.pos, user.pos) == (1, 1, 3)
    assert isinstance(group, Or)
    assert [child.pos for child in group.children] == [14, 23]
    assert group.pos == 14  # an AND or OR is where its first clause is
    assert isinstance(negation, Not)
    assert (negation.pos, negation.child.pos) == (30, 31)


def test_positions_do_not_affect_equality() -> None:
    assert parse("apple banana") == parse("   apple    banana")


def test_validate_rule_is_empty_for_a_valid_rule() -> None:
    assert validate_rule("apple OR banana") == []


def test_the_grammar_ships_in_the_package() -> None:
    grammar = files("powertrack.rules") / "rules_grammar.lark"
    assert grammar.is_file()
    assert "or_expr" in grammar.read_text(encoding="utf-8")


def test_parsing_from_several_threads() -> None:
    texts = ["apple OR -banana", "cat", "a1 AND b1", "-x"] * 50
    results: dict[int, list[list[tuple[str, int]]]] = {}

    def work(index: int) -> None:
        results[index] = [validate_rule(text) for text in texts]

    threads = [threading.Thread(target=work, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = [validate_rule(text) for text in texts]
    assert all(result == expected for result in results.values())

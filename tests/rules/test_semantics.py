"""The shared operator semantics and the sample bucket."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from powertrack.rules.sampling import sample_bucket
from powertrack.rules.semantics import (
    Box,
    LonLat,
    contains_phrase,
    conversation_id,
    count_in_range,
    expanded_urls,
    geo_applies,
    in_bounding_box,
    in_point_radius,
    is_reply,
    link_urls,
    place_inside_box,
    place_inside_radius,
    place_matches,
    point_in_box,
    point_in_radius,
    quote_scope,
    source_name,
    text_tokens,
    user_matches,
    within_proximity,
)
from powertrack.tweets.model import Media, PlaceInfo, Tweet, UrlEntity, User

AUTHOR = User(id="1", screen_name="a")


def tw(text: str = "", **fields: Any) -> Tweet:
    fields.setdefault("id", "100")
    return Tweet(text=text, author=AUTHOR, **fields)


def toks(text: str) -> tuple[str, ...]:
    return tuple(text.split())


@pytest.mark.parametrize(
    ("tokens", "phrase", "expected"),
    [
        ("a b c", "b", True),
        ("a b c", "d", False),
        ("a b c", "b c", True),
        ("a b c", "a c", False),
        ("a b c", "c b", False),
        ("a b a b c", "a b c", True),
        ("a b", "a b c", False),
        ("", "a", False),
        ("a b", "", False),
    ],
)
def test_contains_phrase(tokens: str, phrase: str, expected: bool) -> None:
    assert contains_phrase(toks(tokens), toks(phrase)) is expected
    assert contains_phrase(list(toks(tokens)), list(toks(phrase))) is expected


@pytest.mark.parametrize(
    ("tokens", "wanted", "distance", "expected"),
    [
        ("social media", "social media", 1, True),
        ("media social", "social media", 1, True),
        ("social and media", "social media", 1, False),
        ("social and media", "social media", 2, True),
        ("a x x x x x b", "a b", 6, True),
        ("a x x x x x x b", "a b", 6, False),
        ("a b c", "a b c", 1, False),
        ("a b c", "a b c", 2, True),
        ("c x b a", "a b c", 2, False),
        ("a x x x b a x c", "a b c", 3, True),
        ("ha", "ha ha", 1, False),
        ("ha x ha", "ha ha", 1, False),
        ("ha x ha", "ha ha", 2, True),
        ("a", "a", 1, True),
        ("a b", "", 6, False),
        ("b b b", "a b", 6, False),
    ],
)
def test_within_proximity(tokens: str, wanted: str, distance: int, expected: bool) -> None:
    assert within_proximity(toks(tokens), toks(wanted), distance) is expected


def _proximity_by_brute_force(tokens: Sequence[str], wanted: Sequence[str], distance: int) -> bool:
    if not wanted:
        return False
    choices = [[i for i, t in enumerate(tokens) if t == w] for w in wanted]
    return any(
        len(set(positions)) == len(positions) and max(positions) - min(positions) <= distance
        for positions in itertools.product(*choices)
    )


@given(
    tokens=st.lists(st.sampled_from("abcd"), max_size=14),
    wanted=st.lists(st.sampled_from("abce"), max_size=4),
    distance=st.integers(min_value=0, max_value=7),
)
def test_within_proximity_agrees_with_brute_force(
    tokens: list[str], wanted: list[str], distance: int
) -> None:
    expected = _proximity_by_brute_force(tokens, wanted, distance)
    assert within_proximity(tokens, wanted, distance) is expected


def test_within_proximity_is_linear_on_long_texts() -> None:
    # Every token is a hit: all combinations of positions would be 20_000**3.
    tokens = ["a", "b"] * 10_000 + ["c"]
    assert within_proximity(tokens, ["a", "b", "c"], 2)
    assert not within_proximity(tokens[:-1], ["a", "b", "c"], 6)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            '<a href="http://twitter.com/download/iphone" rel="nofollow">Twitter for iPhone</a>',
            "Twitter for iPhone",
        ),
        ("Twitter Web App", "Twitter Web App"),
        ('<a href="https://x.example">Tom &amp; Jerry</a>', "Tom & Jerry"),
        ("", ""),
    ],
)
def test_source_name(source: str, expected: str) -> None:
    assert source_name(source) == expected


@pytest.mark.parametrize(
    ("value", "screen_name", "user_id", "expected"),
    [
        ("twitterdev", "TwitterDev", "2244994945", True),
        ("2244994945", "TwitterDev", "2244994945", True),
        ("twitter", "TwitterDev", "2244994945", False),
        ("strasse", "Straße", "", True),
        ("", "", "", False),
    ],
)
def test_user_matches(value: str, screen_name: str, user_id: str, expected: bool) -> None:
    assert user_matches(value, screen_name, user_id) is expected


@pytest.mark.parametrize(
    ("value", "low", "high", "expected"),
    [
        (5, 5, None, True),
        (4, 5, None, False),
        (10, 5, 10, True),
        (11, 5, 10, False),
        (0, 0, 0, True),
    ],
)
def test_count_in_range(value: int, low: int, high: int | None, expected: bool) -> None:
    assert count_in_range(value, low, high) is expected


ORIGIN: LonLat = (0.0, 0.0)


@pytest.mark.parametrize(
    ("point", "radius_km", "expected"),
    [
        ((0.0, 0.1), 11.2, True),  # 11.12 km due north
        ((0.0, 0.1), 11.0, False),
        ((0.1, 0.0), 11.2, True),
        ((0.0, 0.0), 0.0, True),
        ((179.95, 0.0), 11.2, False),
    ],
)
def test_point_in_radius(point: LonLat, radius_km: float, expected: bool) -> None:
    assert point_in_radius(point, ORIGIN, radius_km) is expected


def test_point_in_radius_across_the_antimeridian() -> None:
    assert point_in_radius((-179.95, 0.0), (179.95, 0.0), 11.2)


@pytest.mark.parametrize(
    ("bbox", "radius_km", "expected"),
    [
        ((-0.05, -0.05, 0.05, 0.05), 8.0, True),  # corners 7.86 km out
        ((-0.05, -0.05, 0.05, 0.05), 7.8, False),
        ((-0.01, -0.01, 0.09, 0.01), 8.0, False),  # one side reaches 10 km
        ((0.02, 0.02, 0.02, 0.02), 8.0, True),  # a point-sized place
    ],
)
def test_place_inside_radius(bbox: Box, radius_km: float, expected: bool) -> None:
    assert place_inside_radius(bbox, ORIGIN, radius_km) is expected


BOX: Box = (-1.0, -1.0, 1.0, 1.0)
WRAPPING: Box = (179.0, -1.0, -179.0, 1.0)


@pytest.mark.parametrize(
    ("point", "box", "expected"),
    [
        ((0.0, 0.0), BOX, True),
        ((1.0, 1.0), BOX, True),
        ((-1.0, -1.0), BOX, True),
        ((1.0001, 0.0), BOX, False),
        ((0.0, -1.0001), BOX, False),
        ((179.5, 0.0), WRAPPING, True),
        ((-179.5, 0.0), WRAPPING, True),
        ((180.0, 0.0), WRAPPING, True),
        ((0.0, 0.0), WRAPPING, False),
        ((179.5, 2.0), WRAPPING, False),
    ],
)
def test_point_in_box(point: LonLat, box: Box, expected: bool) -> None:
    assert point_in_box(point, box) is expected


@pytest.mark.parametrize(
    ("bbox", "box", "expected"),
    [
        ((-0.5, -0.5, 0.5, 0.5), BOX, True),
        (BOX, BOX, True),
        ((-0.5, -0.5, 1.5, 0.5), BOX, False),
        ((-0.5, -1.5, 0.5, 0.5), BOX, False),
        ((-2.0, -2.0, 2.0, 2.0), BOX, False),
        ((179.2, -0.5, 179.8, 0.5), WRAPPING, True),
        ((-179.8, -0.5, -179.2, 0.5), WRAPPING, True),
        ((179.5, -0.5, -179.5, 0.5), WRAPPING, True),
        ((178.5, -0.5, -179.5, 0.5), WRAPPING, False),
        ((-179.8, -0.5, 179.8, 0.5), WRAPPING, False),  # nearly the whole world
        ((179.5, -0.5, -179.5, 0.5), BOX, False),
        ((0.5, -0.5, -0.5, 0.5), BOX, False),
    ],
)
def test_place_inside_box(bbox: Box, box: Box, expected: bool) -> None:
    assert place_inside_box(bbox, box) is expected


def test_text_tokens_fold_and_cut() -> None:
    assert text_tokens(tw("Straße 🍕NYC")) == ("strasse", "🍕", "nyc")


def test_urls_read_by_keyword_and_by_url_operator() -> None:
    tweet = tw(
        urls=(
            UrlEntity("https://t.co/1", "https://example.com/a"),
            UrlEntity("https://t.co/2", ""),
        ),
        media=(Media("photo", "https://t.co/3", "https://x.com/p/1"),),
    )
    assert expanded_urls(tweet) == ("https://example.com/a", "https://x.com/p/1")
    assert link_urls(tweet) == (
        "https://example.com/a",
        "https://t.co/1",
        "https://t.co/2",
        "https://x.com/p/1",
        "https://t.co/3",
    )


def test_quote_scope() -> None:
    original = tw("original", id="1")
    quote = tw("quote", id="2", quoted=original)
    assert quote_scope(original) == (original,)
    assert quote_scope(quote) == (quote, original)
    retweet_of_quote = tw("rt", id="3", retweeted=quote)
    assert quote_scope(retweet_of_quote) == (retweet_of_quote, original)
    plain_retweet = tw("rt", id="4", retweeted=original)
    assert quote_scope(plain_retweet) == (plain_retweet,)


def test_geo_applies_only_to_non_retweets() -> None:
    assert geo_applies(tw())
    assert not geo_applies(tw(retweeted=tw(id="1")))


@pytest.mark.parametrize(
    ("tweet", "expected"),
    [
        (tw(), "100"),
        (tw(conversation_id="7"), "7"),
        (tw(conversation_id="7", in_reply_to_status_id="8"), "7"),
        (tw(in_reply_to_status_id="8"), None),
        (tw(in_reply_to_status_id=""), "100"),
    ],
)
def test_conversation_id(tweet: Tweet, expected: str | None) -> None:
    assert conversation_id(tweet) == expected


def test_is_reply() -> None:
    assert is_reply(tw(in_reply_to_status_id="8"))
    assert not is_reply(tw())
    assert not is_reply(tw(in_reply_to_status_id=""))


# Pinned buckets: every node and every replay (in any language) must agree, so
# a change here is a breaking change to sample:, not a test to update.
@pytest.mark.parametrize(
    ("tweet_id", "bucket"),
    [
        ("0", 28),
        ("1", 10),
        ("20", 37),
        ("1212092628029698048", 2),
        ("1445880548472328192", 12),
        ("850007368138018817", 16),
    ],
)
def test_sample_bucket_is_pinned(tweet_id: str, bucket: int) -> None:
    assert sample_bucket(tweet_id) == bucket


def test_sample_bucket_spreads_evenly() -> None:
    buckets = [sample_bucket(str(1445880548472328192 + 7919 * i)) for i in range(10_000)]
    assert all(0 <= b < 100 for b in buckets)
    assert 900 <= sum(b < 10 for b in buckets) <= 1100
    assert 4_800 <= sum(b < 50 for b in buckets) <= 5_200
    assert len(set(buckets)) == 100


def test_sample_bucket_rejects_non_ascii_ids() -> None:
    with pytest.raises(ValueError, match="ascii"):
        sample_bucket("１２３")


def test_tweet_geo_helpers() -> None:
    place = PlaceInfo("p1", "Suva, Fiji", "FJ", bbox=(178.4, -18.2, 178.5, -18.1))
    tweet = tw(place=place)
    assert place_matches(tweet, ("suva",))
    assert place_matches(tweet, ("p1",))
    assert not place_matches(tweet, ("fiji", "suva"))
    assert in_point_radius(tweet, 178.45, -18.15, 10.0)
    assert not in_point_radius(tweet, 178.45, -18.15, 5.0)
    assert in_bounding_box(tweet, 178.0, -19.0, 179.0, -18.0)
    assert not in_bounding_box(tweet, 178.45, -19.0, 179.0, -18.0)
    retweet = tw(place=place, retweeted=tweet)
    assert not place_matches(retweet, ("suva",))
    assert not in_point_radius(retweet, 178.45, -18.15, 10.0)
    assert not in_bounding_box(retweet, 178.0, -19.0, 179.0, -18.0)

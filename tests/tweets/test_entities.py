"""Entities extracted from plain text, and merged for retweets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from powertrack.tweets.entities import (
    extract_cashtags,
    extract_entities,
    extract_hashtags,
    extract_mentions,
    extract_urls,
    merge,
    merge_mentions,
)
from powertrack.tweets.model import MentionEntity, UrlEntity


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("#mars rover", ("mars",)),
        ("go #2016election now", ("2016election",)),
        ("only digits #2016 here", ()),
        ("＃日本 and #café and #ñandú", ("日本", "café", "ñandú")),
        ("Hindi #हिन्दी tag", ("हिन्दी",)),
        ("#snake_case and #_under", ("snake_case", "_under")),
        ("(#paren) #end.", ("paren", "end")),
        ("glued a#b and x＃y", ()),
        ("html &#39;s and #tag#next", ()),
        ("keycap #️⃣ is not a tag", ()),
        ("see http://example.com/#anchor", ()),
        ("#url://thing", ()),
        ("", ()),
    ],
)
def test_hashtags(text: str, tags: tuple[str, ...]) -> None:
    assert extract_hashtags(text) == tags


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("@jack hello @TwitterDev", ("jack", "TwitterDev")),
        ("RT @nasa: launch", ("nasa",)),
        ("RT@nasa: glued", ("nasa",)),
        ("thanks, ＠jack!", ("jack",)),
        ("(@jack) @jack's", ("jack", "jack")),
        ("mail me at jack@example.com", ()),
        ("@abcdefghijklmnop is too long", ()),
        ("@abcdefghijklmno fits", ("abcdefghijklmno",)),
        ("@jack@mastodon.social", ()),
        ("@jackü", ()),
        ("https://twitter.com/@jack", ()),
    ],
)
def test_mentions(text: str, names: tuple[str, ...]) -> None:
    assert extract_mentions(text) == tuple(MentionEntity("", name) for name in names)


@pytest.mark.parametrize(
    ("text", "symbols"),
    [
        ("$AAPL up, $brk.a down", ("AAPL", "brk.a")),
        ("$TWTR.", ("TWTR",)),
        ("costs $5 or $5.99", ()),
        ("a$AAPL and $TOOLONGX", ()),
        ("$BTC_X moon", ("BTC_X",)),
    ],
)
def test_cashtags(text: str, symbols: tuple[str, ...]) -> None:
    assert extract_cashtags(text) == symbols


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("read https://t.co/abc123.", ("https://t.co/abc123",)),
        (
            "(see http://en.wikipedia.org/wiki/Foo_(bar)).",
            ("http://en.wikipedia.org/wiki/Foo_(bar)",),
        ),
        ("visit example.com, or www.nasa.gov/mars!", ("example.com", "www.nasa.gov/mars")),
        ("bit.ly/abc but not la revista.es dice", ("bit.ly/abc",)),
        ("example.com.br/x", ("example.com.br/x",)),
        ("mail jack@example.com", ()),
        ("e.g. Mr.Smith file.py café.com", ()),
        ("https://t.co/abcこんにちは", ("https://t.co/abc",)),
        ("HTTPS://EXAMPLE.COM/A", ("HTTPS://EXAMPLE.COM/A",)),
        ("no links here", ()),
    ],
)
def test_urls(text: str, links: tuple[str, ...]) -> None:
    # A link without a scheme expands to http://, as Twitter's wrapping would.
    expected = tuple(UrlEntity(url, url if "://" in url else "http://" + url) for url in links)
    assert extract_urls(text) == expected


def test_everything_at_once_in_order() -> None:
    found = extract_entities("RT @nasa: #Mars $SPCE https://nasa.gov/mars#top @jpl #Mars")
    assert found.hashtags == ("Mars", "Mars")
    assert found.mentions == (MentionEntity("", "nasa"), MentionEntity("", "jpl"))
    assert found.symbols == ("SPCE",)
    assert found.urls == (UrlEntity("https://nasa.gov/mars#top", "https://nasa.gov/mars#top"),)


@given(st.text(alphabet=st.sampled_from("#＃@＠$.:/ ()aZ9_é日-\u0301\u200d"), max_size=60))
def test_extraction_never_fails_and_finds_substrings(text: str) -> None:
    found = extract_entities(text)
    for tag in found.hashtags:
        assert tag in text
        assert not tag.isdigit()
    for mention in found.mentions:
        assert mention.screen_name in text
        assert len(mention.screen_name) <= 15
    for symbol in found.symbols:
        assert "$" + symbol in text
    for url in found.urls:
        assert url.url in text


def test_merge_keeps_order_and_drops_repeats() -> None:
    assert merge(("a", "b"), ("b", "c", "a", "d")) == ("a", "b", "c", "d")
    assert merge((), ("x",)) == ("x",)
    assert merge(("x",), ()) == ("x",)


def test_merge_mentions_is_one_per_user_and_prefers_a_known_id() -> None:
    own = (MentionEntity("", "NASA"), MentionEntity("1", "jack"))
    original = (MentionEntity("11348282", "nasa"), MentionEntity("2", "jpl"))
    assert merge_mentions(own, original) == (
        MentionEntity("11348282", "nasa"),
        MentionEntity("1", "jack"),
        MentionEntity("2", "jpl"),
    )

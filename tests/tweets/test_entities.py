"""Entities extracted from plain text, and merged for retweets.

twitter-text's own cases are in test_twitter_text.py; these are powertrack's:
edge cases of the port, and the cases of issue 11.
"""

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
        # Issue 11: the characters twitter-text allows beyond letters, marks and digits.
        (
            "#各〃 #メ～テレ #メ〜テレ #עַל־יְדֵי #וכו׳",
            ("各〃", "メ～テレ", "メ〜テレ", "עַל־יְדֵי", "וכו׳"),
        ),
        (
            "#il·lusió #ゲーム・オブ #つ゛ #ꙮ꙾ #ཀ་ཁ #x\u200cy",
            ("il·lusió", "ゲーム・オブ", "つ゛", "ꙮ꙾", "ཀ་ཁ", "x\u200cy"),
        ),
        # Issue 11: right after an emoji with a variation selector (U+FE0E, U+FE0F).
        ("a ✌\ufe0e#hashtag here", ("hashtag",)),
        ("a ✌\ufe0f#hashtag here", ("hashtag",)),
        # Still no tag right after a letter, a digit, "_" or "&", nor without a letter.
        ("x#a 1#b _#c &#d", ()),
        ("#_ #12_34 #〃 #・", ()),
        # "#a" glued to "#" is no tag, yet its match took the character before
        # "#b", which twitter-text's search then cannot use.
        ("#a\ufe0f#b", ()),
        ("#a ＃b", ("a", "b")),
        ("##b", ("b",)),
        ("#\ufe0fabc #\u20e3abc", ()),
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
        ("@abcdefghijklmno fits", ("abcdefghijklmno",)),
        # twitter-text takes names of up to 20 characters (old accounts have
        # them), and the first 20 of a longer run.
        ("@abcdefghijklmnopqrst fits", ("abcdefghijklmnopqrst",)),
        ("@abcdefghijklmnopqrstuvwxyz", ("abcdefghijklmnopqrst",)),
        ("@jack@mastodon.social", ()),
        ("@jackü", ()),
        ("https://twitter.com/@jack", ()),
        ("see example.com/@jack", ()),
        # Several signs: one mention; a list is none.
        ("hi @@jack", ("jack",)),
        ("@jack/team and @jack/7", ("jack",)),
        # "RT" glued to the mention, but not inside a word.
        ("xRT@jack .RT@jack", ()),
        # A rejected mention still takes the character before the next one.
        ("x @a/b-@c", ()),
        ("x@a/b-@c", ("c",)),
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
        # Followed by ASCII punctuation, a space or the end (a final line break
        # included), as twitter-text's Java pattern reads it; not by other text.
        ("$AAPL\u2028", ("AAPL",)),
        ("$AAPL。 $GOOG、", ()),
        ("\u3000$AAPL\t$GOOG", ("AAPL", "GOOG")),
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
        # twitter-text links a country domain without a path too (older versions did not).
        ("bit.ly/abc and la revista.es dice", ("bit.ly/abc", "revista.es")),
        ("example.com.br/x", ("example.com.br/x",)),
        ("mail jack@example.com", ()),
        ("e.g. Mr.Smith file.py café.com", ("file.py", "café.com")),
        ("https://t.co/abcこんにちは", ("https://t.co/abc",)),
        ("HTTPS://EXAMPLE.COM/A", ("HTTPS://EXAMPLE.COM/A",)),
        ("Go to HTTPS://T.CO/AbC?x=1", ("HTTPS://T.CO/AbC?x=1",)),
        ("no links here", ()),
        # Case is folded for ASCII only, as in twitter-text's Java patterns: a
        # Cyrillic top-level domain in capitals is not the one it lists.
        ("http://пример.рф http://пример.РФ", ("http://пример.рф",)),
        # A label of 63 characters at most (64 here), then the next URL.
        ("x" * 64 + ".com " + "y" * 63 + ".com", ("y" * 63 + ".com",)),
        ("xn--ls8h.la", ("xn--ls8h.la",)),
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
        assert len(mention.screen_name) <= 20
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

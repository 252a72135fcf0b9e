"""Hypothesis strategies for valid rule ASTs, drawn from small vocabularies.

:func:`rule_nodes` yields ASTs that the parser accepts and that are in its
normal form (flattened, no one-child AND or OR), so ``parse_rule(render(node))``
gives ``node`` back. Values come from the module constants below, which
mirror the pools of ``tests/tweet_strategies.py``: random rules and random
tweets share a vocabulary, so most pairs are a real match or a near miss.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from hypothesis import strategies as st

from powertrack.geo import KM_PER_MILE
from powertrack.rules.ast import (
    And,
    BoundingBox,
    Cashtag,
    Contains,
    CountField,
    CountRange,
    Has,
    Hashtag,
    HasName,
    IdField,
    IdOp,
    Is,
    IsName,
    Keyword,
    Lang,
    Leaf,
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
    UserField,
    UserOp,
    UserText,
    UserTextField,
)
from powertrack.rules.render import render
from powertrack.text import STOP_WORDS, tokenize

__all__ = [
    "BIO_WORDS",
    "CASHTAGS",
    "CONTAINS",
    "COUNTRIES",
    "COUNTS",
    "DOMAINS",
    "GEO_CENTRES",
    "HASHTAGS",
    "KEYWORDS",
    "LANGS",
    "PLACES",
    "RADII_KM",
    "SAMPLE_PERCENTS",
    "SCREEN_NAMES",
    "SOURCES",
    "STATUS_IDS",
    "USER_IDS",
    "conjunction_leaves",
    "keywords",
    "rule_nodes",
    "standalone_leaves",
]

# Keywords as a customer types them; none is a stop word, so any positive
# clause drawn from them makes a rule acceptable.
KEYWORDS = (
    "apple", "iphone", "ipad", "mars", "rover", "nasa", "coca-cola", "cumpleaños", "straße",
    "data", "science", "😀", "❤", "2016", "2016election", "news", "café", "tokyo", "new",
    "york", "love", "go", "pizza", "rocket", "launch", "moon", "coffee", "music", "rain", "goal",
)  # fmt: skip
HASHTAGS = ("mars", "2016", "2016election", "café", "news", "ai", "nasa", "love", "tokyo", "go")
SCREEN_NAMES = ("nasa", "nasa_jpl", "elonmusk", "beyonce", "jack", "twitterdev")
USER_IDS = ("11348282", "44196397", "783214", "12")
CASHTAGS = ("twtr", "aapl", "btc", "brk.a")
STATUS_IDS = ("20", "1234567890", "1500000000000000000", "1629307668568633344")
DOMAINS = ("nasa.gov", "example.com", "news.example.org", "apple.com")
CONTAINS = ("app", "mar", "cola", "ños", "2016", "café", "love ", "❤")
BIO_WORDS = ("data", "science", "love", "mars", "news", "new york", "tokyo", "paris", "france")
COUNTS = (0, 1, 9, 100, 999, 1000, 1001, 50_000, 10**7)
LANGS = ("en", "es", "ja", "und", "fr")
PLACES = ("san francisco", "paris", "tokyo", "new york", "01a9a39529b27f36")
COUNTRIES = ("US", "FR", "JP", "GB")
SOURCES = ("twitter for iphone", "twitter web app", "tweetdeck", "ifttt", "iphone")
# (lon, lat) centres for point_radius: and bounding_box:.
GEO_CENTRES = ((-122.42, 37.77), (2.35, 48.86), (139.69, 35.69))
RADII_KM = (0.5, 5.0, 10 * KM_PER_MILE, 25.0, 25 * KM_PER_MILE)
SAMPLE_PERCENTS = (1, 10, 50, 99, 100)

_BOX_HALF_SIDES = (0.01, 0.05, 0.15)
_MAX_RULE_LENGTH = 2048
_HAS_NAMES: tuple[HasName, ...] = (
    "links", "mentions", "hashtags", "symbols", "media", "images", "videos", "geo", "lang",
)  # fmt: skip
_POSITIVE_IS_NAMES: tuple[IsName, ...] = ("retweet", "reply", "quote", "verified")
_USER_FIELDS: tuple[UserField, ...] = ("from", "to", "retweets_of")
_ID_FIELDS: tuple[IdField, ...] = (
    "retweets_of_status_id",
    "in_reply_to_status_id",
    "conversation_id",
)
_TEXT_FIELDS: tuple[UserTextField, ...] = ("bio", "bio_name", "bio_location")
_COUNT_FIELDS: tuple[CountField, ...] = (
    "followers_count", "friends_count", "statuses_count", "listed_count",
)  # fmt: skip

assert not any(set(tokenize(word)) <= STOP_WORDS for word in KEYWORDS)

_WORD_TOKENS = tuple(dict.fromkeys(token for word in KEYWORDS for token in tokenize(word)))


def _tokens_of(values: Sequence[str]) -> st.SearchStrategy[tuple[str, ...]]:
    return st.sampled_from(values).map(lambda value: tuple(tokenize(value)))


@functools.cache
def keywords() -> st.SearchStrategy[Keyword]:
    """A keyword from :data:`KEYWORDS`, as the parser builds it."""
    return _tokens_of(KEYWORDS).map(Keyword)


def _phrase_tokens(min_size: int) -> st.SearchStrategy[tuple[str, ...]]:
    return st.lists(st.sampled_from(_WORD_TOKENS), min_size=min_size, max_size=3).map(tuple)


@st.composite
def _url(draw: st.DrawFn) -> Url:
    tokens = tokenize(draw(st.sampled_from(DOMAINS)))
    start = draw(st.integers(0, len(tokens) - 1))
    return Url(tuple(tokens[start : start + draw(st.integers(1, 2))]))


@st.composite
def _count(draw: st.DrawFn) -> CountRange:
    field = draw(st.sampled_from(_COUNT_FIELDS))
    low, high = sorted(draw(st.lists(st.sampled_from(COUNTS), min_size=2, max_size=2)))
    return CountRange(field, low, draw(st.sampled_from((None, high))))


@st.composite
def _point_radius(draw: st.DrawFn) -> PointRadius:
    lon, lat = draw(st.sampled_from(GEO_CENTRES))
    return PointRadius(lon, lat, draw(st.sampled_from(RADII_KM)))


@st.composite
def _bounding_box(draw: st.DrawFn) -> BoundingBox:
    lon, lat = draw(st.sampled_from(GEO_CENTRES))
    half = draw(st.sampled_from(_BOX_HALF_SIDES))
    return BoundingBox(lon - half, lat - half, lon + half, lat + half)


@functools.cache
def standalone_leaves() -> st.SearchStrategy[Leaf]:
    """Any leaf that can anchor a rule on its own."""
    return st.one_of(
        keywords(),
        keywords(),
        _phrase_tokens(1).map(Phrase),
        st.builds(Proximity, _phrase_tokens(2), st.integers(1, 6)),
        st.sampled_from(HASHTAGS).map(Hashtag),
        st.sampled_from(SCREEN_NAMES + USER_IDS).map(Mention),
        st.sampled_from(CASHTAGS).map(Cashtag),
        st.sampled_from(CONTAINS).map(Contains),
        st.builds(UserOp, st.sampled_from(_USER_FIELDS), st.sampled_from(SCREEN_NAMES + USER_IDS)),
        st.builds(IdOp, st.sampled_from(_ID_FIELDS), st.sampled_from(STATUS_IDS)),
        _url(),
        st.sampled_from(DOMAINS).map(UrlContains),
        st.builds(UserText, st.sampled_from(_TEXT_FIELDS), _tokens_of(BIO_WORDS)),
        _count(),
        _tokens_of(PLACES).map(Place),
        st.sampled_from(COUNTRIES).map(PlaceCountry),
        _point_radius(),
        _bounding_box(),
    )


@functools.cache
def conjunction_leaves() -> st.SearchStrategy[Leaf]:
    """Leaves that must be ANDed with a standalone clause (``sample:`` aside)."""
    return st.one_of(
        st.sampled_from(_HAS_NAMES).map(Has),
        st.sampled_from(_POSITIVE_IS_NAMES).map(Is),
        st.sampled_from(LANGS).map(Lang),
        _tokens_of(SOURCES).map(Source),
    )


def _and(children: Sequence[Node]) -> Node:
    flat: list[Node] = []
    for child in children:
        flat.extend(child.children if isinstance(child, And) else (child,))
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def _or(children: Sequence[Node]) -> Node:
    flat: list[Node] = []
    for child in children:
        flat.extend(child.children if isinstance(child, Or) else (child,))
    return flat[0] if len(flat) == 1 else Or(tuple(flat))


@functools.cache
def _negations(depth: int) -> st.SearchStrategy[Node]:
    choices: list[st.SearchStrategy[Node]] = [
        standalone_leaves(),
        conjunction_leaves(),
        st.just(Is("nullcast")),
    ]
    if depth > 0:
        choices.append(_anchored(depth - 1))
    return st.sampled_from(choices).flatmap(lambda inner: inner).map(Not)


# Strategies are built once per depth and reused: building them afresh on
# every draw made generation several times slower.


@functools.cache
def _conjunction(depth: int) -> st.SearchStrategy[Node]:
    anchors = st.lists(_anchored(depth - 1), min_size=1, max_size=2)
    extras = st.lists(st.one_of(conjunction_leaves(), _negations(depth - 1)), max_size=3)
    return st.builds(lambda a, b: a + b, anchors, extras).flatmap(st.permutations).map(_and)


@functools.cache
def _anchored(depth: int) -> st.SearchStrategy[Node]:
    # A positive node every match of which matches a standalone leaf. The
    # shape is drawn first: one_of would flatten the leaves' own one_of into
    # its branches and make compound nodes rare.
    if depth == 0:
        return standalone_leaves()
    shapes = (
        _conjunction(depth),
        st.lists(_anchored(depth - 1), min_size=2, max_size=3).map(_or),
        standalone_leaves(),
    )
    return st.sampled_from(shapes).flatmap(lambda shape: shape)


@st.composite
def _rules(draw: st.DrawFn, max_depth: int) -> Node:
    node = draw(_anchored(draw(st.sampled_from(range(max_depth, -1, -1)))))
    if draw(st.integers(0, 4)) == 0:
        node = _and([node, Sample(draw(st.sampled_from(SAMPLE_PERCENTS)))])
    return node


@functools.cache
def rule_nodes(max_depth: int = 3) -> st.SearchStrategy[Node]:
    """Valid rule ASTs: every operator, AND/OR nesting up to ``max_depth``, negations.

    A negation is never directly inside an OR, every OR alternative has a
    standalone clause, ``is:nullcast`` only appears negated and ``sample:``
    only at the top level; the rendered rule fits in 2,048 characters.
    """
    return _rules(max_depth).filter(lambda node: len(render(node)) <= _MAX_RULE_LENGTH)

"""Tweet features: the values a tweet offers to each family of index keys.

An index key is ``(family, value)``. A rule is posted under keys of which a
matching tweet must offer at least one; this module says which values a tweet
offers in each family. Offering more than necessary only costs candidates,
offering less would lose matches, so each extractor follows the operator
semantics of :mod:`powertrack.rules.evaluate` exactly where the family is
declared exact in :mod:`powertrack.index.keys`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Iterable, Iterator

import regex

from powertrack.index.geogrid import cell_of
from powertrack.index.view import TweetView
from powertrack.rules import semantics as sem
from powertrack.rules.ast import UserTextField
from powertrack.text import fold, tokenize

__all__ = [
    "ALWAYS_LEARNT",
    "BIO",
    "BIO_LOCATION",
    "BIO_NAME",
    "CASHTAG",
    "CONVERSATION",
    "COUNT_FAMILIES",
    "EXTRACTORS",
    "FROM",
    "GEO",
    "GEO_CELL",
    "HAS",
    "HASHTAG",
    "HAYSTACKS",
    "ID_FAMILIES",
    "IS",
    "LANG",
    "MAX_COUNT_BUCKET",
    "MENTION",
    "PLACE",
    "PLACE_COUNTRY",
    "PROFILE_FAMILIES",
    "REPLY_STATUS",
    "RETWEETS_OF",
    "RETWEET_STATUS",
    "SOURCE",
    "TEXT",
    "TO",
    "URL",
    "USER_FAMILIES",
    "all_keys",
    "count_bucket",
    "is_wordlike",
    "ngram_family",
    "word_ngram_family",
]

TEXT = "t"
HASHTAG = "#"
MENTION = "@"
CASHTAG = "$"
FROM = "from"
TO = "to"
RETWEETS_OF = "rt_of"
RETWEET_STATUS = "rt_id"
REPLY_STATUS = "reply_id"
CONVERSATION = "conv"
URL = "url"
BIO = "bio"
BIO_NAME = "bio_name"
BIO_LOCATION = "bio_loc"
LANG = "lang"
PLACE = "place"
PLACE_COUNTRY = "country"
GEO = "geo"
GEO_CELL = "geo_cell"
HAS = "has"
IS = "is"
SOURCE = "source"
# Which family each field-carrying operator is indexed and checked under.
USER_FAMILIES = {"from": FROM, "to": TO, "retweets_of": RETWEETS_OF}
ID_FAMILIES = {
    "retweets_of_status_id": RETWEET_STATUS,
    "in_reply_to_status_id": REPLY_STATUS,
    "conversation_id": CONVERSATION,
}
PROFILE_FAMILIES: dict[UserTextField, str] = {
    "bio": BIO,
    "bio_name": BIO_NAME,
    "bio_location": BIO_LOCATION,
}
COUNT_FAMILIES = {
    "followers_count": "n_followers",
    "friends_count": "n_friends",
    "statuses_count": "n_statuses",
    "listed_count": "n_listed",
}
# Substring operators are indexed by character n-grams of length 1 to 3.
NGRAM_MAX = 3
_CONTAINS_PREFIX = "contains"
_URL_CONTAINS_PREFIX = "url_contains"

Extractor = Callable[[TweetView], Collection[str]]


_WORD_PREFIX = "contains_word"
# A contains: value of letters and digits only lies inside one token wherever
# it occurs, so the tweet need only offer the n-grams of its tokens, which
# repeat from tweet to tweet and are cached.
_WORDLIKE = regex.compile(r"[\p{L}\p{N}]+")
_TOKEN_GRAMS_MAX = 200_000


def word_ngram_family(n: int) -> str:
    """The family of ``n``-grams taken within the text's tokens."""
    return f"{_WORD_PREFIX}{n}"


def is_wordlike(value: str) -> bool:
    """True when ``value`` is letters and digits only (see :func:`word_ngram_family`)."""
    return _WORDLIKE.fullmatch(value) is not None


def ngram_family(url: bool, n: int) -> str:
    """The family of ``n``-grams of the text (``url=False``) or of expanded URLs."""
    return f"{_URL_CONTAINS_PREFIX if url else _CONTAINS_PREFIX}{n}"


# The last count bucket: counts of 2**63 and above share it.
MAX_COUNT_BUCKET = 64


def count_bucket(value: int) -> int:
    """The power-of-two bucket of a count: 0 for 0, then 1, 2-3, 4-7, ..., at most 64."""
    return min(max(value, 0).bit_length(), MAX_COUNT_BUCKET)


def _with_quoted(view: TweetView) -> tuple[TweetView, ...]:
    return view.scope()


def _text(view: TweetView) -> Collection[str]:
    quoted = view.quoted
    if quoted is None:
        return view.keyword_tokens()
    return view.keyword_tokens() | quoted.keyword_tokens()


def _hashtags(view: TweetView) -> Collection[str]:
    return {fold(tag) for part in _with_quoted(view) for tag in part.tweet.hashtags}


def _mentions(view: TweetView) -> Collection[str]:
    values: set[str] = set()
    for part in _with_quoted(view):
        for mention in part.tweet.mentions:
            if mention.screen_name:
                values.add(fold(mention.screen_name))
            if mention.id:
                values.add(mention.id)
    return values


def _cashtags(view: TweetView) -> Collection[str]:
    return {fold(symbol) for part in _with_quoted(view) for symbol in part.tweet.symbols}


def _user_values(screen_name: str | None, user_id: str | None) -> list[str]:
    values = []
    if screen_name:
        values.append(fold(screen_name))
    if user_id:
        values.append(user_id)
    return values


def _from(view: TweetView) -> Collection[str]:
    author = view.tweet.author
    return _user_values(author.screen_name, author.id)


def _to(view: TweetView) -> Collection[str]:
    tweet = view.tweet
    return _user_values(tweet.in_reply_to_screen_name, tweet.in_reply_to_user_id)


def _retweets_of(view: TweetView) -> Collection[str]:
    original = view.tweet.retweeted
    if original is None:
        return ()
    return _user_values(original.author.screen_name, original.author.id)


def _retweet_status(view: TweetView) -> Collection[str]:
    original = view.tweet.retweeted
    return (original.id,) if original is not None else ()


def _reply_status(view: TweetView) -> Collection[str]:
    status = view.tweet.in_reply_to_status_id
    return (status,) if status else ()


def _conversation(view: TweetView) -> Collection[str]:
    conversation = sem.conversation_id(view.tweet)
    return (conversation,) if conversation else ()


def _url(view: TweetView) -> Collection[str]:
    return {token for part in _with_quoted(view) for url in part.url_tokens() for token in url}


def _ngrams(texts: Iterable[str], n: int) -> set[str]:
    grams: set[str] = set()
    for text in texts:
        grams.update(text[i : i + n] for i in range(len(text) - n + 1))
    return grams


def _contains(n: int) -> Extractor:
    def extract(view: TweetView) -> Collection[str]:
        return _ngrams((view.folded_text(),), n)

    return extract


def _word_contains(n: int) -> Extractor:
    cache: dict[str, frozenset[str]] = {}

    def extract(view: TweetView) -> Collection[str]:
        grams = []
        for token in set(view.text_tokens()):
            token_grams = cache.get(token)
            if token_grams is None:
                if len(cache) >= _TOKEN_GRAMS_MAX:
                    cache.clear()
                token_grams = frozenset(token[i : i + n] for i in range(len(token) - n + 1))
                cache[token] = token_grams
            grams.append(token_grams)
        return frozenset().union(*grams)

    return extract


def _url_contains(n: int) -> Extractor:
    def extract(view: TweetView) -> Collection[str]:
        return _ngrams(
            (url for part in _with_quoted(view) for url in part.expanded_urls_folded()), n
        )

    return extract


def _count(field: str) -> Extractor:
    def extract(view: TweetView) -> Collection[str]:
        return (str(count_bucket(getattr(view.tweet.author, field))),)

    return extract


def _profile(field: UserTextField) -> Extractor:
    def extract(view: TweetView) -> Collection[str]:
        return view.profile_tokens(field)

    return extract


def _lang(view: TweetView) -> Collection[str]:
    lang = view.tweet.lang
    return (lang.lower(),) if lang else ()


def _is_geo_eligible(view: TweetView) -> bool:
    # Geo operators never match a retweet.
    return view.tweet.retweeted is None


def _place(view: TweetView) -> Collection[str]:
    place = view.tweet.place
    if place is None or not _is_geo_eligible(view):
        return ()
    values = set(tokenize(place.full_name))
    if place.id:
        values.add(fold(place.id))
    return values


def _place_country(view: TweetView) -> Collection[str]:
    place = view.tweet.place
    if place is None or not place.country_code or not _is_geo_eligible(view):
        return ()
    return (place.country_code.upper(),)


def _geo(view: TweetView) -> Collection[str]:
    tweet = view.tweet
    if _is_geo_eligible(view) and (tweet.point is not None or tweet.place is not None):
        return ("1",)
    return ()


def _geo_cell(view: TweetView) -> Collection[str]:
    tweet = view.tweet
    if not _is_geo_eligible(view):
        return ()
    if tweet.point is not None:
        return (cell_of(*tweet.point),)
    if tweet.place is not None and tweet.place.bbox is not None:
        west, south, _, _ = tweet.place.bbox
        return (cell_of(west, south),)
    return ()


def _has(view: TweetView) -> Collection[str]:
    names: set[str] = set()
    for part in _with_quoted(view):
        tweet = part.tweet
        if tweet.urls or tweet.media:
            names.add("links")
        if tweet.mentions:
            names.add("mentions")
        if tweet.hashtags:
            names.add("hashtags")
        if tweet.symbols:
            names.add("symbols")
        if tweet.media:
            names.add("media")
            for media in tweet.media:
                names.add("images" if media.type == "photo" else "videos")
    tweet = view.tweet
    if tweet.lang and tweet.lang.lower() not in ("", "und"):
        names.add("lang")
    if _geo(view):
        names.add("geo")
    return names


def _is(view: TweetView) -> Collection[str]:
    tweet = view.tweet
    names = []
    if tweet.retweeted is not None:
        names.append("retweet")
    if any(sem.is_reply(part.tweet) for part in _with_quoted(view)):
        names.append("reply")
    if tweet.is_quote or tweet.quoted is not None:
        names.append("quote")
    if tweet.author.verified:
        names.append("verified")
    if tweet.nullcast:
        names.append("nullcast")
    return names


EXTRACTORS: dict[str, Extractor] = {
    TEXT: _text,
    HASHTAG: _hashtags,
    MENTION: _mentions,
    CASHTAG: _cashtags,
    FROM: _from,
    TO: _to,
    RETWEETS_OF: _retweets_of,
    RETWEET_STATUS: _retweet_status,
    REPLY_STATUS: _reply_status,
    CONVERSATION: _conversation,
    URL: _url,
    **{family: _profile(field) for field, family in PROFILE_FAMILIES.items()},
    LANG: _lang,
    PLACE: _place,
    PLACE_COUNTRY: _place_country,
    GEO: _geo,
    GEO_CELL: _geo_cell,
    HAS: _has,
    IS: _is,
    SOURCE: lambda view: view.source_tokens(),
    **{family: _count(field) for field, family in COUNT_FAMILIES.items()},
    **{ngram_family(False, n): _contains(n) for n in range(1, NGRAM_MAX + 1)},
    **{ngram_family(True, n): _url_contains(n) for n in range(1, NGRAM_MAX + 1)},
    **{word_ngram_family(n): _word_contains(n) for n in range(1, NGRAM_MAX + 1)},
}


def _text_haystacks(view: TweetView) -> list[str]:
    return [view.folded_text()]


def _url_haystacks(view: TweetView) -> list[str]:
    return [url for part in _with_quoted(view) for url in part.expanded_urls_folded()]


# Substring families can also be matched the other way round: instead of
# listing every n-gram of the tweet, test each posted n-gram against these
# strings. That is far cheaper while few distinct n-grams are posted.
HAYSTACKS: dict[str, Callable[[TweetView], list[str]]] = {
    **{ngram_family(False, n): _text_haystacks for n in range(1, NGRAM_MAX + 1)},
    **{ngram_family(True, n): _url_haystacks for n in range(1, NGRAM_MAX + 1)},
    **{word_ngram_family(n): _text_haystacks for n in range(1, NGRAM_MAX + 1)},
}

# Families whose frequencies are always learnt: the ones most rules are
# indexed under. The rest are learnt only while some rule uses them.
ALWAYS_LEARNT = (TEXT, HASHTAG, MENTION, LANG, HAS, IS)


def all_keys(view: TweetView, families: Iterable[str] | None = None) -> Iterator[tuple[str, str]]:
    """Every ``(family, value)`` key the tweet offers, in ``families`` (default: all)."""
    # chain, zip and repeat keep the per-key work in C: learning reads many keys.
    return itertools.chain.from_iterable(
        zip(itertools.repeat(family), view.values(family, EXTRACTORS[family]))
        for family in (EXTRACTORS if families is None else families)
    )

"""Entities of a tweet: extracted from plain text, and merged for retweets.

Extraction follows twitter-text's rules closely enough for matching: a tweet
that arrives without ``entities`` (old payloads, v2 without the ``entities``
field) still gets its hashtags, mentions, cashtags and links. It is written
here rather than taken from a twitter-text port because those ports are
unmaintained and drag in autolinking and validation we do not need.
"""

from __future__ import annotations

import re
import string
import unicodedata
from typing import NamedTuple, TypeVar

import regex

from powertrack.tweets.fields import new_mention, new_url
from powertrack.tweets.model import Media, MentionEntity, Tweet, UrlEntity

__all__ = [
    "Extracted",
    "extract_cashtags",
    "extract_entities",
    "extract_hashtags",
    "extract_mentions",
    "extract_urls",
    "merge",
    "merge_mentions",
]

# Each pattern starts at its sign (#, @, $, "http", the dot before a TLD), so
# the regex engine skips ahead to candidates; what twitter-text demands of
# the characters around an entity is checked in Python on those few
# candidates, which is many times faster than lookbehinds at every position.

# Zero-width (non-)joiners are part of words in Persian and Indic scripts.
_HASHTAG = regex.compile(r"[#＃](?!\ufe0f|\u20e3)([\p{L}\p{M}\p{Nd}_\u200c\u200d]+)")
_TAG_LETTER = regex.compile(r"[\p{L}\p{M}]")

_MENTION = re.compile(r"[@＠]([A-Za-z0-9_]+)")
_MAX_SCREEN_NAME = 15
_ASCII_WORD = frozenset(string.ascii_letters + string.digits + "_")
_NOT_BEFORE_MENTION = _ASCII_WORD | frozenset("!#$%&*@＠")
_NOT_BEFORE_RT = _ASCII_WORD | frozenset("+~.-")

_CASHTAG = re.compile(r"\$([A-Za-z]{1,6}(?:[._][A-Za-z]{1,2})?)")

# Path characters: ASCII URL characters plus Latin and Cyrillic letters, so a
# t.co link glued to Japanese text stops where the Japanese starts.
_PATH = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%\u00c0-\u024f\u0400-\u04ff]*"
_LABEL = r"[^\W_](?:[\w\-]*[^\W_])?"
_SCHEME_URL = re.compile(
    rf"https?://(?:{_LABEL}\.)+{_LABEL}(?::\d{{1,5}})?(?:[/?#]{_PATH})?", re.IGNORECASE
)
# The dot before a bare domain's TLD; a dot that continues the host
# ("example.com.br") leaves the decision to the next one.
_TLD_DOT = re.compile(r"\.([A-Za-z]{2,})(?![A-Za-z0-9\-_@]|\.[A-Za-z0-9])")
_AFTER_HOST = re.compile(rf"(?::\d{{1,5}})?(?:([/?#]){_PATH})?")
_HOST_CHARS = frozenset(string.ascii_letters + string.digits + "-.")
_NOT_BEFORE_HOST = frozenset("@.-_/$#＃:")
# Space-separated lists read better than 75 one-per-line literals.
_GENERIC_TLDS = frozenset(
    "com net org edu gov mil int info biz name pro mobi app dev io ai co me tv ly gl gg xyz "  # noqa: SIM905
    "news blog site online shop store tech live media link club".split()
)
_COUNTRY_TLDS = frozenset(
    "ar at au be br ca ch cl cn cz de dk es eu fi fr gr hk ie il in it jp kr mx nl no nz pe "  # noqa: SIM905
    "pl pt ru se sg tr tw ua uk us ve za".split()
)
_TRAILING = ".,;:!?'\"…"

_Span = tuple[int, int, str, bool]  # start, end, url, has a scheme


class Extracted(NamedTuple):
    """Entities found in a text, in order of appearance."""

    hashtags: tuple[str, ...]
    mentions: tuple[MentionEntity, ...]
    symbols: tuple[str, ...]
    urls: tuple[UrlEntity, ...]


def _trim_url(url: str) -> str:
    # Trailing sentence punctuation and an unbalanced closing parenthesis belong
    # to the prose, not the link: "(see example.com/a)." -> "example.com/a".
    while url:
        last = url[-1]
        if last in _TRAILING or (last == ")" and url.count("(") < url.count(")")):
            url = url[:-1]
        else:
            break
    return url


def _bare_domain(text: str, match: re.Match[str], spans: list[_Span]) -> _Span | None:
    dot = match.start()
    start = dot
    while start and text[start - 1] in _HOST_CHARS:
        start -= 1
    if start == dot or (spans and not _outside(spans, dot)):
        return None
    before = text[start - 1] if start else " "
    if before in _NOT_BEFORE_HOST or before.isalnum():
        return None
    labels = text[start:dot].split(".")
    if any(not label or label[0] == "-" or label[-1] == "-" for label in labels):
        return None
    after = _AFTER_HOST.match(text, match.end())
    tld = match.group(1).lower()
    has_path = after is not None and after.group(1) is not None
    if tld not in _GENERIC_TLDS and not (tld in _COUNTRY_TLDS and has_path):
        return None
    end = after.end() if after is not None else match.end()
    url = _trim_url(text[start:end])
    return start, start + len(url), url, False


def _url_spans(text: str) -> list[_Span]:
    spans: list[_Span] = []
    if "://" in text:
        for match in _SCHEME_URL.finditer(text):
            url = _trim_url(match.group())
            spans.append((match.start(), match.start() + len(url), url, True))
    bare = [
        span
        for match in _TLD_DOT.finditer(text)
        if (span := _bare_domain(text, match, spans)) is not None
    ]
    if bare:
        spans = sorted(spans + bare)
    return spans


def _outside(spans: list[_Span], position: int) -> bool:
    return all(not start <= position < end for start, end, _, _ in spans)


def extract_urls(text: str) -> tuple[UrlEntity, ...]:
    """Links in ``text``: ``http(s)://`` URLs and bare domains under common TLDs.

    ``expanded_url`` gets an ``http://`` scheme when the text had none, as
    Twitter's link wrapping would.
    """
    if "." not in text:
        return ()
    return tuple(
        new_url(url, url if has_scheme else "http://" + url)
        for _, _, url, has_scheme in _url_spans(text)
    )


def _is_tag_char(char: str) -> bool:
    return char.isalnum() or char in "_&\u200c\u200d" or unicodedata.category(char).startswith("M")


def _hashtags(text: str, spans: list[_Span]) -> tuple[str, ...]:
    tags: list[str] = []
    for match in _HASHTAG.finditer(text):
        start, end = match.span()
        if start and _is_tag_char(text[start - 1]):
            continue
        following = text[end : end + 3]
        if following[:1] in ("#", "＃") or following == "://":
            continue
        tag = match.group(1)
        if _TAG_LETTER.search(tag) is None:
            continue
        if spans and not _outside(spans, start):
            continue
        tags.append(tag)
    return tuple(tags)


def extract_hashtags(text: str) -> tuple[str, ...]:
    """Hashtags in ``text`` without their ``#``/``＃``; all-digit tags are not hashtags."""
    if "#" not in text and "＃" not in text:
        return ()
    return _hashtags(text, _url_spans(text) if "." in text else [])


def _mention_may_start(text: str, start: int) -> bool:
    if not start or text[start - 1] not in _NOT_BEFORE_MENTION:
        return True
    # "RT@jack": a retweet prefix glued to the mention.
    return (
        start >= 2
        and text[start - 2 : start].lower() == "rt"
        and (start == 2 or text[start - 3] not in _NOT_BEFORE_RT)
    )


def _mentions(text: str, spans: list[_Span]) -> tuple[MentionEntity, ...]:
    found: list[MentionEntity] = []
    for match in _MENTION.finditer(text):
        start, end = match.span()
        name = match.group(1)
        if len(name) > _MAX_SCREEN_NAME or not _mention_may_start(text, start):
            continue
        # Not a mention when glued to more of a name or address: "@jack@host", "@jackü".
        following = text[end : end + 3]
        if following and (following[0] in "@＠" or following[0].isalpha() or following == "://"):
            continue
        if spans and not _outside(spans, start):
            continue
        found.append(new_mention("", name))
    return tuple(found)


def extract_mentions(text: str) -> tuple[MentionEntity, ...]:
    """Mentioned screen names in ``text``; their ids are unknown, so empty."""
    if "@" not in text and "＠" not in text:
        return ()
    return _mentions(text, _url_spans(text) if "." in text else [])


def _cashtags(text: str, spans: list[_Span]) -> tuple[str, ...]:
    symbols: list[str] = []
    for match in _CASHTAG.finditer(text):
        start, end = match.span()
        if start and not text[start - 1].isspace():
            continue
        if end < len(text) and not (
            text[end].isspace() or unicodedata.category(text[end])[0] in "PZ"
        ):
            continue
        if spans and not _outside(spans, start):
            continue
        symbols.append(match.group(1))
    return tuple(symbols)


def extract_cashtags(text: str) -> tuple[str, ...]:
    """Cashtags in ``text`` without their ``$`` (``$AAPL``, ``$BRK.A``); never ``$5``."""
    if "$" not in text:
        return ()
    return _cashtags(text, _url_spans(text) if "." in text else [])


def extract_entities(text: str) -> Extracted:
    """All entities of ``text``; a sign inside a link (``example.com/#top``) is not an entity."""
    spans = _url_spans(text) if "." in text else []
    return Extracted(
        _hashtags(text, spans) if "#" in text or "＃" in text else (),
        _mentions(text, spans) if "@" in text or "＠" in text else (),
        _cashtags(text, spans) if "$" in text else (),
        tuple(new_url(url, url if scheme else "http://" + url) for _, _, url, scheme in spans),
    )


_T = TypeVar("_T", str, UrlEntity, Media)


class Body(NamedTuple):
    """What a tweet says: its text and its entities."""

    text: str
    hashtags: tuple[str, ...]
    mentions: tuple[MentionEntity, ...]
    symbols: tuple[str, ...]
    urls: tuple[UrlEntity, ...]
    media: tuple[Media, ...]


def absorb_retweet(body: Body, original: Tweet) -> Body:
    """The body a retweet is matched on.

    A retweet is matched on what it retweets (docs/rule-language.md): the full
    text of the original, and the entities of both, since the retweet's own
    carry the "RT @user:" mention.
    """
    return Body(
        original.text,
        merge(body.hashtags, original.hashtags),
        merge_mentions(body.mentions, original.mentions),
        merge(body.symbols, original.symbols),
        merge(body.urls, original.urls),
        merge(body.media, original.media),
    )


def merge(first: tuple[_T, ...], second: tuple[_T, ...]) -> tuple[_T, ...]:
    """The items of both without repeats, in order of first appearance."""
    if not second:
        return first
    if not first:
        return second
    return tuple(dict.fromkeys(first + second))


def merge_mentions(
    first: tuple[MentionEntity, ...], second: tuple[MentionEntity, ...]
) -> tuple[MentionEntity, ...]:
    """Mentions of both, one per user (screen name, case-insensitive); a known id wins."""
    if not second:
        return first
    if not first:
        return second
    merged: dict[str, MentionEntity] = {}
    for mention in first + second:
        key = mention.screen_name.lower() or mention.id
        kept = merged.get(key)
        if kept is None or (not kept.id and mention.id):
            merged[key] = mention
    return tuple(merged.values())

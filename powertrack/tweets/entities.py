"""Entities of a tweet: extracted from plain text, and merged for retweets.

A tweet that arrives without ``entities`` (old payloads, v2 without the
``entities`` field, tweets posted through powertrack) gets its hashtags,
mentions, cashtags and links from its text, by the rules Twitter links them
with: a port of twitter-text's Java ``Regex`` and ``Extractor`` (at commit
1b570ca of twitter/twitter-text), held to its conformance suite
(tests/tweets/twitter_text/). It is written here rather than taken from a
twitter-text port because those ports are unmaintained and drag in autolinking
and validation we do not need.

Each search starts at a sign (#, @, $, or for a URL the dot before a top-level
domain), so the regex engine skips ahead to candidates. twitter-text's
patterns also match the character before an entity, and each search resumes
where the last match ended; that is checked in Python on the few candidates,
with the end of the last match kept as ``consumed``, which is many times
faster than a lookbehind at every position and finds the same entities.
"""

from __future__ import annotations

import re
import string
from typing import Any, NamedTuple, TypeVar

import regex

from powertrack.tweets import _tlds
from powertrack.tweets.fields import new_mention, new_url
from powertrack.tweets.model import Media, MentionEntity, Tweet, UrlEntity

__all__ = [
    "Extracted",
    "extract_cashtags",
    "extract_entities",
    "extract_hashtags",
    "extract_mentions",
    "extract_urls",
    "is_cashtag",
    "is_hashtag",
    "is_screen_name",
    "merge",
    "merge_mentions",
]

_LATIN_ACCENTS = (
    "\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259"
    "\u025b\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
_CYRILLIC = "\u0400-\u04ff"
# twitter-text's UNICODE_SPACES; Java's \s, used where it says \s, is only ASCII.
_SPACES = frozenset("\t\n\x0b\x0c\r \x85\xa0\u1680\u180e\u2028\u2029\u202f\u205f\u3000").union(
    map(chr, range(0x2000, 0x200B))
)
_JAVA_SPACE = " \\t\\n\\x0b\\f\\r"
# Unicode's separators (\p{Z}), spelt out for the standard re module.
_SEPARATORS = "\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"

# Hashtags: letters and marks, decimal digits, and the special characters
# twitter-text lists. Its letter list is \p{L}\p{M} of an older Unicode plus the
# letters added since, which today's \p{L}\p{M} hold, and these private-use
# code points, which it counts as letters too.
_HASHTAG_LETTERS = r"\p{L}\p{M}\uf870-\uf87f\uf882\uf884-\uf89f\uf8b8\uf8c1-\uf8d6"
_HASHTAG_SPECIALS = (
    r"_\u200c\u200d\ua67e\u05be\u05f3\u05f4\uff5e\u301c\u309b\u309c\u30a0\u30fb\u3003\u0f0b\u0f0c"
    r"\u00b7"
)
_HASHTAG_CHARS = _HASHTAG_LETTERS + r"\p{Nd}" + _HASHTAG_SPECIALS
_HASHTAG = regex.compile(rf"[#＃](?![\ufe0f\u20e3])([{_HASHTAG_CHARS}]+)")
_HASHTAG_BODY = regex.compile(rf"[{_HASHTAG_CHARS}]+")
_HASHTAG_LETTER = regex.compile(rf"[{_HASHTAG_LETTERS}]")
# What may not stand before the sign; the variation selectors, marks themselves,
# may (an emoji such as ✌️ ends in one).
_NOT_BEFORE_HASHTAG = regex.compile(rf"[&{_HASHTAG_CHARS}]")
_VARIATION_SELECTORS = "\ufe0e\ufe0f"
_NOT_BEFORE_ASCII_HASHTAG = frozenset(string.ascii_letters + string.digits + "_&")

# Mentions: screen names of 1 to 20 characters, as twitter-text allows for old
# accounts; "@name/list" names a list, which is no mention.
_MENTION = re.compile(r"[@＠]+([A-Za-z0-9_]{1,20})(/[A-Za-z][A-Za-z0-9_\-]{0,24})?")
_SCREEN_NAME = re.compile(r"[A-Za-z0-9_]{1,20}")
_ASCII_WORD = frozenset(string.ascii_letters + string.digits + "_")
_NOT_BEFORE_MENTION = _ASCII_WORD | frozenset("!#$%&*@＠")
_NOT_BEFORE_RT = _ASCII_WORD | frozenset("+~.-")
_NOT_AFTER_MENTION = re.compile(rf"[@＠{_LATIN_ACCENTS}]|://")

# Cashtags: followed by the end, a space or ASCII punctuation (Java's \s and
# \p{Punct}); its $ also matches before a line terminator that ends the text.
_CASHTAG_TEXT = r"[A-Za-z]{1,6}(?:[._][A-Za-z]{1,2})?"
_CASHTAG = re.compile(
    rf"\$({_CASHTAG_TEXT})(?=[{_JAVA_SPACE}!-/:-@\[-`{{-~]|(?:\r\n|[\n\r\x85\u2028\u2029])?\Z)"
)
_CASHTAG_ALONE = re.compile(_CASHTAG_TEXT)


def _alternation(words: tuple[str, ...]) -> str:
    # An alternation of ``words`` as a trie, which the regex engine walks a
    # character at a time instead of trying each word in turn. Of two words
    # where one begins the other, the longer is tried first: twitter-text lists
    # them in that order, and its alternation tries them in its order.
    trie: dict[str, dict[str, Any]] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return "(?:" + _branches(trie) + ")"


def _branches(node: dict[str, dict[str, Any]]) -> str:
    # An empty last alternative rather than "?": the engine keeps state for each
    # repeat, at every search, and a trie of 1,500 words would have hundreds.
    branches = [re.escape(char) + _branches(child) for char, child in node.items() if char]
    if not branches:
        return ""
    if "" in node:
        branches.append("")
    return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"


# URLs: twitter-text's VALID_URL, built the way it is built. Java's
# CASE_INSENSITIVE folds ASCII letters only, as re.IGNORECASE | re.ASCII does
# (no \w, \s or \b below, which re.ASCII would change too).
_ASCII_CASE = re.IGNORECASE | re.ASCII
_PRECEDING = "(?:[^a-z0-9@＠$#＃\ufffe\ufeff\uffff]|^)"
_DOMAIN_CHARS = "a-z0-9" + _LATIN_ACCENTS
_SUBDOMAIN = rf"(?>(?:[{_DOMAIN_CHARS}][{_DOMAIN_CHARS}\-_]*)?[{_DOMAIN_CHARS}]\.)"
_DOMAIN_NAME = rf"(?:(?:[{_DOMAIN_CHARS}][{_DOMAIN_CHARS}\-]*)?[{_DOMAIN_CHARS}]\.)"
# A Unicode domain label: no ASCII punctuation, space, separator or general
# punctuation (U+2000 to U+206F); after its first character, "-" too.
_NOT_UNICODE = rf"_!\"#$%&'()*+,./:;<=>?@\[\]^`{{|}}~{_JAVA_SPACE}{_SEPARATORS}\u2000-\u206f"
_UNICODE_DOMAIN_NAME = rf"(?:(?:[^\-{_NOT_UNICODE}][^{_NOT_UNICODE}]*)?[^\-{_NOT_UNICODE}]\.)"
_TLD_END = r"(?=[^a-z0-9@+\-]|\Z)"
_GTLD = rf"(?:{_alternation(_tlds.GENERIC)}{_TLD_END})"
_CCTLD = rf"(?:{_alternation(_tlds.COUNTRY)}{_TLD_END})"
_DOMAIN = (
    rf"(?:{_SUBDOMAIN}*{_DOMAIN_NAME}(?:{_GTLD}|{_CCTLD}|(?:xn--[\-0-9a-z]+)))"
    rf"|(?:(?:(?<=http://)|(?<=https://))"
    rf"(?:(?:{_DOMAIN_NAME}{_CCTLD})|(?:{_UNICODE_DOMAIN_NAME}(?:{_GTLD}|{_CCTLD}))))"
    rf"|(?:{_DOMAIN_NAME}{_CCTLD}(?=/))"
)
_PATH_CHARS = rf"[a-z0-9!*';:=+,.$/%#\[\]\-\u2013_~|&@{_LATIN_ACCENTS}{_CYRILLIC}]"
# Up to two levels of balanced parentheses: /Primer_(film), /S(dfd346)/.
_PARENS = rf"\((?:{_PATH_CHARS}+|(?:{_PATH_CHARS}*\({_PATH_CHARS}+\){_PATH_CHARS}*))\)"
# Joined as twitter-text joins them, so the "|" inside applies as it does there.
_PATH_END = rf"[a-z0-9=_#/\-+{_LATIN_ACCENTS}{_CYRILLIC}]|(?:{_PARENS})"
_PATH = rf"(?:(?:{_PATH_CHARS}*(?:{_PARENS}{_PATH_CHARS}*)*{_PATH_END})|(?:@{_PATH_CHARS}+/))"
_QUERY = r"\?[a-z0-9!?*'();:&=+$/%#\[\]\-_.,~|@]*[a-z0-9\-_&=#/]"
_URL = re.compile(
    rf"(?P<before>{_PRECEDING})(?P<url>(?P<protocol>https?://)?(?P<domain>{_DOMAIN})"
    rf"(?::[0-9]++)?(?:/{_PATH}*+)?(?:{_QUERY})?)",
    _ASCII_CASE,
)
_TCO = re.compile(rf"https?://t\.co/([a-z0-9]+)(?:{_QUERY})?", _ASCII_CASE)
_MAX_TCO_SLUG = 40
_MAX_URL = 4096
# Where to look: a URL's domain ends in a dot and a top-level domain. Before
# that dot, its domain (with any subdomains or, after a scheme, one label in any
# script) holds only characters of this class, read backwards from the dot;
# before those come at most a scheme and the character that precedes the URL.
_TLD_DOT = re.compile(rf"\.(?:{_GTLD}|{_CCTLD}|xn--)", _ASCII_CASE)
_BEFORE_DOT = regex.compile(
    rf"(?r)[^!\"#$%&'()*+,/:;<=>?@\[\]^`{{|}}~{_JAVA_SPACE}{_SEPARATORS}\u2000-\u206f]*+"
)
# Nor does a URL hold a space or a separator: it ends where they start.
_RUN_END = re.compile(rf"[^{_JAVA_SPACE}{_SEPARATORS}]*+")

_Span = tuple[int, int, str]  # start, end, and the entity's text (a link's expanded URL)


class Extracted(NamedTuple):
    """Entities found in a text, in order of appearance."""

    hashtags: tuple[str, ...]
    mentions: tuple[MentionEntity, ...]
    symbols: tuple[str, ...]
    urls: tuple[UrlEntity, ...]


def is_hashtag(tag: str) -> bool:
    """True when twitter-text links ``#`` + ``tag`` as the hashtag ``tag``."""
    return (
        _HASHTAG_BODY.fullmatch(tag) is not None
        and tag[0] not in "\ufe0f\u20e3"
        and _HASHTAG_LETTER.search(tag) is not None
    )


def is_screen_name(name: str) -> bool:
    """True when twitter-text links ``@`` + ``name`` as a mention of ``name``."""
    return _SCREEN_NAME.fullmatch(name) is not None


def is_cashtag(symbol: str) -> bool:
    """True when twitter-text links ``$`` + ``symbol`` as the cashtag ``symbol``."""
    return _CASHTAG_ALONE.fullmatch(symbol) is not None


def _hashtags(text: str) -> list[_Span]:
    found: list[_Span] = []
    consumed = 0
    for match in _HASHTAG.finditer(text):
        start, end = match.span()
        if start:
            before = start - 1
            char = text[before]
            if before < consumed or (
                char in _NOT_BEFORE_ASCII_HASHTAG
                if char.isascii()
                else char not in _VARIATION_SELECTORS and _NOT_BEFORE_HASHTAG.match(char)
            ):
                continue
        tag = match.group(1)
        # An ASCII tag is letters, digits and "_": it has a letter if more than digits and "_".
        if not (tag.lstrip("0123456789_") if tag.isascii() else _HASHTAG_LETTER.search(tag)):
            continue
        consumed = end
        if text.startswith(("#", "＃", "://"), end):
            continue
        found.append((start, end, tag))
    return found


def _after_rt(text: str, start: int, consumed: int) -> bool:
    # "RT@jack": a retweet prefix glued to the mention ("RT:@jack" needs no rule).
    rt = start - 2
    return (
        rt >= consumed
        and text[rt:start] in ("RT", "Rt", "rT", "rt")
        and (not rt or (rt > consumed and text[rt - 1] not in _NOT_BEFORE_RT))
    )


def _mentions(text: str) -> list[_Span]:
    # A list ("@name/list") is kept, with "" for its text, for the overlap check.
    found: list[_Span] = []
    consumed = 0
    for match in _MENTION.finditer(text):
        start = match.start()
        if (
            start
            and not (start > consumed and text[start - 1] not in _NOT_BEFORE_MENTION)
            and not _after_rt(text, start, consumed)
        ):
            continue
        consumed = end = match.end()
        after = text[end : end + 1]
        if (
            after
            and (after in "@:" or not after.isascii())
            and _NOT_AFTER_MENTION.match(text, end) is not None
        ):
            continue
        found.append((match.start(1) - 1, end, "" if match.group(2) else match.group(1)))
    return found


def _cashtags(text: str) -> list[_Span]:
    return [
        (match.start(), match.end(), match.group(1))
        for match in _CASHTAG.finditer(text)
        if not match.start() or text[match.start() - 1] in _SPACES
    ]


def _valid_host(url_length: int, has_scheme: bool, host: str) -> bool:
    # Java's IDN.toASCII: every label 1 to 63 characters once punycoded, no
    # "xn--" label that is not ASCII; the whole URL (with https:// added when it
    # has no scheme) at most 4,096 characters.
    if host.isascii():
        # Labels are never empty here: the pattern takes one character at least.
        ascii_length = len(host) if max(map(len, host.split("."))) < 64 else 0
    else:
        try:
            ascii_length = len(host.encode("idna"))
        except UnicodeError:
            return False
    length = url_length + ascii_length - len(host) + (0 if has_scheme else len("https://"))
    return ascii_length > 0 and length <= _MAX_URL


def _urls(text: str) -> list[_Span]:
    found: list[_Span] = []
    consumed = 0
    for dot in _TLD_DOT.finditer(text):
        if dot.start() < consumed:
            continue
        # The leftmost URL from here on starts no earlier than this, and ends
        # before the next space, so twitter-text's search is done in that window.
        # (Before the domain's characters, at most a scheme and the character
        # that precedes the URL, 9 in all.)
        start = _BEFORE_DOT.match(text, consumed, dot.start()).start()
        run = _RUN_END.match(text, dot.start())
        end = run.end() if run is not None else len(text)  # it always matches
        match = _URL.search(text, max(start - 9, consumed), end)
        if match is None:
            consumed = end
            continue
        consumed = match.end()
        has_scheme = match.group("protocol") is not None
        if not has_scheme and match.group("before") in ("-", "_", ".", "/"):
            continue
        begin, finish = match.span("url")
        if has_scheme:
            tco = _TCO.match(text, begin, finish)
            if tco is not None:
                if len(tco.group(1)) > _MAX_TCO_SLUG:
                    continue
                finish = tco.end()
        if _valid_host(finish - begin, has_scheme, match.group("domain")):
            # A link without a scheme expands to http://, as Twitter's wrapping would.
            url = text[begin:finish]
            found.append((begin, finish, url if has_scheme else "http://" + url))
    return found


def _without_overlaps(*kinds: list[_Span]) -> list[list[_Span]]:
    # As twitter-text does: in order of start, an entity that starts before the
    # one kept last has ended is dropped (a sign inside a link, mostly).
    kept: list[list[_Span]] = [[] for _ in kinds]
    kept_end = 0
    for start, kind, span in sorted((s[0], k, s) for k, spans in enumerate(kinds) for s in spans):
        if start >= kept_end:
            kept[kind].append(span)
            kept_end = span[1]
    return kept


def _entities(text: str) -> list[list[_Span]]:
    spans = [
        _urls(text) if "." in text else [],
        _hashtags(text) if "#" in text or "＃" in text else [],
        _mentions(text) if "@" in text or "＠" in text else [],
        _cashtags(text) if "$" in text else [],
    ]
    # Only a link can overlap another entity.
    return _without_overlaps(*spans) if spans[0] and any(spans[1:]) else spans


def extract_entities(text: str) -> Extracted:
    """All entities of ``text`` as twitter-text finds them; a sign inside a link
    (``example.com/#top``) is not an entity, nor is ``@name/list``."""
    urls, hashtags, mentions, symbols = _entities(text)
    return Extracted(
        tuple([tag for _, _, tag in hashtags]),
        tuple([new_mention("", name) for _, _, name in mentions if name]),
        tuple([symbol for _, _, symbol in symbols]),
        tuple([new_url(text[start:end], expanded) for start, end, expanded in urls]),
    )


def extract_hashtags(text: str) -> tuple[str, ...]:
    """The hashtags of :func:`extract_entities`, without ``#``/``＃``; never all digits."""
    return extract_entities(text).hashtags


def extract_mentions(text: str) -> tuple[MentionEntity, ...]:
    """The mentioned screen names of :func:`extract_entities`; their ids are unknown, so empty."""
    return extract_entities(text).mentions


def extract_cashtags(text: str) -> tuple[str, ...]:
    """The cashtags of :func:`extract_entities`, without ``$``: ``AAPL``, ``BRK.A``, never ``5``."""
    return extract_entities(text).symbols


def extract_urls(text: str) -> tuple[UrlEntity, ...]:
    """Links in ``text``: ``http(s)://`` URLs, and bare domains under twitter-text's TLDs.

    ``expanded_url`` gets an ``http://`` scheme when the text had none, as
    Twitter's link wrapping would.
    """
    if "." not in text:
        return ()
    return tuple([new_url(text[start:end], expanded) for start, end, expanded in _urls(text)])


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

"""Leaves that are not ``name:value`` operators: keywords, phrases, proximity, sigils.

Each builder takes the lexer token, reports what is wrong with it, and
returns a node; after an error that node is :func:`placeholder`, so the
parse goes on to find the rule's other errors.
"""

from __future__ import annotations

import re

import regex
from lark import Token

from powertrack.rules import _messages as msg
from powertrack.rules._context import position_of, report
from powertrack.rules.ast import Cashtag, Hashtag, Keyword, Leaf, Mention, Phrase, Proximity
from powertrack.text import fold, starts_with_punctuation, tokenize
from powertrack.tweets.entities import is_cashtag, is_hashtag, is_screen_name

__all__ = [
    "cashtag",
    "hashtag",
    "keyword",
    "mention",
    "open_quote",
    "phrase",
    "placeholder",
    "proximity",
    "unquote",
]

_ESCAPE = re.compile(r"\\([\"\\])")
# #tag, @name and $TAG take what twitter-text links, so that a rule can name
# every entity a tweet may carry (docs/rule-language.md). One exception: an
# all-digit tag such as #2016, which the PowerTrack reference documents as a
# rule, though Twitter never links it as a hashtag.
_DIGITS = regex.compile(r"\p{Nd}+")
# The keycap emoji #️⃣ lexes as a hashtag; it is a keyword.
_KEYCAP_HASH = ("#\u20e3", "#\ufe0f\u20e3")
_MAX_DISTANCE = 6


def placeholder(position: int) -> Keyword:
    # Stands in for a clause with an error. It is a positive, standalone clause,
    # so it adds no error of its own (such as "no non-negation term").
    return Keyword(("\x00",), position)


def unquote(body: str) -> str:
    # Only \" and \\ are escapes, so a Windows path or a regex keeps its backslashes.
    return _ESCAPE.sub(r"\1", body) if "\\" in body else body


def keyword(token: Token) -> Leaf:
    position = position_of(token)
    word = str(token)
    if word.isascii() and word.isalnum():
        # Most keywords: exactly what tokenize() would return, much faster.
        return Keyword((word.lower(),), position)
    if not word[0].isalnum() and starts_with_punctuation(word):
        report(msg.LONE_DASH if word == "-" else msg.PUNCTUATION.format(word=word), position)
        return placeholder(position)
    tokens = tokenize(word)
    if not tokens:
        report(msg.NOTHING_TO_MATCH.format(word=word), position)
        return placeholder(position)
    return Keyword(tuple(tokens), position)


def _phrase_tokens(body: str, position: int) -> tuple[str, ...] | None:
    tokens = tokenize(unquote(body))
    if not tokens:
        report(msg.EMPTY_PHRASE, position)
        return None
    return tuple(tokens)


def phrase(token: Token) -> Leaf:
    position = position_of(token)
    tokens = _phrase_tokens(token[1:-1], position)
    return placeholder(position) if tokens is None else Phrase(tokens, position)


def proximity(token: Token) -> Leaf:
    position = position_of(token)
    split = token.rindex('"~')
    tokens = _phrase_tokens(token[1:split], position)
    distance = token[split + 2 :]
    valid = distance.isascii() and distance.isdigit() and 1 <= int(distance) <= _MAX_DISTANCE
    if not valid:
        report(msg.PROXIMITY_DISTANCE, position)
    if tokens is not None and len(tokens) < 2:
        report(msg.PROXIMITY_WORDS, position)
        tokens = None
    if tokens is None or not valid:
        return placeholder(position)
    return Proximity(tokens, int(distance), position)


def open_quote(token: Token) -> Leaf:
    report(msg.UNCLOSED_QUOTE, position_of(token))
    return placeholder(position_of(token))


def hashtag(token: Token) -> Leaf:
    if token.startswith(_KEYCAP_HASH):
        return keyword(token)
    position = position_of(token)
    tag = token[1:]
    value = fold(tag)
    if not value:
        report(msg.EMPTY_SIGIL.format(sigil="#", what="hashtag, as in #mars"), position)
    elif not is_hashtag(tag) and _DIGITS.fullmatch(tag) is None:
        report(msg.BAD_HASHTAG.format(value=str(token)), position)
    else:
        return Hashtag(value, position)
    return placeholder(position)


def mention(token: Token) -> Leaf:
    position = position_of(token)
    name = token[1:]
    if not name:
        report(msg.EMPTY_SIGIL.format(sigil="@", what="user name, as in @nasa"), position)
    elif not is_screen_name(name):  # a numeric user id is one too
        report(msg.BAD_MENTION.format(value=str(token)), position)
    else:
        return Mention(name.lower(), position)
    return placeholder(position)


def cashtag(token: Token) -> Leaf:
    position = position_of(token)
    symbol = token[1:]
    if not symbol:
        report(msg.EMPTY_SIGIL.format(sigil="$", what="symbol, as in $TWTR"), position)
    elif not is_cashtag(symbol):
        report(msg.BAD_CASHTAG.format(value=str(token)), position)
    else:
        return Cashtag(symbol.lower(), position)
    return placeholder(position)

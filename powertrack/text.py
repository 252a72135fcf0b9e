"""Text normalization and tokenization shared by rules and tweets.

Both sides of a match go through these functions, so a rule keyword and the
tweet text it should find are always cut the same way: NFC first, Unicode
case folding, then tokens that are runs of word characters (letters, marks,
digits) or single emoji. Accents are kept: ``cumpleaños`` and ``cumpleanos``
are different tokens.
"""

from __future__ import annotations

import re
import unicodedata

import regex

__all__ = [
    "STOP_WORDS",
    "fold",
    "is_emoji_token",
    "starts_with_punctuation",
    "tokenize",
    "tokenize_folded",
]

# An emoji token: a flag (two regional indicators), a keycap, or a pictographic
# base with its modifiers and zero-width-joined continuations.
_EMOJI = (
    r"[\U0001F1E6-\U0001F1FF]{2}"
    r"|[0-9#*]\uFE0F?\u20E3"
    r"|\p{Extended_Pictographic}[\uFE0F\U0001F3FB-\U0001F3FF]*"
    r"(?:\u200D\p{Extended_Pictographic}[\uFE0F\U0001F3FB-\U0001F3FF]*)*"
)
# Word characters: letters, combining marks and digits. The connector
# punctuation `_` is not a word character, so `nasa_jpl` is two tokens.
_TOKEN = regex.compile(_EMOJI + r"|[\p{L}\p{M}\p{N}]+", regex.V1)
# Folded ASCII text has no emoji and no upper case: runs of [a-z0-9] are
# exactly its tokens, and the standard library finds them several times faster.
_ASCII_TOKEN = re.compile(r"[a-z0-9]+")
_EMOJI_ONLY = regex.compile(r"(?:" + _EMOJI + r")\Z", regex.V1)

# Stop words: a rule whose only positive clauses are these is rejected.
STOP_WORDS: frozenset[str] = frozenset({
    "a", "an", "and", "at", "but", "by", "com", "from", "http", "https", "if", "in", "is",
    "it", "its", "me", "my", "or", "rt", "the", "this", "to", "too", "via", "we", "www", "you",
})  # fmt: skip


def fold(text: str) -> str:
    """NFC-normalize and case-fold ``text``; emoji variation selectors are dropped.

    Folding twice gives the same as folding once.
    """
    if text.isascii():
        return text.casefold()
    # The selector goes first: removing it can bring a base letter next to a
    # combining mark, which NFC must then compose. Case folding can undo NFC
    # (ß + U+0301 folds to s + ś's parts), hence the second normalization.
    folded = unicodedata.normalize("NFC", text.replace("\ufe0f", "")).casefold()
    if not unicodedata.is_normalized("NFC", folded):
        folded = unicodedata.normalize("NFC", folded)
    return folded


def tokenize_folded(folded: str) -> list[str]:
    """Tokens of text that is already folded by :func:`fold`."""
    if folded.isascii():
        return _ASCII_TOKEN.findall(folded)
    return _TOKEN.findall(folded)  # type: ignore[no-any-return]


def tokenize(text: str) -> list[str]:
    """Fold ``text`` and cut it into tokens."""
    return tokenize_folded(fold(text))


def is_emoji_token(token: str) -> bool:
    """True when ``token`` is a single emoji (possibly a modified or joined sequence)."""
    return _EMOJI_ONLY.match(token) is not None


def starts_with_punctuation(word: str) -> bool:
    """True when ``word`` starts with punctuation or a symbol that is not an emoji."""
    if not word:
        return False
    match = _TOKEN.match(fold(word))
    if match is not None and match.start() == 0:
        return False
    return unicodedata.category(word[0])[0] in "PS"

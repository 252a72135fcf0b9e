"""The compiled tokenizer and folding treat text exactly as powertrack.text does."""

from __future__ import annotations

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from powertrack.index import _cindex, _ctext  # not built: an error, never a skip
from powertrack.text import fold, tokenize_folded
from tests.tweets import corpus

# What the tokenizer treats apart: ASCII words and digits, keycaps (a digit,
# '#' or '*', a variation selector, U+20E3), regional-indicator flags,
# pictographs with skin-tone modifiers and joiners, combining marks, letters
# of other scripts, punctuation and spaces.
_PIECES = st.sampled_from(
    [
        "a", "Z", "7", "_", "#", "*", "@", "$", "'", "-", ".", " ", "\n",
        "\ufe0f", "\u20e3", "\u200d", "\U0001f3fd", "\U0001f1fa", "\U0001f1f8",
        "❤", "\U0001f600", "\U0001f469", "e\u0301", "ß", "İ", "東京", "عربي",
        "ไทย", "\u3000", "ｆｕｌｌ", "1\ufe0f\u20e3", "#\u20e3", "*\ufe0f\u20e3",
    ]
)  # fmt: skip


@settings(max_examples=2000)
@given(st.lists(_PIECES, max_size=24).map("".join))
def test_tokens_agree_on_generated_text(text: str) -> None:
    folded = fold(text)
    assert _ctext.tokens(folded) == tokenize_folded(folded)


# Text whose code points all lie below 256 takes the one-byte ways of the
# tokenizer and of folding: letters, digits and marks of Latin-1, its
# pictographs (U+00A9, U+00AE), its other signs and spaces.
_LATIN1 = st.sampled_from(
    [
        "a", "Z", "7", "#", "*", " ", "-", "\n", "©", "®", "ß", "é", "ÿ", "µ", "ª", "º",
        "²", "¼", "×", "÷", "¿", "\xa0", "\xad", "·", "À", "Ö", "É", "Þ", "Ð", "´", "¨",
    ]
)  # fmt: skip


@settings(max_examples=2000)
@given(st.lists(_LATIN1, max_size=24).map("".join), st.integers(0, 40))
def test_latin1_tokens_and_hashes_agree(text: str, family: int) -> None:
    folded = fold(text)
    assert _cindex.fold_text(text) == folded
    tokens = tokenize_folded(folded)
    assert _ctext.tokens(folded) == tokens
    assert _ctext.token_hashes(folded, family) == [_ctext.key_hash(family, t) for t in tokens]


def test_tokens_agree_on_the_corpus_texts() -> None:
    for name in (corpus.V11, corpus.V2):
        for line in corpus.lines(name)[::5]:
            document = orjson.loads(line)
            status = document.get("data", document)
            text = status.get("text") if isinstance(status, dict) else None
            if isinstance(text, str):
                folded = fold(text)
                assert _ctext.tokens(folded) == tokenize_folded(folded), text


@settings(max_examples=2000)
@given(st.one_of(st.lists(_PIECES, max_size=24).map("".join), st.text(max_size=40)))
def test_folding_agrees_on_generated_text(text: str) -> None:
    assert _cindex.fold_text(text) == fold(text)


def test_folding_agrees_on_the_corpus_names() -> None:
    for line in corpus.lines(corpus.V11)[::5]:
        document = orjson.loads(line)
        for value in (document.get("text"), (document.get("user") or {}).get("name")):
            if isinstance(value, str):
                assert _cindex.fold_text(value) == fold(value), value

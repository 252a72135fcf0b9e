"""Tokenization and folding shared by rules and tweets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from powertrack.text import (
    _TOKEN,
    STOP_WORDS,
    fold,
    is_emoji_token,
    starts_with_punctuation,
    tokenize,
)


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Hello, WORLD!", ["hello", "world"]),
        ("coca-cola", ["coca", "cola"]),
        ("#Mars @NASA_JPL $TWTR", ["mars", "nasa", "jpl", "twtr"]),
        ("cumpleaños", ["cumpleaños"]),
        ("Straße", ["strasse"]),
        ("ＡＢＣ", ["ａｂｃ"]),
        ("2016election", ["2016election"]),
        ("I ❤️ NY", ["i", "❤", "ny"]),
        ("😀😀", ["😀", "😀"]),
        ("👍🏽ok", ["👍🏽", "ok"]),
        ("👨\u200d👩\u200d👧", ["👨\u200d👩\u200d👧"]),
        ("go 🇺🇸!", ["go", "🇺🇸"]),
        ("नमस्ते दुनिया", ["नमस्ते", "दुनिया"]),
        ("東京タワー", ["東京タワー"]),
        ("", []),
        ("...", []),
    ],
)
def test_tokenize(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


def test_nfc_makes_composed_and_decomposed_accents_equal() -> None:
    assert tokenize("cafe\u0301") == tokenize("café") == ["café"]


def test_accents_are_significant() -> None:
    assert tokenize("cumpleaños") != tokenize("cumpleanos")


def test_fold_drops_emoji_variation_selector() -> None:
    assert fold("❤️") == "❤"


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_fast_path_agrees_with_unicode_pattern(text: str) -> None:
    folded = fold(text)
    assert tokenize(text) == _TOKEN.findall(folded)


@pytest.mark.parametrize(
    ("word", "expected"),
    [("#x", True), (".net", True), ("(a", True), ("😀", False), ("abc", False), ("é", False)],
)
def test_starts_with_punctuation(word: str, expected: bool) -> None:
    assert starts_with_punctuation(word) is expected


def test_emoji_tokens() -> None:
    assert is_emoji_token("😀")
    assert is_emoji_token("👍🏽")
    assert not is_emoji_token("a")
    assert not is_emoji_token("😀a")


def test_stop_words_are_folded_tokens() -> None:
    assert all(tokenize(word) == [word] for word in STOP_WORDS)


@given(st.text(alphabet=st.sampled_from("ae\u0301\ufe0f\u20e3❤ß")))
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)

"""Extraction from text agrees with twitter-text's conformance suite.

The cases are in twitter_text/cases.yaml (copied from twitter-text, with the
source named there); the top-level domains in twitter_text/tld_lib.yml, from
which scripts/make_tlds.py generates powertrack/tweets/_tlds.py.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from powertrack.tweets import _tlds
from powertrack.tweets.entities import (
    extract_cashtags,
    extract_entities,
    extract_hashtags,
    extract_mentions,
    extract_urls,
    is_cashtag,
    is_hashtag,
    is_screen_name,
)

HERE = Path(__file__).resolve().parent
CASES: dict[str, Any] = yaml.safe_load((HERE / "twitter_text" / "cases.yaml").read_text("utf-8"))
EXTRACT: dict[str, list[list[Any]]] = CASES["extract"]
VALIDATE: dict[str, list[list[Any]]] = CASES["validate"]
SCRIPT = HERE.parents[1] / "scripts" / "make_tlds.py"


def _cases(*sections: str) -> list[Any]:
    return [
        pytest.param(text, expected, id=f"{section}-{index}")
        for section in sections
        for index, (text, expected) in enumerate(EXTRACT[section])
    ]


@pytest.mark.parametrize(("text", "expected"), _cases("mentions", "mentions_with_indices"))
def test_mentions(text: str, expected: list[str]) -> None:
    assert [mention.screen_name for mention in extract_mentions(text)] == expected
    assert all(mention.id == "" for mention in extract_mentions(text))


@pytest.mark.parametrize(("text", "expected"), _cases("mentions_or_lists_with_indices"))
def test_a_list_is_no_mention(text: str, expected: list[list[str]]) -> None:
    assert [mention.screen_name for mention in extract_mentions(text)] == [
        name for name, list_slug in expected if not list_slug
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    _cases("urls", "urls_with_indices", "urls_with_directional_markers", "tco_urls_with_params"),
)
def test_urls(text: str, expected: list[str]) -> None:
    assert [url.url for url in extract_urls(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"), _cases("hashtags", "hashtags_from_astral", "hashtags_with_indices")
)
def test_hashtags(text: str, expected: list[str]) -> None:
    assert list(extract_hashtags(text)) == expected


@pytest.mark.parametrize(("text", "expected"), _cases("cashtags", "cashtags_with_indices"))
def test_cashtags(text: str, expected: list[str]) -> None:
    assert list(extract_cashtags(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    _cases(
        "mentions",
        "urls",
        "urls_with_directional_markers",
        "tco_urls_with_params",
        "hashtags",
        "cashtags",
    ),
)
def test_all_entities_at_once_are_the_same(text: str, expected: list[str]) -> None:
    # The per-kind functions and extract_entities read one text the same way.
    found = extract_entities(text)
    assert found.hashtags == extract_hashtags(text)
    assert found.mentions == extract_mentions(text)
    assert found.symbols == extract_cashtags(text)
    assert found.urls == extract_urls(text)


@pytest.mark.parametrize(
    ("text", "valid"), [pytest.param(*case, id=case[0]) for case in VALIDATE["usernames"]]
)
def test_valid_usernames(text: str, valid: bool) -> None:
    assert is_screen_name(text[1:]) is valid


@pytest.mark.parametrize(
    ("text", "valid"), [pytest.param(*case, id=case[0]) for case in VALIDATE["hashtags"]]
)
def test_valid_hashtags(text: str, valid: bool) -> None:
    assert is_hashtag(text[1:]) is valid


def test_valid_cashtags_are_what_extraction_finds() -> None:
    # validate.yml has no cashtag section; extraction is the reference.
    for _, expected in EXTRACT["cashtags"]:
        assert all(is_cashtag(symbol) for symbol in expected)
    assert not is_cashtag("TOOLONG")
    assert not is_cashtag("AB.CDE")


# tlds.yml: every top-level domain of tld_lib.yml is linked after a scheme.
@pytest.mark.parametrize("tld", [*_tlds.COUNTRY, *_tlds.GENERIC])
def test_every_tld_is_linked(tld: str) -> None:
    url = f"https://twitter.{tld}"
    assert [found.url for found in extract_urls(url)] == [url]


@pytest.fixture(scope="module")
def make_tlds() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_tlds", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tlds_module_is_generated_from_tld_lib(make_tlds: ModuleType) -> None:
    module = Path(_tlds.__file__).read_text(encoding="utf-8")
    assert module == make_tlds.render(), (
        "powertrack/tweets/_tlds.py is out of date: run .venv/bin/python scripts/make_tlds.py"
    )
    source = yaml.safe_load((HERE / "twitter_text" / "tld_lib.yml").read_text("utf-8"))
    assert list(_tlds.COUNTRY) == source["country"]
    assert list(_tlds.GENERIC) == source["generic"]


def test_check_mode_reports_a_stale_module(
    make_tlds: ModuleType,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stale = tmp_path / "_tlds.py"
    stale.write_text('COUNTRY = ("com",)\n', encoding="utf-8")
    monkeypatch.setattr(make_tlds, "MODULE_PATH", stale)
    assert make_tlds.main(["--check"]) == 1
    assert "out of date" in capsys.readouterr().err
    assert make_tlds.main([]) == 0
    assert make_tlds.main(["--check"]) == 0

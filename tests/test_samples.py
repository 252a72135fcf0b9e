"""The sample rules and tweets shipped inside the package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

import powertrack
from powertrack.rules.parser import parse_rule
from powertrack.samples import sample_rules_path, sample_tweets_path
from powertrack.tweets.model import Tweet

REPO = Path(__file__).resolve().parents[1]


def _lines(path: Path) -> list[dict[str, Any]]:
    docs = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    assert all(isinstance(doc, dict) for doc in docs)
    return docs


@pytest.fixture(scope="module")
def rules() -> list[dict[str, Any]]:
    return _lines(sample_rules_path())


@pytest.fixture(scope="module")
def tweets() -> list[dict[str, Any]]:
    return _lines(sample_tweets_path())


def test_samples_are_files_inside_the_package() -> None:
    package = Path(powertrack.__file__).resolve().parent / "samples"
    for path in (sample_rules_path(), sample_tweets_path()):
        assert path.is_file()
        assert path.resolve().parent == package


def test_rules_are_well_formed_with_unique_ids(rules: list[dict[str, Any]]) -> None:
    assert len(rules) >= 50
    for rule in rules:
        assert set(rule) == {"id", "value", "tag"}
        assert rule["id"].isdigit()
        assert int(rule["id"]) < 2**63
        assert isinstance(rule["value"], str)
        assert rule["tag"] is None or isinstance(rule["tag"], str)
    assert len({rule["id"] for rule in rules}) == len(rules)
    assert len({rule["value"] for rule in rules}) == len(rules)


def test_every_sample_rule_parses(rules: list[dict[str, Any]]) -> None:
    for rule in rules:
        parse_rule(rule["value"])


def test_tweets_are_mostly_v11_with_some_v2(tweets: list[dict[str, Any]]) -> None:
    v2 = [t for t in tweets if "data" in t]
    v11 = [t for t in tweets if "id_str" in t and "user" in t]
    assert len(v2) + len(v11) == len(tweets)
    assert 1500 <= len(tweets) <= 2500
    assert len(v2) / len(tweets) == pytest.approx(0.1, abs=0.02)
    assert all("includes" in t and "users" in t["includes"] for t in v2)
    assert len({t["id_str"] for t in v11} | {t["data"]["id"] for t in v2}) == len(tweets)


def test_a_good_share_of_sample_tweets_match(
    rules: list[dict[str, Any]], tweets: list[dict[str, Any]]
) -> None:
    parsed = [parse_rule(rule["value"]) for rule in rules]
    views = [Tweet.from_json(tweet) for tweet in tweets]
    matched = [any(rule.matches(view) for rule in parsed) for view in views]
    assert sum(matched) / len(views) > 0.4
    unmatched = [rule.text for rule in parsed if not any(rule.matches(view) for view in views)]
    assert not unmatched


@pytest.mark.skipif(
    not (REPO / "scripts" / "make_samples.py").is_file(), reason="needs the source tree"
)
def test_samples_are_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "make_samples.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr + "\nrun: python scripts/make_samples.py"

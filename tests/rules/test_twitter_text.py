"""#tag, @name and $TAG take what twitter-text links, and match it.

Every hashtag, mention and cashtag of twitter-text's conformance cases
(tests/tweets/twitter_text/cases.yaml) is a valid rule that matches a tweet
carrying it, in its entities or only in its text; validate.yml's username and
hashtag cases decide the rule syntax, except where cases.yaml says otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from powertrack import RuleIndex, Tweet
from powertrack.rules.ast import Cashtag, Hashtag, Mention
from powertrack.rules.parser import parse_rule, validate_rule
from powertrack.text import fold
from powertrack.tweets.model import MentionEntity, User

CASES: dict[str, Any] = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "tweets" / "twitter_text" / "cases.yaml").read_text(
        "utf-8"
    )
)
EXTRACT: dict[str, list[list[Any]]] = CASES["extract"]
RULES_ACCEPTED = {rule for item in CASES["not_followed"] for rule in item.get("rules_accepted", [])}
AUTHOR = User("12", "someone")

# Issue 11: rejected before ("hashtags contain only letters, digits and underscores").
ISSUE_HASHTAGS = ("各〃", "メ～テレ", "メ〜テレ", "עַל־יְדֵי", "וכו׳")


def _entities(*sections: str) -> list[str]:
    found = {
        entity for section in sections for _, expected in EXTRACT[section] for entity in expected
    }
    return sorted(found)


HASHTAGS = _entities("hashtags", "hashtags_from_astral", "hashtags_with_indices")
SCREEN_NAMES = _entities("mentions", "mentions_with_indices")
SYMBOLS = _entities("cashtags", "cashtags_with_indices")


def _posted(text: str) -> Tweet:
    # No "entities": they come from the text.
    return Tweet.from_json({"id_str": "1", "text": text, "user": {"id_str": "12"}})


@pytest.mark.parametrize("tag", ISSUE_HASHTAGS)
def test_the_hashtags_of_the_issue_parse_and_match(tag: str) -> None:
    rule = parse_rule("#" + tag)
    assert rule.root == Hashtag(fold(tag))
    assert rule.matches(Tweet(id="1", text="x", author=AUTHOR, hashtags=(tag,)))
    assert rule.matches(_posted(f"見て #{tag} ね"))
    assert not rule.matches(_posted(f"見て {tag} ね"))


@pytest.mark.parametrize("text", ["a ✌\ufe0e#hashtag here", "a ✌\ufe0f#hashtag here"])
def test_a_hashtag_after_an_emoji_with_a_variation_selector_matches(text: str) -> None:
    assert parse_rule("#hashtag").matches(_posted(text))


@pytest.mark.parametrize("tag", HASHTAGS)
def test_every_conformance_hashtag_is_a_rule_that_matches_it(tag: str) -> None:
    rule = parse_rule("#" + tag)
    assert rule.root == Hashtag(fold(tag))
    assert rule.matches(Tweet(id="1", text="x", author=AUTHOR, hashtags=(tag,)))
    assert rule.matches(_posted(f"I say #{tag} too"))


@pytest.mark.parametrize("name", SCREEN_NAMES)
def test_every_conformance_mention_is_a_rule_that_matches_it(name: str) -> None:
    rule = parse_rule("@" + name)
    assert rule.root == Mention(name.lower())
    assert rule.matches(Tweet(id="1", text="x", author=AUTHOR, mentions=(MentionEntity("", name),)))
    assert rule.matches(_posted(f"hi @{name} there"))


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_every_conformance_cashtag_is_a_rule_that_matches_it(symbol: str) -> None:
    rule = parse_rule("$" + symbol)
    assert rule.root == Cashtag(symbol.lower())
    assert rule.matches(Tweet(id="1", text="x", author=AUTHOR, symbols=(symbol,)))
    assert rule.matches(_posted(f"long ${symbol} now"))


@pytest.mark.parametrize(
    ("text", "valid"),
    [pytest.param(*case, id=case[0]) for case in CASES["validate"]["usernames"]],
)
def test_validate_usernames_as_rules(text: str, valid: bool) -> None:
    assert (validate_rule(text) == []) is valid


@pytest.mark.parametrize(
    ("text", "valid"),
    [pytest.param(*case, id=case[0]) for case in CASES["validate"]["hashtags"]],
)
def test_validate_hashtags_as_rules(text: str, valid: bool) -> None:
    assert (validate_rule(text) == []) is (valid or text in RULES_ACCEPTED)


def test_the_one_exception_is_an_all_digit_hashtag() -> None:
    # #2016 is the PowerTrack reference's own example; it matches entities only.
    assert sorted(RULES_ACCEPTED) == ["#12345"]
    rule = parse_rule("#2016")
    assert rule.matches(Tweet(id="1", text="x", author=AUTHOR, hashtags=("2016",)))
    assert not rule.matches(_posted("in #2016 we"))
    assert parse_rule("#２０１６").root == Hashtag("２０１６")


@pytest.mark.parametrize(
    ("rule", "fragment"),
    [
        # No letter, and not all digits.
        ("#_", "Invalid hashtag '#_'"),
        ("#1_2", "Invalid hashtag '#1_2'"),
        ("#〃", "Invalid hashtag '#〃'"),
        # Punctuation twitter-text does not keep in a hashtag.
        ("#coca-cola", "quote it as a phrase"),
        ("#a.b", "Invalid hashtag '#a.b'"),
        ("#Ⅻ", "Invalid hashtag '#Ⅻ'"),  # a letter number, not a letter
        ("#\ufe0fabc", "Invalid hashtag"),
        # Up to 20 characters, ASCII only (the Kelvin sign lowers to k).
        ("@abcdefghijklmnopqrstu", "1 to 20 letters, digits or underscores"),
        ("@\u212a", "Invalid mention"),
        ("@jack/list", "Invalid mention '@jack/list'"),
        ("$\u212a", "Invalid cashtag"),
        ("$AB.CDE", "Invalid cashtag '$AB.CDE'"),
    ],
)
def test_what_twitter_text_does_not_link_is_rejected(rule: str, fragment: str) -> None:
    errors = validate_rule(rule)
    assert len(errors) == 1
    assert fragment in errors[0][0]
    assert "only letters, digits and underscores" not in errors[0][0]


def test_a_numeric_user_id_of_20_digits_is_a_mention() -> None:
    assert parse_rule("@18446744073709551615").root == Mention("18446744073709551615")


def test_the_index_matches_the_issue_hashtags() -> None:
    index: RuleIndex[str] = RuleIndex()
    for tag in ISSUE_HASHTAGS:
        index.add(tag, parse_rule("#" + tag))
    index.add("hashtag", "#hashtag")
    tweet = _posted("#各〃 #メ～テレ and a ✌\ufe0f#hashtag here")
    assert sorted(index.match(tweet)) == sorted(["各〃", "メ～テレ", "hashtag"])
    carrying = Tweet(id="1", text="x", author=AUTHOR, hashtags=("עַל־יְדֵי", "וכו׳", "メ〜テレ"))
    assert sorted(index.match(carrying)) == sorted(["עַל־יְדֵי", "וכו׳", "メ〜テレ"])

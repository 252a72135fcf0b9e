"""RuleIndex: the API, exact answers on real tweets, and changes while matching."""

from __future__ import annotations

import gzip
import threading
from pathlib import Path

import pytest

from powertrack import RuleIndex, RuleSyntaxError, Tweet, TweetFormatError, parse_rule
from powertrack.rules.ast import And, Keyword, Not, Sample
from powertrack.rules.rule import Rule
from powertrack.tweets.model import User

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _tweet(text: str, **fields: object) -> Tweet:
    return Tweet(id="1", text=text, author=User("12", "nasa"), **fields)  # type: ignore[arg-type]


def test_add_match_replace_remove() -> None:
    index: RuleIndex[str] = RuleIndex()
    index.add("a", "mars rover")
    index.add("b", parse_rule("#mars OR from:nasa"))
    assert sorted(index.match(_tweet("the mars rover"))) == ["a", "b"]
    index.add("a", "moon")
    assert index.match(_tweet("the mars rover")) == ["b"]
    assert len(index) == 2
    assert "a" in index
    index.remove("b")
    assert index.match(_tweet("the mars rover")) == []
    with pytest.raises(KeyError):
        index.remove("b")
    assert index.discard("a") is True
    assert index.discard("a") is False
    assert len(index) == 0
    assert index.stats().postings == 0


def test_bad_rule_text_raises_and_changes_nothing() -> None:
    index: RuleIndex[int] = RuleIndex()
    with pytest.raises(RuleSyntaxError) as raised:
        index.add(1, "apple AND pie")
    assert raised.value.errors[0][1] == 7
    assert len(index) == 0


def test_rules_without_an_indexable_path_are_still_matched() -> None:
    index: RuleIndex[str] = RuleIndex()
    index.add("odd", Rule("", And((Sample(100), Not(Keyword(("rain",)))))))
    assert index.stats().unindexed_rules == 1
    assert index.match(_tweet("sunny")) == ["odd"]
    assert index.match(_tweet("rain again")) == []


def test_candidates_are_few_for_selective_rules() -> None:
    index: RuleIndex[int] = RuleIndex()
    for number in range(2000):
        index.add(number, f"word{number} common")
    tweet = _tweet("word7 and common things")
    assert index.match(tweet) == [7]
    assert index.candidates(tweet) == 1


def _corpus(limit: int) -> list[Tweet]:
    tweets = []
    with gzip.open(DATA / "tweets-v11.jsonl.gz") as lines:
        for number, line in enumerate(lines):
            if number >= limit:
                break
            try:
                tweets.append(Tweet.from_json(line))
            except TweetFormatError:
                continue
    return tweets


_REAL_RULES = [
    "ferguson -is:retweet",
    "charlie hebdo",
    '"je suis charlie"',
    '"police shooting"~3',
    "#ferguson OR #mikebrown",
    "has:media (paris OR police)",
    "contains:hebd lang:en",
    "url:bbc",
    "url_contains:cnn.com",
    "@AP OR @Reuters",
    "bio:journalist",
    "place_country:US has:geo paris",
    "followers_count:100000 news",
    "is:reply (police OR shooting)",
    "is:quote ferguson",
    "sample:50 police",
    "source:iphone police",
]


def test_index_agrees_with_reference_on_real_tweets() -> None:
    tweets = _corpus(3000)
    rules = [parse_rule(text) for text in _REAL_RULES]
    index: RuleIndex[int] = RuleIndex(learn_every=1, rebalance_every=64)
    for number, rule in enumerate(rules):
        index.add(number, rule)
    hits = 0
    for tweet in tweets:
        expected = {number for number, rule in enumerate(rules) if rule.matches(tweet)}
        assert set(index.match(tweet)) == expected, tweet.id
        hits += len(expected)
    assert hits > 300


def test_rules_change_while_another_thread_matches() -> None:
    tweets = _corpus(400)
    index: RuleIndex[int] = RuleIndex(learn_every=1, rebalance_every=8)
    stable = parse_rule("police OR ferguson")
    index.add(-1, stable)
    errors: list[BaseException] = []
    done = threading.Event()

    def churn() -> None:
        try:
            for round_ in range(30):
                for number in range(50):
                    index.add(number, f"word{number}x{round_} OR #tag{number}")
                for number in range(50):
                    index.remove(number)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            done.set()

    worker = threading.Thread(target=churn)
    worker.start()
    while not done.is_set():
        for tweet in tweets:
            assert (-1 in index.match(tweet)) == stable.matches(tweet)
    worker.join()
    assert errors == []
    assert list(index) == [-1]
    # Nothing was lost or left behind in the postings: "police OR ferguson" has two keys.
    assert index.stats().postings == 2


def test_learning_moves_rules_off_keys_that_turn_out_common() -> None:
    index: RuleIndex[int] = RuleIndex(learn_every=1, rebalance_every=64)
    emoji = [chr(0x1F600 + offset) for offset in range(40)]
    for number, symbol in enumerate(emoji):
        # "of" and one emoji have the same prior: the tie goes to "of".
        index.add(number, f"of {symbol}")
    common = _tweet("one of many")
    assert index.candidates(common) == 40
    for _ in range(300):
        assert index.match(common) == []
    assert index.candidates(common) == 0
    assert index.match(_tweet(f"best of {emoji[3]}")) == [3]

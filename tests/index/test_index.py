"""RuleIndex, both implementations: the API, exact answers on real tweets, changes
while matching."""

from __future__ import annotations

import gc
import gzip
import random
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from powertrack import RuleSyntaxError, Tweet, TweetFormatError, parse_rule
from powertrack.index.protocol import Matcher
from powertrack.rules import codec
from powertrack.rules.ast import And, Keyword, Not, Sample
from powertrack.rules.rule import Rule
from powertrack.tweets.model import User
from tests.index.implementations import IMPLEMENTATIONS

Make = Callable[..., Matcher[Any]]

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _tweet(text: str, **fields: object) -> Tweet:
    return Tweet(id="1", text=text, author=User("12", "nasa"), **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("make", IMPLEMENTATIONS)
def test_add_match_replace_remove(make: Make) -> None:
    index: Matcher[str] = make()
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


@pytest.mark.parametrize("make", IMPLEMENTATIONS)
def test_bad_rule_text_raises_and_changes_nothing(make: Make) -> None:
    index: Matcher[int] = make()
    with pytest.raises(RuleSyntaxError) as raised:
        index.add(1, "apple AND pie")
    assert raised.value.errors[0][1] == 7
    assert len(index) == 0


@pytest.mark.parametrize("make", IMPLEMENTATIONS)
def test_rules_without_an_indexable_path_are_still_matched(
    make: Make,
) -> None:
    index: Matcher[str] = make()
    index.add("odd", Rule("", And((Sample(100), Not(Keyword(("rain",)))))))
    assert index.stats().unindexed_rules == 1
    assert index.match(_tweet("sunny")) == ["odd"]
    assert index.match(_tweet("rain again")) == []


@pytest.mark.parametrize("make", IMPLEMENTATIONS)
def test_candidates_are_few_for_selective_rules(make: Make) -> None:
    index: Matcher[int] = make()
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


@pytest.mark.parametrize("make", IMPLEMENTATIONS)
def test_index_agrees_with_reference_on_real_tweets(make: Make) -> None:
    tweets = _corpus(3000)
    rules = [parse_rule(text) for text in _REAL_RULES]
    index: Matcher[int] = make(learn_every=1, rebalance_every=64)
    for number, rule in enumerate(rules):
        index.add(number, rule)
    hits = 0
    for tweet in tweets:
        expected = {number for number, rule in enumerate(rules) if rule.matches(tweet)}
        assert set(index.match(tweet)) == expected, tweet.id
        index.maintain()
        hits += len(expected)
    assert hits > 300


@pytest.mark.parametrize("make", IMPLEMENTATIONS)
def test_many_substring_rules_agree_with_reference(make: Make) -> None:
    # Substrings of real texts and links, 1 to 5 characters, word-like or
    # not, ASCII or not: thousands of n-gram keys, so the compiled index's
    # n-gram table grows several times while they are added.
    chance = random.Random(5)
    tweets = _corpus(700)
    texts = [tweet.text for tweet in tweets if tweet.text]
    links = [url.expanded_url for tweet in tweets for url in tweet.urls if url.expanded_url]
    values: set[tuple[str, str]] = set()
    while len(values) < 1500:
        url = chance.random() < 0.2
        source = chance.choice(links if url else texts)
        size = chance.randint(1, 5)
        start = chance.randrange(max(1, len(source) - size))
        value = source[start : start + size]
        if value.strip() and '"' not in value and "\\" not in value:
            values.add(("url_contains" if url else "contains", value))
    rules = [parse_rule(f'{op}:"{value}"') for op, value in sorted(values)]
    index: Matcher[int] = make()
    for number, rule in enumerate(rules):
        index.add(number, rule)
    hits = 0
    for tweet in tweets[:400]:
        expected = {number for number, rule in enumerate(rules) if rule.matches(tweet)}
        assert set(index.match(tweet)) == expected, tweet.id
        hits += len(expected)
    assert hits > 4000


@pytest.mark.parametrize("make", IMPLEMENTATIONS)
def test_rules_change_while_another_thread_matches(make: Make) -> None:
    tweets = _corpus(400)
    index: Matcher[int] = make(learn_every=1, rebalance_every=8)
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
                index.maintain()
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


@pytest.mark.parametrize("make", IMPLEMENTATIONS)
def test_learning_moves_rules_off_keys_that_turn_out_common(
    make: Make,
) -> None:
    index: Matcher[int] = make(learn_every=1, rebalance_every=64)
    emoji = [chr(0x1F600 + offset) for offset in range(40)]
    for number, symbol in enumerate(emoji):
        # "of" and one emoji have the same prior: the tie goes to "of".
        index.add(number, f"of {symbol}")
    common = _tweet("one of many")
    assert index.candidates(common) == 40
    for _ in range(300):
        assert index.match(common) == []
        index.maintain()
    assert index.candidates(common) == 0
    assert index.match(_tweet(f"best of {emoji[3]}")) == [3]


@pytest.mark.parametrize("make", IMPLEMENTATIONS)
def test_rules_come_as_text_rule_or_compiled_form(make: Make) -> None:
    index: Matcher[str] = make()
    text = 'from:nasa (#mars OR "perseverance rover") -is:retweet'
    index.add("text", text)
    index.add("rule", parse_rule(text))
    index.add("code", codec.encode(parse_rule(text).root))
    tweet = _tweet("the perseverance rover lands")
    assert sorted(index.match(tweet)) == ["code", "rule", "text"]
    assert index.match(_tweet("the perseverance rover", retweeted=tweet)) == []
    with pytest.raises(codec.RuleCodeError):
        index.add("bad", b'[999, ["k", "a"]]')
    assert "bad" not in index


@pytest.mark.parametrize("make", IMPLEMENTATIONS)
def test_add_many_is_add_one_by_one(make: Make) -> None:
    texts = [f"word{number} OR #tag{number % 7}" for number in range(600)]
    one_by_one: Matcher[int] = make()
    for number, text in enumerate(texts):
        one_by_one.add(number, text)
    at_once: Matcher[int] = make()
    at_once.add_many(enumerate(texts))
    # Replacing and removing afterwards works the same on both.
    for index in (one_by_one, at_once):
        index.add_many([(3, "word5"), (4, "nothing")])
        index.remove(10)
    assert len(one_by_one) == len(at_once) == 599
    for text in ("word3 #tag3", "word5 and word10", "#tag6 word4"):
        assert sorted(one_by_one.match(_tweet(text, hashtags=("tag3", "tag6")))) == sorted(
            at_once.match(_tweet(text, hashtags=("tag3", "tag6")))
        )
    assert sorted(at_once.match(_tweet("word5 word10"))) == [3, 5]


@pytest.mark.parametrize("make", IMPLEMENTATIONS)
def test_match_json_is_match_of_the_parsed_tweet(make: Make) -> None:
    index: Matcher[int] = make()
    for number, text in enumerate(_REAL_RULES):
        index.add(number, text)
    with gzip.open(DATA / "tweets-v11.jsonl.gz") as lines:
        for number, line in enumerate(lines):
            if number >= 1000:
                break
            tweet = Tweet.from_json(line)
            assert sorted(index.match_json(line)) == sorted(index.match(tweet))
            tweet_id, matched = index.match_json_id(line)
            assert tweet_id == tweet.id
            assert sorted(matched) == sorted(index.match(tweet))
    with pytest.raises(TweetFormatError):
        index.match_json(b'{"delete": {}}')
    with pytest.raises(TweetFormatError):
        index.match_json_id(b'{"delete": {}}')


@pytest.mark.parametrize("make", IMPLEMENTATIONS)
def test_add_many_leaves_the_cyclic_collector_as_it_found_it(make: Make) -> None:
    index: Matcher[int] = make()
    assert gc.isenabled()
    index.add_many([(1, "alpha beta"), (2, "#gamma")])
    assert gc.isenabled()
    gc.disable()
    try:
        index.add_many([(3, "delta")])
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(RuleSyntaxError):
        index.add_many([(4, "epsilon"), (5, "(unclosed")])
    assert gc.isenabled()
    assert sorted(index.match(_tweet("alpha beta delta", hashtags=("gamma",)))) == [1, 2, 3]

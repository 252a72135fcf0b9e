"""Both index implementations return exactly what the brute-force evaluator returns."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from powertrack.index.features import all_keys
from powertrack.index.protocol import Matcher
from powertrack.index.pyindex import PyRuleIndex
from powertrack.index.selectivity import FrequencyModel
from powertrack.index.view import TweetView
from powertrack.rules import codec
from powertrack.rules.ast import Node
from powertrack.rules.evaluate import evaluate
from powertrack.rules.rule import Rule
from powertrack.tweets.model import Tweet
from tests.index.implementations import IMPLEMENTATIONS
from tests.strategies import rule_nodes
from tests.tweet_strategies import tweets

_SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Make = Callable[..., Matcher[Any]]


def _brute_force(rules: list[Node], tweet: Tweet) -> set[int]:
    return {rule_id for rule_id, node in enumerate(rules) if evaluate(node, tweet)}


def _index(make: Make, rules: list[Node], **options: int) -> Matcher[int]:
    index: Matcher[int] = make(**options)
    for rule_id, node in enumerate(rules):
        index.add(rule_id, Rule("", node))
    return index


@pytest.mark.parametrize("make", IMPLEMENTATIONS)
@_SETTINGS
@given(st.lists(rule_nodes(), min_size=1, max_size=12), st.lists(tweets(), min_size=1, max_size=6))
def test_index_matches_brute_force(make: Make, rules: list[Node], batch: list[Tweet]) -> None:
    index = _index(make, rules, learn_every=16)
    for tweet in batch:
        assert set(index.match(tweet)) == _brute_force(rules, tweet)
        index.maintain()


@pytest.mark.parametrize("make", IMPLEMENTATIONS)
@_SETTINGS
@given(rule_nodes(), tweets())
def test_single_rule_agrees_with_evaluator(make: Make, rule: Node, tweet: Tweet) -> None:
    index = _index(make, [rule])
    assert (index.match(tweet) == [0]) == evaluate(rule, tweet)


@pytest.mark.parametrize("make", IMPLEMENTATIONS)
@_SETTINGS
@given(rule_nodes(), tweets())
def test_compiled_form_matches_like_the_rule(make: Make, rule: Node, tweet: Tweet) -> None:
    index: Matcher[int] = make()
    index.add(0, codec.encode(rule))
    assert (index.match(tweet) == [0]) == evaluate(rule, tweet)


@pytest.mark.parametrize("make", IMPLEMENTATIONS)
@_SETTINGS
@given(
    st.lists(rule_nodes(), min_size=2, max_size=10),
    st.lists(tweets(), min_size=1, max_size=4),
    st.data(),
)
def test_index_agrees_after_removals_and_rebalancing(
    make: Make, rules: list[Node], batch: list[Tweet], data: st.DataObject
) -> None:
    # Learn from every tweet and rebalance constantly, so rules move between
    # keys while the answer must not change.
    index = _index(make, rules, learn_every=1, rebalance_every=1)
    removed = data.draw(st.sets(st.integers(0, len(rules) - 1), max_size=len(rules) // 2))
    for rule_id in removed:
        index.remove(rule_id)
    for tweet in batch * 2:
        expected = _brute_force(rules, tweet) - removed
        assert set(index.match(tweet)) == expected
        index.maintain()


@pytest.mark.parametrize("make", IMPLEMENTATIONS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(rule_nodes(), min_size=4, max_size=12),
    st.lists(tweets(), min_size=2, max_size=6),
)
def test_index_agrees_while_another_thread_adds_and_removes(
    make: Make, rules: list[Node], batch: list[Tweet]
) -> None:
    # Half the rules stay; a writer thread keeps adding and removing the other
    # half (and rebalancing). Every match must hold the stable half exactly,
    # and any of the churned rules it returns must really match.
    stable = rules[: len(rules) // 2]
    index = _index(make, stable, learn_every=1, rebalance_every=1)
    churned = list(enumerate(rules))[len(stable) :]
    done = threading.Event()
    errors: list[BaseException] = []

    def churn() -> None:
        try:
            for _ in range(20):
                for rule_id, node in churned:
                    index.add(rule_id, Rule("", node))
                index.maintain()
                for rule_id, _ in churned:
                    index.remove(rule_id)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            done.set()

    writer = threading.Thread(target=churn)
    writer.start()
    try:
        rounds = 0
        while not done.is_set() or rounds < 2:
            rounds += 1
            for tweet in batch:
                got = set(index.match(tweet))
                everything = _brute_force(rules, tweet)
                assert got & set(range(len(stable))) == everything & set(range(len(stable)))
                assert got <= everything
    finally:
        writer.join()
    assert errors == []
    assert sorted(index) == list(range(len(stable)))


@_SETTINGS
@given(rule_nodes(), st.lists(tweets(), min_size=1, max_size=4))
def test_learnt_frequencies_do_not_change_answers(rule: Node, batch: list[Tweet]) -> None:
    frequencies = FrequencyModel()
    for tweet in batch:
        frequencies.observe(all_keys(TweetView(tweet)))
    index: PyRuleIndex[str] = PyRuleIndex(frequencies=frequencies)
    index.add("only", Rule("", rule))
    for tweet in batch:
        assert (index.match(tweet) == ["only"]) == evaluate(rule, tweet)

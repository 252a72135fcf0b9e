"""The predicate index returns exactly what the brute-force evaluator returns."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from powertrack.index.features import all_keys
from powertrack.index.index import RuleIndex
from powertrack.index.selectivity import FrequencyModel
from powertrack.index.view import TweetView
from powertrack.rules.ast import Node
from powertrack.rules.evaluate import evaluate
from powertrack.rules.rule import Rule
from powertrack.tweets.model import Tweet
from tests.strategies import rule_nodes
from tests.tweet_strategies import tweets

_SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _brute_force(rules: list[Node], tweet: Tweet) -> set[int]:
    return {rule_id for rule_id, node in enumerate(rules) if evaluate(node, tweet)}


def _index(
    rules: list[Node], *, learn_every: int = 16, rebalance_every: int = 2048
) -> RuleIndex[int]:
    index: RuleIndex[int] = RuleIndex(learn_every=learn_every, rebalance_every=rebalance_every)
    for rule_id, node in enumerate(rules):
        index.add(rule_id, Rule("", node))
    return index


@_SETTINGS
@given(st.lists(rule_nodes(), min_size=1, max_size=12), st.lists(tweets(), min_size=1, max_size=6))
def test_index_matches_brute_force(rules: list[Node], batch: list[Tweet]) -> None:
    index = _index(rules)
    for tweet in batch:
        assert set(index.match(tweet)) == _brute_force(rules, tweet)


@_SETTINGS
@given(rule_nodes(), tweets())
def test_single_rule_agrees_with_evaluator(rule: Node, tweet: Tweet) -> None:
    index = _index([rule])
    assert (index.match(tweet) == [0]) == evaluate(rule, tweet)


@_SETTINGS
@given(
    st.lists(rule_nodes(), min_size=2, max_size=10),
    st.lists(tweets(), min_size=1, max_size=4),
    st.data(),
)
def test_index_agrees_after_removals_and_rebalancing(
    rules: list[Node], batch: list[Tweet], data: st.DataObject
) -> None:
    # Learn from every tweet and rebalance constantly, so rules move between
    # keys while the answer must not change.
    index = _index(rules, learn_every=1, rebalance_every=1)
    removed = data.draw(st.sets(st.integers(0, len(rules) - 1), max_size=len(rules) // 2))
    for rule_id in removed:
        index.remove(rule_id)
    for tweet in batch * 2:
        expected = _brute_force(rules, tweet) - removed
        assert set(index.match(tweet)) == expected


@_SETTINGS
@given(rule_nodes(), st.lists(tweets(), min_size=1, max_size=4))
def test_learnt_frequencies_do_not_change_answers(rule: Node, batch: list[Tweet]) -> None:
    frequencies = FrequencyModel()
    for tweet in batch:
        frequencies.observe(all_keys(TweetView(tweet)))
    index: RuleIndex[str] = RuleIndex(frequencies=frequencies)
    index.add("only", Rule("", rule))
    for tweet in batch:
        assert (index.match(tweet) == ["only"]) == evaluate(rule, tweet)

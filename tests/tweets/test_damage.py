"""Real tweets damaged at random are still read, and matched alike by the index and
the reference evaluator, unless the damage took their id or their text.

Tweets come from the shared corpora (v1.1 statuses and v2 messages); a damage
deletes a subtree or replaces it by null, ``{}``, ``[]``, a number, a string
or a deep nesting, one to three times.
"""

from __future__ import annotations

import copy
import functools
import random
from typing import Any

import orjson
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from powertrack import RuleSyntaxError, Tweet, TweetFormatError, parse_rule
from powertrack.index.index import CRuleIndex, PyRuleIndex
from powertrack.index.protocol import Matcher
from powertrack.rules.rule import Rule
from powertrack.text import STOP_WORDS, tokenize
from tests.strategies import rule_nodes
from tests.tweets.corpus import (
    DELETE,
    V2,
    V11,
    Path_,
    field_path,
    has_id_and_text,
    lines,
    paths,
    put,
    related,
)

_SAMPLE = 60  # documents of each corpus
_IDENTITY_KEYS = frozenset(("id", "id_str", "text", "full_text", "extended_tweet", "data"))


@functools.cache
def _documents() -> list[tuple[dict[str, Any], bool]]:
    """(document, is v2) for a fixed sample of each corpus; not the direct-message event."""
    chance = random.Random(20240601)
    sample = []
    for name, v2 in ((V11, False), (V2, True)):
        documents = [orjson.loads(line) for line in lines(name)]
        documents = [d for d in documents if "dm_conversation_id" not in d.get("data", {})]
        sample += [(document, v2) for document in chance.sample(documents, _SAMPLE)]
    return sample


def _rule_texts(tweet: Tweet) -> list[str]:
    # Rules written from the tweet's own content, so that damage can make a
    # rule stop (or start) matching; the random rules alone rarely meet it.
    words = [t for t in tokenize(tweet.text) if t.isalnum() and t not in STOP_WORDS][:3]
    anchors = [*words]
    anchors += [f"#{tag}" for tag in tweet.hashtags[:2]]
    anchors += [f"@{mention.screen_name}" for mention in tweet.mentions[:2]]
    anchors += [f"${symbol}" for symbol in tweet.symbols[:1]]
    if tweet.author.screen_name:
        anchors += [f"from:{tweet.author.screen_name}", f"from:{tweet.author.id}"]
    if tweet.retweeted is not None and tweet.retweeted.author.screen_name:
        anchors.append(f"retweets_of:{tweet.retweeted.author.screen_name}")
    if tweet.point is not None:
        anchors.append(f"point_radius:[{tweet.point[0]} {tweet.point[1]} 5mi]")
    if tweet.place is not None and tweet.place.country_code:
        anchors.append(f"place_country:{tweet.place.country_code}")
    texts = list(anchors)
    extras = ["has:geo", "is:retweet", "-is:quote", "has:media", "has:links", "has:mentions"]
    if tweet.lang:
        extras.append(f"lang:{tweet.lang}")
    for number, anchor in enumerate(anchors[:4]):
        texts.append(f"{anchor} {extras[number % len(extras)]}")
        texts.append(f"{anchor} OR {anchors[-1]}")
    return texts


@functools.cache
def _own_rules(number: int) -> tuple[Rule, ...]:
    document, _ = _documents()[number]
    rules = []
    for text in _rule_texts(Tweet.from_json(document)):
        try:
            rules.append(parse_rule(text))
        except RuleSyntaxError:
            continue
    return tuple(rules)


_NUMBERS = st.one_of(
    # What JSON encoders write: orjson refuses integers past 64 bits.
    st.integers(-(2**63), 2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
)
_STRINGS = st.one_of(st.text(max_size=12), st.from_regex(r"[0-9]{1,20}", fullmatch=True))
_LEAVES = st.one_of(st.none(), st.booleans(), _NUMBERS, _STRINGS, st.just({}), st.just([]))


@st.composite
def _deep(draw: st.DrawFn) -> Any:
    value = draw(_LEAVES)
    # Up to 80 levels: three damages nested in one another stay under the
    # 254 levels orjson writes, which the last assertion needs.
    for _ in range(draw(st.integers(1, 80))):
        value = [value] if draw(st.booleans()) else {"a": value}
    return value


_DAMAGE = st.one_of(
    st.just(DELETE),
    st.none(),
    st.just({}),
    st.just([]),
    _NUMBERS,
    _STRINGS,
    st.booleans(),
    _deep(),
)


@st.composite
def _damaged(draw: st.DrawFn) -> tuple[int, dict[str, Any], list[Path_]]:
    """A sampled document's number, a damaged copy of it and the damaged paths."""
    number = draw(st.integers(0, len(_documents()) - 1))
    document = copy.deepcopy(_documents()[number][0])
    damaged: list[Path_] = []
    for _ in range(draw(st.integers(1, 3))):
        every = list(paths(document))[1:]
        if not every:
            break
        # Now and then aim at what identifies the tweet, which a uniform
        # choice among hundreds of paths rarely hits.
        identity = [path for path in every if path[-1] in _IDENTITY_KEYS]
        if identity and draw(st.integers(0, 4)) == 0:
            every = identity
        path = draw(st.sampled_from(every))
        put(document, path, draw(_DAMAGE))
        damaged.append(path)
    return number, document, damaged


def _agree(rules: list[Rule], tweet: Tweet) -> set[int]:
    expected = {rule_id for rule_id, rule in enumerate(rules) if rule.matches(tweet)}
    for make in (PyRuleIndex, CRuleIndex):
        assert make is not None, "the compiled index (powertrack.index._cindex) is not built"
        index: Matcher[int] = make()
        for rule_id, rule in enumerate(rules):
            index.add(rule_id, rule)
        assert set(index.match(tweet)) == expected, make
    return expected


_SETTINGS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@_SETTINGS
@given(_damaged(), st.lists(rule_nodes(), max_size=6))
def test_a_damaged_tweet_is_read_and_matched_alike_unless_its_id_or_text_is_gone(
    damage: tuple[int, dict[str, Any], list[Path_]], random_rules: list[Any]
) -> None:
    number, document, damaged = damage
    v2 = _documents()[number][1]
    ignored: list[str] = []
    try:
        tweet = Tweet.from_json(document, ignored)
    except TweetFormatError:
        event("refused: no id or no text")
        assert not has_id_and_text(document, v2)
        assert ignored == []
        return
    assert has_id_and_text(document, v2)
    event("read, some fields ignored" if ignored else "read, nothing ignored")
    # Paths are the readers' own: no list index, no key of the payload.
    assert all("[]" in path or "[" not in path for path in ignored), ignored
    if len(damaged) == 1:
        # Nothing is noted but the damaged field, what is inside it or around it.
        where = field_path(damaged[0])
        assert all(related(path, where) for path in ignored), (where, ignored)
    rules = [*_own_rules(number), *(Rule("", node) for node in random_rules)]
    matched = _agree(rules, tweet)
    event("some rules matched" if matched else "no rule matched")
    # The same bytes give the same tweet.
    assert Tweet.from_json(orjson.dumps(document)) == tweet


def test_the_rules_written_from_a_tweet_match_it() -> None:
    # Otherwise the property above would mostly compare "no match" with "no match".
    matched = 0
    for number, (document, _) in enumerate(_documents()):
        tweet = Tweet.from_json(document)
        matched += bool(_agree(list(_own_rules(number)), tweet))
    assert matched >= 0.9 * len(_documents())

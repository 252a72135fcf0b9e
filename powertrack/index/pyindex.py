"""The predicate index in pure Python: the reference twin of the compiled one.

Each rule is posted under the few keys one of which every matching tweet
must offer (:mod:`powertrack.index.keys`). Matching a tweet extracts its
values in the families that have postings, gathers the rules posted under
them (the candidates), and evaluates only those, skipping evaluation where
the key alone decides. Rules come and go one at a time while matching goes
on: an add or remove touches only that rule's postings.

:class:`powertrack.index._cindex.CRuleIndex` is the compiled twin, with the
same API and answers; :class:`powertrack.index.index.RuleIndex` is whichever
of the two this installation runs. This one is the readable reference and
the fallback where the extension was not built.

Concurrency: matching may run in one thread while rules are added or removed
in another. A match reads the postings without a lock: they are plain dicts
and lists, whose single operations are atomic under the GIL, the tuple of
active families is replaced, never mutated, and a re-posted rule is added
under its new keys before it leaves its old ones. That argument rests on the
GIL; the compiled index reads immutable snapshots instead. Writers (add,
remove, maintain) hold a lock among themselves. A match never learns or
rebalances: it hands the keys of every ``learn_every``-th tweet to a bounded
queue, and :meth:`PyRuleIndex.maintain`, run by the writer, learns from them.
"""

from __future__ import annotations

import collections
import itertools
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any, Generic, TypeVar

from powertrack.index.check import check, check_siblings
from powertrack.index.features import ALWAYS_LEARNT, EXTRACTORS, HAYSTACKS, Extractor, all_keys
from powertrack.index.keys import Check, Key, Plan, has_choice, plan
from powertrack.index.selectivity import FrequencyModel
from powertrack.index.stats import IndexStats
from powertrack.index.view import TweetView
from powertrack.rules import codec
from powertrack.rules.ast import Node
from powertrack.rules.parser import parse_rule
from powertrack.rules.rule import Rule
from powertrack.tweets.model import Tweet

__all__ = ["PyRuleIndex"]

RuleId = TypeVar("RuleId", bound=Hashable)
# A substring family with at most this many distinct posted n-grams is
# matched by testing each n-gram against the text rather than listing the
# text's n-grams.
_SCAN_MAX = 12
# With more values than this, a tweet's values are intersected with the
# posted keys rather than looked up one by one.
_INTERSECT_MIN = 4
# How many of the stream's most frequent keys a rebalance looks at.
_HOT_KEYS = 2000
# A posting this long is worth re-examining when frequencies change.
_CROWDED = 8
# Sampled tweets' keys waiting for maintain(); older ones are dropped past this.
_SAMPLES_MAX = 4096


_Family = tuple[
    str, dict[str, list["_Entry[Any]"]], Extractor, Callable[[TweetView], list[str]] | None
]


class _Entry(Generic[RuleId]):
    __slots__ = ("check", "keys", "node", "proven", "rule_id")

    def __init__(self, rule_id: RuleId, node: Node, planned: Plan) -> None:
        self.rule_id = rule_id
        self.node = node
        self.keys = planned.keys
        self.check = planned.check
        self.proven = planned.proven


class PyRuleIndex(Generic[RuleId]):
    """Match tweets against many rules, evaluating only the few candidates.

    ``learn_every``: one tweet in this many is sampled for the key frequency
    model (0 turns learning off). ``rebalance_every``: after this many learnt
    tweets, rules posted under keys that turned out common are re-posted
    under cheaper keys, at most ``rebalance_budget`` rules at a time. Both
    happen in :meth:`maintain`, which the writer calls.
    """

    def __init__(
        self,
        *,
        learn_every: int = 32,
        rebalance_every: int = 2048,
        rebalance_budget: int = 2000,
        frequencies: FrequencyModel | None = None,
    ) -> None:
        self._entries: dict[RuleId, _Entry[RuleId]] = {}
        self._postings: dict[str, dict[str, list[_Entry[RuleId]]]] = {}
        self._family_sizes: dict[str, int] = {}
        self._families: tuple[_Family, ...] = ()
        self._learnt_families: tuple[str, ...] = ALWAYS_LEARNT
        self._unindexed: dict[RuleId, _Entry[RuleId]] = {}
        # Keys with long postings, which rebalancing always visits.
        self._crowded: set[Key] = set()
        self._cursors: dict[Key, int] = {}
        self._lock = threading.Lock()
        self.frequencies = frequencies if frequencies is not None else FrequencyModel()
        self._learn_every = learn_every
        self._rebalance_every = rebalance_every
        self._rebalance_budget = rebalance_budget
        self._tweet_counter = itertools.count()
        self._learnt_since_rebalance = 0
        self._samples: collections.deque[list[Key]] = collections.deque(maxlen=_SAMPLES_MAX)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._entries

    def __iter__(self) -> Iterator[RuleId]:
        return iter(list(self._entries))

    def add(self, rule_id: RuleId, rule: Rule | str | bytes) -> None:
        """Add (or replace) a rule: a ``Rule``, a rule text (parsed; a bad one raises
        RuleSyntaxError) or a compiled form (``bytes`` of rules.codec; RuleCodeError
        if unreadable)."""
        node = _root(rule)
        with self._lock:
            self._add(rule_id, node)

    def add_many(self, items: Iterable[tuple[RuleId, Rule | str | bytes]]) -> None:
        """Add many ``(rule_id, rule)`` pairs, as :meth:`add` would one by one."""
        nodes = [(rule_id, _root(rule)) for rule_id, rule in items]
        with self._lock:
            for rule_id, node in nodes:
                self._add(rule_id, node)

    def _add(self, rule_id: RuleId, node: Node) -> None:
        old = self._entries.pop(rule_id, None)
        if old is not None:
            self._unpost(old)
        entry = _Entry(rule_id, node, plan(node, self.frequencies.estimate))
        self._post(entry)
        self._entries[rule_id] = entry

    def remove(self, rule_id: RuleId) -> None:
        """Remove a rule; KeyError if there is none with that id."""
        if not self.discard(rule_id):
            raise KeyError(rule_id)

    def discard(self, rule_id: RuleId) -> bool:
        """Remove a rule if present; True when one was removed."""
        with self._lock:
            entry = self._entries.pop(rule_id, None)
            if entry is None:
                return False
            self._unpost(entry)
            return True

    def match(self, tweet: Tweet) -> list[RuleId]:
        """Ids of the rules that match ``tweet``, in no particular order."""
        view = TweetView(tweet)
        matched = []
        for entry in self._gather(view):
            state = entry.check
            if (
                state is Check.NOTHING
                or (state is Check.ALL and check(entry.node, view))
                or (
                    state is Check.SIBLINGS and check_siblings(entry.node, entry.proven, view)  # type: ignore[arg-type]
                )
            ):
                matched.append(entry.rule_id)
        if self._learn_every and next(self._tweet_counter) % self._learn_every == 0:
            # Only a hand-over: learning from them is maintain()'s work.
            self._samples.append(list(all_keys(view, self._learnt_families)))
        return matched

    def match_json(self, raw: bytes | bytearray | memoryview | str) -> list[RuleId]:
        """:meth:`match` for a tweet's JSON; ``TweetFormatError`` if it is not a tweet."""
        return self.match(Tweet.from_json(raw))

    def match_json_id(self, raw: bytes | bytearray | memoryview | str) -> tuple[str, list[RuleId]]:
        """The tweet's id and :meth:`match_json`, from one read of the JSON."""
        tweet = Tweet.from_json(raw)
        return tweet.id, self.match(tweet)

    def candidates(self, tweet: Tweet) -> int:
        """How many rules a match of ``tweet`` evaluates or accepts (for measurement)."""
        return len(self._gather(TweetView(tweet)))

    def _gather(self, view: TweetView) -> set[_Entry[RuleId]]:
        """The candidates: every rule posted under a key the tweet offers."""
        candidates: set[_Entry[RuleId]] = set()
        for family, postings, extract, haystacks in self._families:
            if haystacks is not None and len(postings) <= _SCAN_MAX:
                strings = haystacks(view)
                # tuple() snapshots the keys atomically: rules may be added meanwhile.
                for value in tuple(postings):
                    for string in strings:
                        if value in string:
                            candidates.update(postings.get(value, ()))
                            break
                continue
            values = view.values(family, extract)
            if len(values) > _INTERSECT_MIN:
                # A C-level intersection instead of one lookup per value; it
                # also reads the dict atomically while rules are added.
                values = postings.keys() & values
            for value in values:
                posted = postings.get(value)
                if posted:
                    candidates.update(posted)
        if self._unindexed:
            candidates.update(self._unindexed.values())
        return candidates

    def stats(self) -> IndexStats:
        """Counts describing the index."""
        return IndexStats(
            rules=len(self._entries),
            unindexed_rules=len(self._unindexed),
            keys=sum(len(postings) for postings in self._postings.values()),
            postings=sum(self._family_sizes.values()),
            families=tuple(family[0] for family in self._families),
            tweets_observed=self.frequencies.tweets_observed,
        )

    def rebalance(self, budget: int | None = None) -> int:
        """Re-post rules whose keys became common under cheaper keys; returns rules moved.

        Crowded postings and postings under the stream's most frequent keys
        are visited, the most expensive first. Each keeps a
        cursor, so that successive rebalances work through a long posting
        instead of re-examining its first rules every time.
        """
        with self._lock:
            return self._rebalance(budget)

    def _rebalance(self, budget: int | None) -> int:
        budget = self._rebalance_budget if budget is None else budget
        estimate = self.frequencies.estimate
        # Worth examining: long postings, and postings under the keys the
        # stream offers most often (each may hold only a few rules).
        worth = set(self._crowded)
        worth.update(self.frequencies.most_common(_HOT_KEYS))
        heavy = sorted(
            (
                (estimate(key) * len(posted), *key)
                for key in worth
                if (posted := self._postings.get(key[0], {}).get(key[1]))
            ),
            reverse=True,
        )
        moved = 0
        for _, family, value in heavy:
            posted = list(self._postings.get(family, {}).get(value, ()))
            start = self._cursors.get((family, value), 0)
            if start >= len(posted):
                start = 0
            kept = 0
            for entry in posted[start:]:
                if not has_choice(entry.node):
                    kept += 1
                    continue
                if budget <= 0:
                    break
                budget -= 1
                planned = plan(entry.node, estimate)
                keys = planned.keys
                if keys != entry.keys and _cost(keys, estimate) < 0.8 * _cost(entry.keys, estimate):
                    self._repost(entry, planned)
                    moved += 1
                else:
                    kept += 1
            # Moved rules left the posting, so only the kept ones advance the cursor.
            self._cursors[family, value] = start + kept
            if budget <= 0:
                break
        return moved

    def maintain(self) -> int:
        """Learn from the tweets sampled since the last call and rebalance when due.

        The writer calls it (RuleSync between polls, ``powertrack match`` every
        so many tweets); matches go on meanwhile. Returns how many rules moved.
        """
        with self._lock:
            while self._samples:
                self.frequencies.observe(self._samples.popleft())
                self._learnt_since_rebalance += 1
            # While the model is young its estimates move fast: rebalance often
            # (every quarter of the tweets counted so far), then every rebalance_every.
            due = min(self._rebalance_every, max(16, self.frequencies.tweets_observed // 4))
            if self._rebalance_every and self._learnt_since_rebalance >= due:
                self._learnt_since_rebalance = 0
                return self._rebalance(None)
        return 0

    def _repost(self, entry: _Entry[RuleId], planned: Plan) -> None:
        replacement = _Entry(entry.rule_id, entry.node, planned)
        # Post the replacement before withdrawing the old entry so that a
        # concurrent match never finds the rule in neither place.
        self._post(replacement)
        self._entries[entry.rule_id] = replacement
        self._unpost(entry)

    def _post(self, entry: _Entry[RuleId]) -> None:
        if entry.keys is None:
            self._unindexed[entry.rule_id] = entry
            return
        new_family = False
        for family, value in entry.keys:
            postings = self._postings.get(family)
            if postings is None:
                postings = self._postings[family] = {}
                new_family = True
            posted = postings.get(value)
            if posted is None:
                postings[value] = [entry]
            else:
                posted.append(entry)
                if len(posted) == _CROWDED:
                    self._crowded.add((family, value))
            self._family_sizes[family] = self._family_sizes.get(family, 0) + 1
            if self._family_sizes[family] == 1:
                new_family = True
        if new_family:
            self._refresh_families()

    def _unpost(self, entry: _Entry[RuleId]) -> None:
        if entry.keys is None:
            if self._unindexed.get(entry.rule_id) is entry:
                del self._unindexed[entry.rule_id]
            return
        emptied = False
        for family, value in entry.keys:
            postings = self._postings[family]
            posted = postings[value]
            posted.remove(entry)
            if len(posted) == _CROWDED - 1:
                self._crowded.discard((family, value))
                self._cursors.pop((family, value), None)
            if not posted:
                del postings[value]
            self._family_sizes[family] -= 1
            if self._family_sizes[family] == 0:
                emptied = True
        if emptied:
            self._refresh_families()

    def _refresh_families(self) -> None:
        active = [family for family, size in self._family_sizes.items() if size > 0]
        self._families = tuple(
            (family, self._postings[family], EXTRACTORS[family], HAYSTACKS.get(family))
            for family in active
        )
        self._learnt_families = tuple(dict.fromkeys((*ALWAYS_LEARNT, *active)))


def _root(rule: Rule | str | bytes) -> Node:
    if isinstance(rule, str):
        return parse_rule(rule).root
    if isinstance(rule, bytes | bytearray | memoryview):
        return codec.decode(rule)
    if isinstance(rule, Rule):
        return rule.root
    raise TypeError(f"expected a Rule, a rule text or a compiled rule, got {type(rule).__name__}")


def _cost(keys: tuple[Key, ...] | None, estimate: Callable[[Key], float]) -> float:
    if keys is None:
        return float("inf")
    return sum(map(estimate, keys))

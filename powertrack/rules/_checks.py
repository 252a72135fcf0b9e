"""Checks over the whole AST: what makes a well-formed rule unacceptable.

A rule must have a positive clause that is not a stop word, and every tweet
it matches must match at least one positive *standalone* clause: that clause
is what the predicate index files the rule under. Conjunction-required
operators (``is:``, ``has:``, ``lang:``, ``sample:``, ``source:``) and
negations never qualify; an AND qualifies when one of its clauses does, an OR
only when every alternative does, so ``cats OR lang:en`` is rejected: its
second alternative would make the rule a candidate for every English tweet.

An OR alternative without a standalone clause is fine when the OR is ANDed
with one (``apple (banana OR has:geo)``): every match still contains apple.
Stop-word keywords are standalone here (``the is:retweet`` is accepted);
docs/rule-language.md only rejects a rule whose positive clauses are all stop words.
"""

from __future__ import annotations

from powertrack.rules import _messages as msg
from powertrack.rules.ast import And, Has, Is, Keyword, Lang, Node, Not, Or, Sample, Source
from powertrack.rules.render import render
from powertrack.text import STOP_WORDS

__all__ = ["check"]

_CONJUNCTION_REQUIRED = frozenset({Is, Has, Lang, Sample, Source})

# What _scan learns of a subtree: it has a positive clause; its positive
# clauses are all stop words; it is anchored by a standalone clause.
_Facts = tuple[bool, bool, bool]


def check(root: Node) -> list[tuple[str, int]]:
    errors: list[tuple[str, int]] = []
    positive, only_stop_words, anchored = _scan(root, errors, negated=False)
    if not positive:
        errors.append((msg.NO_POSITIVE, root.pos))
    elif only_stop_words:
        errors.append((msg.ONLY_STOPWORDS, root.pos))
    elif not anchored:
        _explain(root, errors, in_or=False)
    return errors


def _scan(node: Node, errors: list[tuple[str, int]], *, negated: bool) -> _Facts:
    # Also reports, on the way, a negation directly in an OR and a positive
    # is:nullcast, wherever they are (even inside a negation).
    if isinstance(node, (And, Or)):
        is_or = isinstance(node, Or)
        positive, only_stop_words, anchored = False, True, is_or
        for child in node.children:
            if is_or and isinstance(child, Not):
                errors.append((msg.NEGATION_IN_OR, child.pos))
            child_positive, child_stop, child_anchored = _scan(child, errors, negated=False)
            if child_positive:
                positive = True
                only_stop_words = only_stop_words and child_stop
            # An AND is anchored by any clause, an OR only by all of them.
            anchored = (anchored and child_anchored) if is_or else (anchored or child_anchored)
        return positive, only_stop_words, anchored
    if isinstance(node, Not):
        _scan(node.child, errors, negated=True)
        return False, True, False
    if isinstance(node, Keyword):
        return True, all(token in STOP_WORDS for token in node.tokens), True
    if isinstance(node, Is) and node.name == "nullcast" and not negated:
        errors.append((msg.NULLCAST_POSITIVE, node.pos))
    return True, False, type(node) not in _CONJUNCTION_REQUIRED


def _facts(node: Node) -> _Facts:
    return _scan(node, [], negated=False)


# Reports why ``node``, which is not anchored, is not.
def _explain(node: Node, errors: list[tuple[str, int]], *, in_or: bool) -> None:
    if isinstance(node, Not):
        return  # a negation directly in an OR is reported by _scan
    if isinstance(node, And):
        if not any(_facts(child)[0] for child in node.children):
            errors.append((msg.OR_BRANCH_ALL_NEGATED, node.pos))
            return
        for child in node.children:
            _explain(child, errors, in_or=in_or)
    elif isinstance(node, Or):
        for child in node.children:
            if not _facts(child)[2]:
                _explain(child, errors, in_or=True)
    elif isinstance(node, Is) and node.name == "nullcast":
        return  # reported by _scan: it can only be negated
    elif type(node) in _CONJUNCTION_REQUIRED:
        template = msg.NOT_STANDALONE_IN_OR if in_or else msg.NOT_STANDALONE
        errors.append((template.format(clause=render(node)), node.pos))

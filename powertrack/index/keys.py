"""Which index keys a rule is posted under.

A rule is posted under a set of keys such that every tweet it matches offers
at least one of them (see :mod:`powertrack.index.features`). For a leaf that
is the leaf's own key; for an AND, the keys of its cheapest indexable child
(one selective side is enough, since every child must hold); for an OR, the
keys of every child (any child may be the one that holds). A negation or
``sample:`` says nothing a tweet must offer, so it is not indexable on its
own; a rule with no indexable path is evaluated for every tweet.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from typing import NamedTuple

from powertrack.index import features as f
from powertrack.index.geogrid import box_cells, circle_cells
from powertrack.rules import ast

__all__ = ["Check", "Key", "Plan", "has_choice", "is_exact", "plan"]

Key = tuple[str, str]
Estimate = Callable[[Key], float]


def _rarest(family: str, values: Sequence[str], estimate: Estimate) -> list[Key]:
    if len(values) == 1:
        return [(family, values[0])]
    return [min(((family, value) for value in values), key=estimate)]


def _ngram_keys(url: bool, value: str, estimate: Estimate) -> list[Key]:
    n = min(f.NGRAM_MAX, len(value))
    family = f.word_ngram_family(n) if not url and f.is_wordlike(value) else f.ngram_family(url, n)
    grams = [value[i : i + n] for i in range(len(value) - n + 1)]
    return _rarest(family, grams, estimate)


def _count_keys(node: ast.CountRange) -> list[Key]:
    family = f.COUNT_FAMILIES[node.field]
    low = f.count_bucket(node.low)
    high = f.count_bucket(node.high) if node.high is not None else f.MAX_COUNT_BUCKET
    return [(family, str(bucket)) for bucket in range(low, high + 1)]


def _leaf_keys(node: ast.Leaf, estimate: Estimate) -> list[Key] | None:
    match node:
        case ast.Keyword(tokens=tokens) | ast.Phrase(tokens=tokens) | ast.Proximity(tokens=tokens):
            return _rarest(f.TEXT, tokens, estimate)
        case ast.Hashtag(tag=tag):
            return [(f.HASHTAG, tag)]
        case ast.Mention(name=name):
            return [(f.MENTION, name)]
        case ast.Cashtag(symbol=symbol):
            return [(f.CASHTAG, symbol)]
        case ast.Contains(value=value):
            return _ngram_keys(False, value, estimate) if value else None
        case ast.UrlContains(value=value):
            return _ngram_keys(True, value, estimate) if value else None
        case ast.UserOp(field=field, value=value):
            return [(f.USER_FAMILIES[field], value)]
        case ast.IdOp(field=field, value=value):
            return [(f.ID_FAMILIES[field], value)]
        case ast.Url(tokens=tokens):
            return _rarest(f.URL, tokens, estimate)
        case ast.UserText(field=field, tokens=tokens):
            return _rarest(f.PROFILE_FAMILIES[field], tokens, estimate)
        case ast.CountRange():
            return _count_keys(node)
        case ast.Lang(code=code):
            return [(f.LANG, code)]
        case ast.Place(tokens=tokens):
            return _rarest(f.PLACE, tokens, estimate)
        case ast.PlaceCountry(code=code):
            return [(f.PLACE_COUNTRY, code)]
        case ast.PointRadius(lon=lon, lat=lat, radius_km=radius):
            return _geo_keys(circle_cells(lon, lat, radius))
        case ast.BoundingBox(west=west, south=south, east=east, north=north):
            return _geo_keys(box_cells(west, south, east, north))
        case ast.Has(name=name):
            return [(f.HAS, name)]
        case ast.Is(name=name):
            return [(f.IS, name)]
        case ast.Source(tokens=tokens):
            return _rarest(f.SOURCE, tokens, estimate)
        case ast.Sample():
            return None
    raise TypeError(f"not a rule node: {node!r}")


def _geo_keys(cells: list[str] | None) -> list[Key]:
    if cells is None:
        return [(f.GEO, "1")]
    return [(f.GEO_CELL, cell) for cell in cells]


def _best_child(children: Sequence[ast.Node], estimate: Estimate) -> tuple[list[Key] | None, int]:
    """The keys of the AND child that the fewest tweets offer, and its position."""
    best: list[Key] | None = None
    best_cost = 0.0
    best_position = -1
    for position, child in enumerate(children):
        keys = _keys(child, estimate)
        if keys is None:
            continue
        cost = sum(map(estimate, keys))
        if best is None or cost < best_cost:
            best, best_cost, best_position = keys, cost, position
    return best, best_position


def _keys(node: ast.Node, estimate: Estimate) -> list[Key] | None:
    match node:
        case ast.Not():
            return None
        case ast.And(children=children):
            return _best_child(children, estimate)[0]
        case ast.Or(children=children):
            union: list[Key] = []
            for child in children:
                keys = _keys(child, estimate)
                if keys is None:
                    return None
                union.extend(keys)
            return list(dict.fromkeys(union))
    return _leaf_keys(node, estimate)


class Check(enum.Enum):
    """What a candidate still has to pass, besides being a candidate."""

    ALL = "all"
    """The whole rule is evaluated."""
    NOTHING = "nothing"
    """Nothing: the rule is exact, so offering one of its keys proves the match."""
    SIBLINGS = "siblings"
    """The rule is an AND posted under an exact child (:attr:`Plan.proven`), which
    being a candidate proves: only the other children are evaluated."""


class Plan(NamedTuple):
    """Where a rule is posted and what a candidate still has to pass."""

    keys: tuple[Key, ...] | None
    """None: no indexable path, the rule is evaluated for every tweet."""
    check: Check
    proven: int = -1
    """With :attr:`Check.SIBLINGS`, the position of the proven AND child."""


def plan(root: ast.Node, estimate: Estimate) -> Plan:
    """The keys to post ``root`` under, and what a candidate still has to check."""
    if isinstance(root, ast.And):
        best, position = _best_child(root.children, estimate)
        if best is None:
            return Plan(None, Check.ALL)
        if is_exact(root.children[position]):
            return Plan(tuple(best), Check.SIBLINGS, position)
        return Plan(tuple(best), Check.ALL)
    keys = _keys(root, estimate)
    if keys is None:
        return Plan(None, Check.ALL)
    return Plan(tuple(keys), Check.NOTHING if is_exact(root) else Check.ALL)


def is_exact(node: ast.Node) -> bool:
    """True when a tweet offering any key of ``node`` certainly matches it.

    Such rules need no evaluation once they are candidates. Only leaves whose
    family extractor mirrors the operator exactly qualify, and ORs of them.
    """
    match node:
        case ast.Or(children=children):
            return all(map(is_exact, children))
        case ast.Keyword(tokens=tokens) | ast.Url(tokens=tokens) | ast.UserText(tokens=tokens):
            return len(tokens) == 1
        case ast.Place(tokens=tokens) | ast.Source(tokens=tokens):
            return len(tokens) == 1
        case (
            ast.IdOp()
            | ast.Hashtag()
            | ast.Mention()
            | ast.Cashtag()
            | ast.UserOp()
            | ast.Lang()
            | ast.PlaceCountry()
            | ast.Has()
            | ast.Is()
        ):
            return True
    return False


def has_choice(node: ast.Node) -> bool:
    """True when the keys chosen for ``node`` depend on key frequencies."""
    match node:
        case ast.And():
            return True
        case ast.Or(children=children):
            return any(map(has_choice, children))
        case (
            ast.Keyword(tokens=tokens)
            | ast.Phrase(tokens=tokens)
            | ast.Proximity(tokens=tokens)
            | ast.Url(tokens=tokens)
            | ast.UserText(tokens=tokens)
            | ast.Place(tokens=tokens)
            | ast.Source(tokens=tokens)
        ):
            return len(tokens) > 1
        case ast.Contains(value=value) | ast.UrlContains(value=value):
            return len(value) > f.NGRAM_MAX
    return False

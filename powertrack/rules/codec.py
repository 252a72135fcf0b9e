"""A rule's compiled form: its AST as compact, versioned bytes.

Lark parses a rule once, when it is added; the store keeps this form beside
the text and the rule log carries it, so a filter node loading a million rules
decodes them (about a microsecond each) instead of parsing them again (a
minute or two). The form is a JSON array ``[version, tree]``; a tree node is
an array whose first item names its kind:

    ["&", child, ...]  ["|", child, ...]  ["-", child]
    ["k", token, ...]  ["p", token, ...]  ["~", distance, token, ...]
    ["#", tag]  ["@", name]  ["$", symbol]  ["c", value]  ["uc", value]
    ["u", field, value]  ["i", field, value]  ["url", token, ...]
    ["ut", field, token, ...]  ["n", field, low, high or null]
    ["lang", code]  ["pl", token, ...]  ["pc", code]
    ["pr", lon, lat, radius_km]  ["bb", west, south, east, north]
    ["has", name]  ["is", name]  ["s", percent]  ["src", token, ...]

Values are stored as the AST holds them (folded, tokenized), and floats
round-trip exactly. Positions are not kept: they serve error messages only,
and a stored rule is valid. :data:`VERSION` changes whenever the AST or the
tokenizer changes what a rule means; a form of another version is refused
with :class:`RuleCodeError`, and the caller parses the text again.

The tree (:func:`to_tree`) is also what the compiled matcher reads, so it
never needs AST objects.
"""

from __future__ import annotations

from typing import Any, cast, get_args

import orjson

from powertrack.rules import ast

__all__ = ["VERSION", "RuleCodeError", "decode", "encode", "from_tree", "to_tree", "tree_of"]

VERSION = 1
"""The format version. Bump it when a stored form would no longer mean what its text means."""

Tree = list[Any]


class RuleCodeError(ValueError):
    """A stored compiled form that cannot be read: another version, or damaged."""


def encode(node: ast.Node) -> bytes:
    """The compiled form of a rule's AST."""
    return orjson.dumps([VERSION, to_tree(node)])


def decode(code: bytes | bytearray | memoryview | str) -> ast.Node:
    """The AST of a compiled form; :class:`RuleCodeError` if it is of another version or damaged."""
    return from_tree(tree_of(code))


def tree_of(code: bytes | bytearray | memoryview | str) -> Tree:
    """The tree of a compiled form, checked for its version only."""
    try:
        document = orjson.loads(code)
    except orjson.JSONDecodeError as exc:
        raise RuleCodeError(f"not a compiled rule: {exc}") from None
    if type(document) is not list or len(document) != 2:
        raise RuleCodeError("not a compiled rule: expected [version, tree]")
    version, tree = document
    if version != VERSION:
        raise RuleCodeError(f"compiled rule of version {version!r}; this build reads {VERSION}")
    if type(tree) is not list:
        raise RuleCodeError("not a compiled rule: the tree is not an array")
    return tree


def to_tree(node: ast.Node) -> Tree:
    """The tree of ``node`` (see the module docstring)."""
    match node:
        case ast.And(children=children):
            return ["&", *map(to_tree, children)]
        case ast.Or(children=children):
            return ["|", *map(to_tree, children)]
        case ast.Not(child=child):
            return ["-", to_tree(child)]
        case ast.Keyword(tokens=tokens):
            return ["k", *tokens]
        case ast.Phrase(tokens=tokens):
            return ["p", *tokens]
        case ast.Proximity(tokens=tokens, distance=distance):
            return ["~", distance, *tokens]
        case ast.Hashtag(tag=tag):
            return ["#", tag]
        case ast.Mention(name=name):
            return ["@", name]
        case ast.Cashtag(symbol=symbol):
            return ["$", symbol]
        case ast.Contains(value=value):
            return ["c", value]
        case ast.UrlContains(value=value):
            return ["uc", value]
        case ast.UserOp(field=field, value=value):
            return ["u", field, value]
        case ast.IdOp(field=field, value=value):
            return ["i", field, value]
        case ast.Url(tokens=tokens):
            return ["url", *tokens]
        case ast.UserText(field=field, tokens=tokens):
            return ["ut", field, *tokens]
        case ast.CountRange(field=field, low=low, high=high):
            return ["n", field, low, high]
        case ast.Lang(code=code):
            return ["lang", code]
        case ast.Place(tokens=tokens):
            return ["pl", *tokens]
        case ast.PlaceCountry(code=code):
            return ["pc", code]
        case ast.PointRadius(lon=lon, lat=lat, radius_km=radius):
            return ["pr", lon, lat, radius]
        case ast.BoundingBox(west=west, south=south, east=east, north=north):
            return ["bb", west, south, east, north]
        case ast.Has(name=name):
            return ["has", name]
        case ast.Is(name=name):
            return ["is", name]
        case ast.Sample(percent=percent):
            return ["s", percent]
        case ast.Source(tokens=tokens):
            return ["src", *tokens]
    raise TypeError(f"not a rule node: {node!r}")


_USER_FIELDS = frozenset(get_args(ast.UserField))
_ID_FIELDS = frozenset(get_args(ast.IdField))
_TEXT_FIELDS = frozenset(get_args(ast.UserTextField))
_COUNT_FIELDS = frozenset(get_args(ast.CountField))
_HAS_NAMES = frozenset(get_args(ast.HasName))
_IS_NAMES = frozenset(get_args(ast.IsName))


def _strings(values: list[Any], at_least: int = 1) -> tuple[str, ...]:
    if len(values) < at_least or not all(type(value) is str for value in values):
        raise RuleCodeError(f"expected at least {at_least} strings, got {values!r:.80}")
    return tuple(values)


def _string(value: Any) -> str:
    if type(value) is not str:
        raise RuleCodeError(f"expected a string, got {value!r:.80}")
    return value


def _int(value: Any) -> int:
    if type(value) is not int:
        raise RuleCodeError(f"expected an integer, got {value!r:.80}")
    return value


def _float(value: Any) -> float:
    if type(value) not in (int, float):
        raise RuleCodeError(f"expected a number, got {value!r:.80}")
    return float(value)


def _one_of(value: Any, allowed: frozenset[str]) -> Any:
    if value not in allowed:
        raise RuleCodeError(f"expected one of {sorted(allowed)}, got {value!r:.80}")
    return value


def _arity(tree: Tree, size: int) -> Tree:
    if len(tree) != size:
        raise RuleCodeError(f"{tree[0]!r} takes {size - 1} values, got {len(tree) - 1}")
    return tree


def from_tree(tree: Tree) -> ast.Node:
    """The AST of a tree made by :func:`to_tree`; :class:`RuleCodeError` if it is malformed."""
    if type(tree) is not list or not tree or type(tree[0]) is not str:
        raise RuleCodeError(f"expected a tree node, got {tree!r:.80}")
    kind, args = tree[0], tree[1:]
    match kind:
        case "&" | "|":
            if len(args) < 2:
                raise RuleCodeError(f"{kind!r} needs at least two children")
            children = tuple(map(from_tree, args))
            return ast.And(children) if kind == "&" else ast.Or(children)
        case "-":
            return ast.Not(from_tree(_arity(tree, 2)[1]))
        case "k":
            return ast.Keyword(_strings(args))
        case "p":
            return ast.Phrase(_strings(args))
        case "~":
            return ast.Proximity(_strings(args[1:]), _int(args[0]) if args else 0)
        case "#":
            return ast.Hashtag(_string(_arity(tree, 2)[1]))
        case "@":
            return ast.Mention(_string(_arity(tree, 2)[1]))
        case "$":
            return ast.Cashtag(_string(_arity(tree, 2)[1]))
        case "c":
            return ast.Contains(_string(_arity(tree, 2)[1]))
        case "uc":
            return ast.UrlContains(_string(_arity(tree, 2)[1]))
        case "u":
            _, field, value = _arity(tree, 3)
            return ast.UserOp(_one_of(field, _USER_FIELDS), _string(value))
        case "i":
            _, field, value = _arity(tree, 3)
            return ast.IdOp(_one_of(field, _ID_FIELDS), _string(value))
        case "url":
            return ast.Url(_strings(args))
        case "ut":
            field = _one_of(args[0] if args else None, _TEXT_FIELDS)
            return ast.UserText(field, _strings(args[1:]))
        case "n":
            _, field, low, high = _arity(tree, 4)
            return ast.CountRange(
                _one_of(field, _COUNT_FIELDS), _int(low), None if high is None else _int(high)
            )
        case "lang":
            return ast.Lang(_string(_arity(tree, 2)[1]))
        case "pl":
            return ast.Place(_strings(args))
        case "pc":
            return ast.PlaceCountry(_string(_arity(tree, 2)[1]))
        case "pr":
            _, lon, lat, radius = _arity(tree, 4)
            return ast.PointRadius(_float(lon), _float(lat), _float(radius))
        case "bb":
            _, west, south, east, north = _arity(tree, 5)
            return ast.BoundingBox(_float(west), _float(south), _float(east), _float(north))
        case "has":
            return ast.Has(cast(ast.HasName, _one_of(_arity(tree, 2)[1], _HAS_NAMES)))
        case "is":
            return ast.Is(cast(ast.IsName, _one_of(_arity(tree, 2)[1], _IS_NAMES)))
        case "s":
            return ast.Sample(_int(_arity(tree, 2)[1]))
        case "src":
            return ast.Source(_strings(args))
    raise RuleCodeError(f"unknown node kind {kind!r:.40}")

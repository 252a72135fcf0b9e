"""The Lark transformer: parser reductions straight into AST nodes.

It is handed to the Lark constructor, so the LALR parser calls it at each
reduction and no parse tree is ever built. Methods named after a terminal
turn a token into its leaf as it is shifted. While an AND or an OR is being
reduced, its clauses accumulate in a list (``_AndItems``, ``_OrItems``);
whatever consumes it finishes it into a node with :func:`_finish`, and that
is also where a nested AND in an AND (or OR in an OR) is flattened.
"""

from __future__ import annotations

from typing import Any

from lark import Token, Transformer

from powertrack.rules import _leaves, _operators
from powertrack.rules._context import position_of
from powertrack.rules.ast import And, Leaf, Node, Not, Or

__all__ = ["RuleTransformer"]


class _AndItems(list[Node]):
    __slots__ = ()


class _OrItems(list[Node]):
    __slots__ = ()


_Item = Node | _AndItems | _OrItems


def _finish(item: _Item) -> Node:
    if isinstance(item, _AndItems):
        return And(tuple(item), item[0].pos)
    if isinstance(item, _OrItems):
        return Or(tuple(item), item[0].pos)
    return item


class RuleTransformer(Transformer[Token, Any]):
    def start(self, children: list[_Item]) -> Node | None:
        return _finish(children[0]) if children else None

    def and_list(self, children: list[_Item]) -> _AndItems:
        first, second = children
        if type(first) is _AndItems:
            items = first
        else:
            items = _AndItems()
            self._add_to_and(items, first)
        self._add_to_and(items, second)
        return items

    @staticmethod
    def _add_to_and(items: _AndItems, item: _Item) -> None:
        if isinstance(item, _AndItems):
            items.extend(item)
        elif isinstance(item, And):
            items.extend(item.children)
        else:
            items.append(_finish(item))

    def or_list(self, children: list[_Item]) -> _OrItems:
        first, second = children
        if type(first) is _OrItems:
            items = first
        else:
            items = _OrItems()
            self._add_to_or(items, first)
        self._add_to_or(items, second)
        return items

    @staticmethod
    def _add_to_or(items: _OrItems, item: _Item) -> None:
        if isinstance(item, _OrItems):
            items.extend(item)
        elif isinstance(item, Or):
            items.extend(item.children)
        else:
            items.append(_finish(item))

    def negation(self, children: list[Any]) -> Not:
        sign, child = children
        return Not(_finish(child), position_of(sign))

    def WORD(self, token: Token) -> Leaf:  # noqa: N802 -- named after the terminal
        return _leaves.keyword(token)

    def PHRASE(self, token: Token) -> Leaf:  # noqa: N802
        return _leaves.phrase(token)

    def PROXIMITY(self, token: Token) -> Leaf:  # noqa: N802
        return _leaves.proximity(token)

    def OPEN_QUOTE(self, token: Token) -> Leaf:  # noqa: N802
        return _leaves.open_quote(token)

    def HASHTAG(self, token: Token) -> Leaf:  # noqa: N802
        return _leaves.hashtag(token)

    def MENTION(self, token: Token) -> Leaf:  # noqa: N802
        return _leaves.mention(token)

    def CASHTAG(self, token: Token) -> Leaf:  # noqa: N802
        return _leaves.cashtag(token)

    def OPERATOR(self, token: Token) -> Leaf:  # noqa: N802
        return _operators.operator(token)

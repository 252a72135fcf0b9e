"""Rule text to :class:`~powertrack.rules.rule.Rule`: where a rule is parsed.

The pipeline, each stage reporting every error it finds and carrying on:

1. :mod:`._lexer` cuts the text with the terminals of ``rules_grammar.lark``;
   it never fails: malformed pieces become tokens, rejected further on.
2. :mod:`._postlex` repairs the structure (parentheses, dangling ``OR`` or
   ``-``) and reports explicit ``AND`` and ungrouped ``sample:`` beside ``OR``.
3. Lark's LALR(1) parser reduces the stream with :mod:`._transform`, which
   builds the AST leaf by leaf (:mod:`._leaves`, :mod:`._operators`) and
   validates each value; a bad clause becomes a placeholder.
4. :mod:`._checks` looks at the whole AST: positive, non-stop-word,
   standalone clauses; negation inside ``OR``; ``is:nullcast``.

All errors come out sorted by position.
"""

from __future__ import annotations

import functools
from importlib.resources import files
from typing import cast

from lark import Lark, UnexpectedInput

from powertrack.rules import _context, codec
from powertrack.rules import _messages as msg
from powertrack.rules._checks import check
from powertrack.rules._lexer import RuleLexer
from powertrack.rules._postlex import StructuralRepair
from powertrack.rules._transform import RuleTransformer
from powertrack.rules.ast import Node
from powertrack.rules.errors import RuleSyntaxError
from powertrack.rules.rule import Rule

__all__ = [
    "MAX_RULE_LENGTH",
    "MAX_TAG_LENGTH",
    "compile_text",
    "parse_rule",
    "validate_rule",
    "validate_tag",
]

MAX_RULE_LENGTH = msg.MAX_RULE_LENGTH
MAX_TAG_LENGTH = msg.MAX_TAG_LENGTH


@functools.cache
def _lark() -> Lark:
    # Building the LALR tables takes tens of milliseconds: once per process,
    # on first use, so that importing powertrack stays cheap.
    grammar = (files("powertrack.rules") / "rules_grammar.lark").read_text(encoding="utf-8")
    return Lark(
        grammar,
        parser="lalr",
        lexer=RuleLexer,
        postlex=StructuralRepair(),
        transformer=RuleTransformer(),
        propagate_positions=False,
        maybe_placeholders=False,
    )


def _parse(text: str) -> tuple[Node | None, list[tuple[str, int]]]:
    errors = _context.begin()
    try:
        if len(text) > MAX_RULE_LENGTH:
            errors.append((msg.TOO_LONG.format(length=len(text)), MAX_RULE_LENGTH + 1))
        try:
            # The transformer makes parse() return the AST, not the Tree Lark types it as.
            root = cast("Node | None", _lark().parse(text))
        except UnexpectedInput as exc:  # pragma: no cover - the post-lexer prevents it
            errors.append((msg.UNEXPECTED.format(token=text[exc.pos_in_stream :][:20]), 1))
            root = None
    finally:
        _context.end()
    if root is None:
        if not errors:
            errors.append((msg.EMPTY_RULE, 1))
    else:
        errors.extend(check(root))
    if len(errors) > 1:
        errors.sort(key=lambda error: error[1])
    return root, errors


def parse_rule(text: str) -> Rule:
    """Parse ``text`` into a :class:`Rule`.

    Raises :class:`RuleSyntaxError` listing every error found, each with the
    1-based position (in code points) of the clause at fault.
    """
    root, errors = _parse(text)
    if errors or root is None:
        raise RuleSyntaxError(text, errors)
    return Rule(text, root)


def validate_rule(text: str) -> list[tuple[str, int]]:
    """The errors of ``text`` as ``(message, position)`` pairs; empty when the rule is valid."""
    return _parse(text)[1]


def compile_text(text: str) -> tuple[list[tuple[str, int]], bytes | None]:
    """Parse ``text`` once: its errors (as :func:`validate_rule`) and, when it is
    valid, its compiled form (:func:`powertrack.rules.codec.encode`), for the
    store to keep beside the text."""
    root, errors = _parse(text)
    if errors or root is None:
        return errors, None
    return errors, codec.encode(root)


def validate_tag(tag: str) -> list[str]:
    """The problems with a rule's tag, as messages; empty when the tag is acceptable."""
    if len(tag) > MAX_TAG_LENGTH:
        return [msg.TAG_TOO_LONG.format(length=len(tag))]
    return []

"""A fast lexer for the terminals that ``rules_grammar.lark`` defines.

Lark's basic lexer tries its terminals with one match call per token from
Python and keeps line and column counts that a one-line rule never needs; on
a typical rule that was a third of the parse time. This lexer compiles the
same terminals, in the same priority order, into one alternation that
``finditer`` walks in C, each match taking the ignored whitespace before its
token along. The grammar file stays the single definition of the tokens.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lark import Token
from lark.common import LexerConf
from lark.lexer import Lexer, LexerState

__all__ = ["RuleLexer"]


class RuleLexer(Lexer):
    __future_interface__ = 2

    def __init__(self, conf: LexerConf) -> None:
        ignored = [t.pattern.to_regexp() for t in conf.terminals if t.name in conf.ignore]
        # Python's alternation takes the first branch that matches, which is
        # how Lark's basic lexer applies terminal priorities too.
        terminals = sorted(
            (t for t in conf.terminals if t.name not in conf.ignore), key=lambda t: -t.priority
        )
        # The whitespace run is atomic, or trailing whitespace would backtrack
        # exponentially; the \Z branch ends the scan there in one step.
        pattern = r"(?>(?:{})*)(?:{}|\Z)".format(
            "|".join(ignored) or "(?!)",
            "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals),
        )
        self._finditer = re.compile(pattern, conf.g_regex_flags).finditer

    def lex(self, lexer_state: LexerState, parser_state: Any) -> Iterator[Token]:
        end = 0
        for match in self._finditer(lexer_state.text.text):
            # The grammar's catch-all WORD leaves no character unmatched.
            assert match.start() == end, "rules_grammar.lark must match every character"
            end = match.end()
            kind = match.lastgroup
            if kind is None:  # the end of the text
                return
            start = match.start(kind)
            yield Token(kind, match.string[start:end], start)

"""Structural repair of the token stream, between Lark's lexer and its parser.

A rule with a stray ")" or a dangling "OR" would stop an LALR parser at the
first slip. Instead, this pass reports each slip at its position and drops
the offending token, so the parser always receives a well-formed stream and
the transformer and the semantic checks still see every clause: a customer
gets all the errors of a rule at once. The pass also reports an explicit
AND, and a sample: that sits ungrouped beside an OR, which needs the
parentheses the AST no longer has.
"""

from __future__ import annotations

from collections.abc import Iterator

from lark import Token
from lark.lark import PostLex

from powertrack.rules import _messages as msg
from powertrack.rules._context import position_of, report

__all__ = ["StructuralRepair"]

# Tokens after which a clause must follow.
_EXPECT_CLAUSE = frozenset({"_LPAR", "_OR", "NEG"})


# One parenthesis level: its opening token, its ORs, its ungrouped sample:s.
class _Level:
    __slots__ = ("opener", "ors", "samples")

    def __init__(self, opener: Token | None) -> None:
        self.opener = opener
        self.ors = 0
        self.samples: list[Token] = []

    def close(self) -> None:
        if self.ors:
            for sample in self.samples:
                report(msg.SAMPLE_IN_OR, position_of(sample))


class StructuralRepair(PostLex):
    always_accept = ()

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        return iter(_repair(stream))


# Drops the ORs and negations at the end of ``out`` that no clause followed.
def _drop_dangling(out: list[Token], level: _Level) -> None:
    while out and out[-1].type in ("_OR", "NEG"):
        token = out.pop()
        if token.type == "_OR":
            level.ors -= 1
            report(msg.MISPLACED_OR, position_of(token))
        else:
            report(msg.DANGLING_NEGATION, position_of(token))


def _repair(stream: Iterator[Token]) -> list[Token]:
    out: list[Token] = []
    levels = [_Level(None)]
    for token in stream:
        kind = token.type
        if kind == "_OR":
            if not out or out[-1].type in _EXPECT_CLAUSE:
                report(msg.MISPLACED_OR, position_of(token))
                # In "-OR", the "-" has lost its clause too; one error is enough.
                while out and out[-1].type == "NEG":
                    out.pop()
                continue
            levels[-1].ors += 1
        elif kind == "_LPAR":
            levels.append(_Level(token))
        elif kind == "_RPAR":
            if len(levels) == 1:
                report(msg.UNMATCHED_CLOSE, position_of(token))
                continue
            level = levels.pop()
            _drop_dangling(out, level)
            if out[-1] is level.opener:
                out.pop()
                report(msg.EMPTY_GROUP, position_of(level.opener))
                # "-()" negates nothing; the empty group already says so.
                while out and out[-1].type == "NEG":
                    out.pop()
                continue
            level.close()
        elif kind == "WORD":
            if token == "AND":
                report(msg.AMBIGUOUS_AND, position_of(token))
                continue
        elif kind == "OPERATOR" and token[:7].lower() == "sample:":
            levels[-1].samples.append(token)
        out.append(token)

    # An unclosed "(" is dropped: its clauses join the enclosing level.
    while len(levels) > 1:
        level = levels.pop()
        assert level.opener is not None
        report(msg.UNCLOSED_OPEN, position_of(level.opener))
        out = [token for token in out if token is not level.opener]
        levels[-1].ors += level.ors
        levels[-1].samples += level.samples
    _drop_dangling(out, levels[0])
    levels[0].close()
    return out

"""Where the stages of one parse put the errors they find, and at which position.

The Lark object, with its post-lexer and transformer, is built once per
process and shared, so the errors of the parse in progress live in a
thread-local list that :func:`powertrack.rules.parser.parse_rule` installs
and collects.
"""

from __future__ import annotations

import threading

from lark import Token

__all__ = ["begin", "end", "position_of", "report"]

_state = threading.local()


def begin() -> list[tuple[str, int]]:
    errors: list[tuple[str, int]] = []
    _state.errors = errors
    return errors


def end() -> None:
    _state.errors = None


def report(message: str, position: int) -> None:
    _state.errors.append((message, position))


def position_of(token: Token) -> int:
    # Lark types start_pos as optional; RuleLexer always sets it.
    start: int = token.start_pos  # type: ignore[assignment]
    return start + 1

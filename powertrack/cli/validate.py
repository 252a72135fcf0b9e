"""``powertrack validate RULES``: check a file of rules, report every invalid one.

Input is JSON lines (``{"value": "...", "tag": "..."}``) or, with ``--text``,
one rule per line; ``-`` reads standard input and blank lines are skipped.
The file is streamed, so a million rules need no more memory than one.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from powertrack.cli.rules_file import UnusableLineError, read_rule_line
from powertrack.rules.errors import RuleSyntaxError
from powertrack.rules.parser import validate_rule, validate_tag

__all__ = ["run_validate"]

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_UNUSABLE = 2


def run_validate(path: Path, *, text_mode: bool) -> int:
    """Validate the rules in ``path`` (``-`` for stdin); return the exit status.

    0 when every rule is valid, 1 when any rule is invalid, 2 when the input
    cannot be used: an unreadable file, or in JSON mode a line that is not a
    JSON object with a string ``"value"``. Invalid rules go to stdout, input
    problems and the summary to stderr.
    """
    if str(path) == "-":
        return _validate_stream(sys.stdin.buffer, text_mode=text_mode)
    try:
        stream = path.open("rb")
    except OSError as exc:
        _complain(f"cannot read {path}: {exc.strerror or exc}")
        return EXIT_UNUSABLE
    with stream:
        return _validate_stream(stream, text_mode=text_mode)


def _validate_stream(lines: Iterable[bytes], *, text_mode: bool) -> int:
    checked = invalid = unusable = 0
    try:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = read_rule_line(line, text_mode=text_mode)
            except UnusableLineError as exc:
                _complain(f"line {number}: {exc}")
                unusable += 1
                continue
            checked += 1
            rule, tag = record.value, record.tag
            errors = validate_rule(rule)
            # RuleSyntaxError owns the wording "... (at position N)".
            problems = RuleSyntaxError(rule, errors).messages if errors else []
            problems += [f"tag: {problem}" for problem in _tag_problems(tag)]
            if problems:
                invalid += 1
                _report(sys.stdout, number, rule, problems)
    except OSError as exc:
        _complain(f"cannot read the rules: {exc.strerror or exc}")
        return EXIT_UNUSABLE
    summary = f"{_count(checked, 'rule')} checked, {invalid} invalid"
    if unusable:
        summary += f", {_count(unusable, 'unusable line')}"
    print(summary, file=sys.stderr)
    if unusable:
        return EXIT_UNUSABLE
    return EXIT_INVALID if invalid else EXIT_VALID


def _tag_problems(tag: object) -> list[str]:
    if tag is None:
        return []
    if not isinstance(tag, str):
        return ["a tag must be a string"]
    return validate_tag(tag)


def _report(out: IO[str], number: int, rule: str, problems: list[str]) -> None:
    out.write(f"line {number}: {rule}\n")
    for problem in problems:
        out.write(f"  {problem}\n")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _complain(message: str) -> None:
    print(f"powertrack validate: {message}", file=sys.stderr)

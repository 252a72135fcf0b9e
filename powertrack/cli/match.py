"""``powertrack match``: run rules over a file of tweets and print the matches."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import orjson

from powertrack.cli.rules_file import UnusableLineError, read_rule_line
from powertrack.index.index import RuleIndex, log_implementation
from powertrack.rules.errors import RuleSyntaxError
from powertrack.rules.parser import parse_rule
from powertrack.tweets.errors import TweetFormatError

__all__ = ["RulesFileError", "read_rules", "run_match"]

logger = logging.getLogger(__name__)

# The index learns which keys are common from the tweets it matched: every
# this many tweets, the loop (its only writer) lets it.
_MAINTAIN_EVERY = 1024
# Files larger than this show a progress bar when stderr is a terminal.
_PROGRESS_MIN_BYTES = 5_000_000
_PROGRESS_EVERY = 256


class RulesFileError(ValueError):
    """The rules file cannot be used at all (missing, unreadable, not JSON lines)."""


@dataclass(frozen=True, slots=True)
class RuleLine:
    """One rule read from a rules file."""

    line: int
    id: str
    value: str
    tag: str


def read_rules(path: Path, *, text_mode: bool) -> list[RuleLine]:
    """Read a rules file: JSON lines ``{"id"?, "value", "tag"?}`` or, with text_mode, plain lines.

    The rule id is the ``id`` field when given, else the line number.
    """
    try:
        content = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    except OSError as exc:
        raise RulesFileError(f"cannot read rules file {path}: {exc.strerror or exc}") from exc
    rules = []
    for number, raw_line in enumerate(content.splitlines(), start=1):
        if not raw_line.strip():
            continue
        try:
            record = read_rule_line(raw_line, text_mode=text_mode)
        except UnusableLineError as exc:
            raise RulesFileError(f"{path}:{number}: {exc}") from exc
        rules.append(
            RuleLine(
                number,
                str(record.id) if record.id is not None else str(number),
                record.value,
                record.tag if isinstance(record.tag, str) else "",
            )
        )
    return rules


def _tweet_lines(stream: IO[bytes], total: int | None) -> Iterator[bytes]:
    if total is None:
        yield from stream
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    with Progress(
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        transient=True,
        # On stderr, as the bar: stdout carries only the matches.
        console=Console(stderr=True),
    ) as progress:
        task = progress.add_task("matching", total=total)
        # The bar moves every _PROGRESS_EVERY lines: an update per line would
        # cost more than matching the line.
        pending = 0
        for number, line in enumerate(stream, start=1):
            pending += len(line)
            if number % _PROGRESS_EVERY == 0:
                progress.advance(task, pending)
                pending = 0
            yield line
        progress.advance(task, pending)


def run_match(rules_path: Path | None, tweets_path: Path | None, *, text_mode: bool) -> int:
    """Match every tweet against every rule; 0 on success, 2 on unusable input."""
    if rules_path is None or tweets_path is None:
        from powertrack.samples import sample_rules_path, sample_tweets_path

        rules_path = rules_path or sample_rules_path()
        tweets_path = tweets_path or sample_tweets_path()
    try:
        rule_lines = read_rules(rules_path, text_mode=text_mode)
    except RulesFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    log_implementation(logger)
    index: RuleIndex[int] = RuleIndex()
    parsed = []
    for ordinal, rule_line in enumerate(rule_lines):
        try:
            parsed.append((ordinal, parse_rule(rule_line.value)))
        except RuleSyntaxError as exc:
            print(
                f"rules line {rule_line.line}: skipped invalid rule {rule_line.value!r}: {exc}",
                file=sys.stderr,
            )
    index.add_many(parsed)
    out = sys.stdout.buffer
    # Each rule's part of an output line, serialized once.
    fragments = [orjson.dumps({"id": line.id, "tag": line.tag}) for line in rule_lines]
    with ExitStack() as stack:
        if str(tweets_path) == "-":
            stream: IO[bytes] = sys.stdin.buffer
            total = None
        else:
            try:
                stream = stack.enter_context(tweets_path.open("rb"))
            except OSError as exc:
                print(f"error: cannot read tweets file {tweets_path}: {exc}", file=sys.stderr)
                return 2
            size = tweets_path.stat().st_size
            total = size if sys.stderr.isatty() and size >= _PROGRESS_MIN_BYTES else None
        for number, line in enumerate(_tweet_lines(stream, total), start=1):
            if not line.strip():
                continue
            try:
                # Straight from the bytes, the id read on the way.
                tweet_id, matched = index.match_json_id(line)
            except TweetFormatError as exc:
                print(f"tweets line {number}: skipped malformed tweet: {exc}", file=sys.stderr)
                continue
            if number % _MAINTAIN_EVERY == 0:
                # This loop is the index's only writer: learning happens here.
                index.maintain()
            if not matched:
                continue
            # {"id": ..., "matching_rules": [{"id": ..., "tag": ...}, ...]}
            out.write(
                b'{"id":'
                + orjson.dumps(tweet_id)
                + b',"matching_rules":['
                + b",".join([fragments[ordinal] for ordinal in sorted(matched)])
                + b"]}\n"
            )
    out.flush()
    return 0

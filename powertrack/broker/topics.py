"""The names of powertrack's Kafka topics.

- the firehose: every tweet, as ingested; its name is configurable;
- ``powertrack.{side}.{account}.{label}``: the matches of one customer stream,
  as produced by the filter nodes of one side (``A`` or ``B``, the two
  redundant stacks);
- ``powertrack.{side}.deadletter``: the tweets a side's filter nodes could not
  process, kept for inspection rather than dropped.

Account names and labels cannot contain a dot, so a match topic splits back
into its parts unambiguously, and a dead-letter topic (three parts) never
collides with a match topic (four).
"""

from __future__ import annotations

import re
from typing import Final, Literal, NamedTuple, TypeGuard, get_args

from powertrack.accounts.names import is_valid_name
from powertrack.broker.errors import TopicNameError

__all__ = [
    "DEFAULT_FIREHOSE_TOPIC",
    "MAX_TOPIC_NAME_LENGTH",
    "SIDES",
    "MatchTopic",
    "Side",
    "deadletter_topic",
    "firehose_topic",
    "match_topic",
    "parse_match_topic",
    "validate_topic_name",
]

Side = Literal["A", "B"]
SIDES: Final[tuple[Side, ...]] = get_args(Side)

DEFAULT_FIREHOSE_TOPIC: Final = "firehose"
MAX_TOPIC_NAME_LENGTH: Final = 249
"""Kafka's limit: a topic's log directories are named after it plus a partition suffix."""

_PREFIX: Final = "powertrack"
_DEADLETTER: Final = "deadletter"
_LEGAL = re.compile(r"[A-Za-z0-9._-]+")


class MatchTopic(NamedTuple):
    """The parts of a per-customer match topic's name."""

    side: Side
    account: str
    label: str


def validate_topic_name(name: str) -> str:
    """Return ``name`` if Kafka accepts it as a topic name; raise ``TopicNameError`` if not.

    Checked here because some brokers (the embedded Tansu among them) create
    topics with names Kafka would refuse, which would then fail in production.
    """
    if not name or len(name) > MAX_TOPIC_NAME_LENGTH:
        raise TopicNameError(
            f"topic name {name!r} must be 1 to {MAX_TOPIC_NAME_LENGTH} characters long"
        )
    if name in {".", ".."}:
        raise TopicNameError(f"topic name {name!r} is reserved")
    if _LEGAL.fullmatch(name) is None:
        raise TopicNameError(
            f"topic name {name!r} may contain only ASCII letters, digits, '.', '_' and '-'"
        )
    return name


def firehose_topic(name: str = DEFAULT_FIREHOSE_TOPIC) -> str:
    """The firehose topic's name: ``name`` (from the settings), once checked."""
    return validate_topic_name(name)


def match_topic(side: Side, account: str, label: str) -> str:
    """The topic one side's filter nodes publish the matches of stream ``account/label`` to."""
    _check_side(side)
    for what, value in (("account name", account), ("stream label", label)):
        if not is_valid_name(value):
            raise TopicNameError(
                f"{what} {value!r} must be 1 to 64 ASCII letters, digits, '_' or '-'"
            )
    return f"{_PREFIX}.{side}.{account}.{label}"


def deadletter_topic(side: Side) -> str:
    """The topic one side's filter nodes send the tweets they could not process to."""
    _check_side(side)
    return f"{_PREFIX}.{side}.{_DEADLETTER}"


def parse_match_topic(topic: str) -> MatchTopic | None:
    """The side, account and label of a match topic; ``None`` for any other topic."""
    parts = topic.split(".")
    if len(parts) != 4 or parts[0] != _PREFIX:
        return None
    _, side, account, label = parts
    if not _is_side(side) or not is_valid_name(account) or not is_valid_name(label):
        return None
    return MatchTopic(side, account, label)


def _is_side(value: str) -> TypeGuard[Side]:
    return value in SIDES


def _check_side(side: str) -> None:
    if not _is_side(side):
        raise TopicNameError(f"side must be one of {', '.join(SIDES)}, not {side!r}")

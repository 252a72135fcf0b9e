"""powertrack's topic names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from powertrack.broker import (
    DEFAULT_FIREHOSE_TOPIC,
    SIDES,
    MatchTopic,
    Side,
    TopicNameError,
    deadletter_topic,
    firehose_topic,
    match_topic,
    parse_match_topic,
    validate_topic_name,
)

names = st.from_regex(r"\A[A-Za-z0-9_-]{1,64}\Z")
sides: st.SearchStrategy[Side] = st.sampled_from(SIDES)


def test_the_firehose_topic_is_the_configured_name() -> None:
    assert firehose_topic() == DEFAULT_FIREHOSE_TOPIC == "firehose"
    assert firehose_topic("tweets.v2") == "tweets.v2"
    with pytest.raises(TopicNameError):
        firehose_topic("tweets v2")


def test_match_and_deadletter_topics_are_per_side() -> None:
    assert match_topic("A", "acme", "prod") == "powertrack.A.acme.prod"
    assert match_topic("B", "acme", "prod") == "powertrack.B.acme.prod"
    assert deadletter_topic("A") == "powertrack.A.deadletter"


@pytest.mark.parametrize(
    ("side", "account", "label"),
    [("C", "acme", "prod"), ("a", "acme", "prod"), ("A", "ac.me", "prod"), ("A", "acme", "")],
)
def test_match_topic_refuses_bad_parts(side: str, account: str, label: str) -> None:
    with pytest.raises(TopicNameError):
        match_topic(side, account, label)  # type: ignore[arg-type]


@given(sides, names, names)
def test_a_match_topic_is_legal_and_parses_back(side: Side, account: str, label: str) -> None:
    topic = match_topic(side, account, label)

    assert validate_topic_name(topic) == topic
    assert parse_match_topic(topic) == MatchTopic(side, account, label)
    assert topic != deadletter_topic(side)


@pytest.mark.parametrize(
    "topic",
    [
        "firehose",
        "powertrack.A.deadletter",
        "powertrack.C.acme.prod",
        "other.A.acme.prod",
        "powertrack.A.acme.prod.extra",
        "powertrack.A..prod",
    ],
)
def test_other_topics_are_not_match_topics(topic: str) -> None:
    assert parse_match_topic(topic) is None


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "1 to 249"),
        ("x" * 250, "1 to 249"),
        (".", "reserved"),
        ("..", "reserved"),
        ("tweets/v2", "may contain only"),
        ("tweets\u00e9", "may contain only"),
    ],
)
def test_names_kafka_refuses_are_refused(name: str, message: str) -> None:
    with pytest.raises(TopicNameError, match=message):
        validate_topic_name(name)


def test_topic_name_errors_are_value_errors() -> None:
    assert issubclass(TopicNameError, ValueError)
    assert validate_topic_name("x" * 249) == "x" * 249

"""The published form of a match: spliced tweet bytes plus ``matching_rules``."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from powertrack import Tweet
from powertrack.matches import (
    MatchedRule,
    MatchTemplate,
    TweetFormat,
    dead_letter_headers,
    header,
    match_headers,
    match_record,
    tweet_format,
)
from powertrack.samples import sample_tweets_path

V11: dict[str, Any] = {
    "id": 1664059180470878209,
    "id_str": "1664059180470878209",
    "text": 'Café ☕ and 🚀 launch \u2028 "quoted" \\ back',
    "user": {"id_str": "2", "screen_name": "nasa"},
    "lang": "en",
}
V2: dict[str, Any] = {
    "data": {"id": "7", "text": "Mars rover 火星", "author_id": "2"},
    "includes": {"users": [{"id": "2", "username": "nasa", "name": "NASA"}]},
}
RULES = [MatchedRule(20, None), MatchedRule(3, "space 🚀")]


def published(raw: bytes, rules: list[MatchedRule] = RULES) -> dict[str, Any]:
    document = orjson.loads(raw)
    out = match_record(raw, tweet_format(document), rules)
    Tweet.from_json(out)
    parsed: dict[str, Any] = orjson.loads(out)
    return parsed


@pytest.mark.parametrize("suffix", [b"", b"\n", b" \r\n\t ", b"\n\n"])
def test_v11_gets_rules_at_the_root(suffix: bytes) -> None:
    raw = orjson.dumps(V11) + suffix
    document = published(raw)
    assert document.pop("matching_rules") == [
        {"id": 3, "id_str": "3", "tag": "space 🚀"},
        {"id": 20, "id_str": "20", "tag": None},
    ]
    assert document == V11
    # Spliced: the tweet's own bytes are kept as they were.
    out = match_record(raw, TweetFormat.V11, RULES)
    assert out.startswith(orjson.dumps(V11)[:-1] + b',"matching_rules":[')


def test_v11_bytes_are_kept_verbatim() -> None:
    raw = b'{ "id_str" : "1",\n  "text": "caf\\u00e9 1.50E+2", "user": {"id_str": "2"} }\n'
    out = match_record(raw, TweetFormat.V11, [MatchedRule(1, "t")])
    assert out == (
        b'{ "id_str" : "1",\n  "text": "caf\\u00e9 1.50E+2", "user": {"id_str": "2"} '
        b',"matching_rules":[{"id":1,"id_str":"1","tag":"t"}]}'
    )
    assert Tweet.from_json(out).text == "café 1.50E+2"


@pytest.mark.parametrize("suffix", [b"", b"\n", b"  \n"])
def test_v2_gets_rules_beside_data(suffix: bytes) -> None:
    document = published(orjson.dumps(V2) + suffix)
    assert document.pop("matching_rules") == [
        {"id": "3", "tag": "space 🚀"},
        {"id": "20", "tag": ""},
    ]
    assert document == V2


def test_a_bare_v2_tweet_is_wrapped_as_data() -> None:
    bare = V2["data"]
    assert tweet_format(bare) is TweetFormat.V2_BARE
    document = published(orjson.dumps(bare) + b"\n")
    assert document == {
        "data": bare,
        "matching_rules": [{"id": "3", "tag": "space 🚀"}, {"id": "20", "tag": ""}],
    }


def test_earlier_matching_rules_are_replaced_not_duplicated() -> None:
    raw = orjson.dumps({**V11, "matching_rules": [{"id": 1, "id_str": "1", "tag": None}]})
    document = published(raw, [MatchedRule(5, "x")])
    assert document["matching_rules"] == [{"id": 5, "id_str": "5", "tag": "x"}]
    out = match_record(raw, TweetFormat.V11, [MatchedRule(5, "x")])
    assert out.count(b"matching_rules") == 1


def test_every_sample_tweet_round_trips() -> None:
    lines = sample_tweets_path().read_bytes().splitlines(keepends=True)
    formats = set()
    for raw in lines[:300]:
        document = orjson.loads(raw)
        fmt = tweet_format(document)
        formats.add(fmt)
        out = match_record(raw, fmt, [MatchedRule(1, "a")])
        assert Tweet.from_json(out) == Tweet.from_json(raw)
        parsed = orjson.loads(out)
        rules = parsed.pop("matching_rules")
        assert parsed == document
        assert rules == (
            [{"id": "1", "tag": "a"}]
            if fmt is TweetFormat.V2
            else [{"id": 1, "id_str": "1", "tag": "a"}]
        )
    assert formats == {TweetFormat.V11, TweetFormat.V2}


@given(text=st.text(), tag=st.none() | st.text(max_size=20), rule_id=st.integers(1, 2**63 - 1))
def test_any_text_and_tag_survive(text: str, tag: str | None, rule_id: int) -> None:
    raw = orjson.dumps({**V11, "text": text})
    document = published(raw, [MatchedRule(rule_id, tag)])
    assert document["text"] == text
    assert document["matching_rules"] == [{"id": rule_id, "id_str": str(rule_id), "tag": tag}]


_RULE = st.builds(MatchedRule, st.integers(1, 2**63 - 1), st.none() | st.text(max_size=12))


@given(
    streams=st.lists(
        st.lists(_RULE, min_size=1, max_size=6, unique_by=lambda r: r.id), min_size=1, max_size=5
    ),
    base=st.sampled_from([V11, V2, V2["data"]]),
)
def test_one_template_gives_each_stream_the_record_a_fresh_encoding_would(
    streams: list[list[MatchedRule]], base: dict[str, Any]
) -> None:
    # The template cuts the tweet once and encodes rules from a cache: every
    # stream's record must be what encoding the document with its rules gives.
    raw = orjson.dumps(base)
    fmt = tweet_format(base)
    template = MatchTemplate(raw, fmt)
    for rules in streams:
        out = template.record(rules)
        document: dict[str, Any] = {"data": base} if fmt is TweetFormat.V2_BARE else dict(base)
        ordered = sorted(rules)
        document["matching_rules"] = (
            [{"id": r.id, "id_str": str(r.id), "tag": r.tag} for r in ordered]
            if fmt is TweetFormat.V11
            else [{"id": str(r.id), "tag": r.tag or ""} for r in ordered]
        )
        assert out == orjson.dumps(document)


def test_match_headers() -> None:
    headers = match_headers("1664059180470878209", 3, 12345, 1_700_000_000_123)
    assert headers == [
        ("tweet_id", b"1664059180470878209"),
        ("firehose_partition", b"3"),
        ("firehose_offset", b"12345"),
        ("matched_at", b"1700000000123"),
    ]
    assert header(headers, "firehose_offset") == b"12345"
    assert header(headers, "missing") is None


def test_dead_letter_headers_carry_the_error_cut_short() -> None:
    headers = dead_letter_headers("not JSON: ✗ " + "x" * 5000, 1, 2)
    error = header(headers, "error")
    assert error is not None
    assert error.decode("utf-8").startswith("not JSON: ✗ ")
    assert len(error) <= 1024
    assert header(headers, "firehose_partition") == b"1"
    assert header(headers, "firehose_offset") == b"2"


def test_catch_up_matches_are_marked() -> None:
    from powertrack.matches import CATCH_UP, header, match_headers

    assert header(match_headers("1", 0, 5, 7, catch_up=True), CATCH_UP) == b"1"
    assert header(match_headers("1", 0, 5, 7), CATCH_UP) is None

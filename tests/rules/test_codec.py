"""The compiled form of a rule decodes to the very AST it was made from."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given, settings

from powertrack.rules import codec
from powertrack.rules.ast import Node
from powertrack.rules.parser import parse_rule
from powertrack.samples import sample_rules_path
from tests.strategies import rule_nodes


@settings(max_examples=500, deadline=None)
@given(rule_nodes())
def test_round_trip(node: Node) -> None:
    assert codec.decode(codec.encode(node)) == node


def test_sample_rules_round_trip() -> None:
    for line in sample_rules_path().read_text(encoding="utf-8").splitlines():
        node = parse_rule(orjson.loads(line)["value"]).root
        assert codec.decode(codec.encode(node)) == node


def test_form_is_compact_and_versioned() -> None:
    code = codec.encode(parse_rule('from:nasa (#mars OR "perseverance rover") -is:retweet').root)
    assert orjson.loads(code) == [
        codec.VERSION,
        [
            "&",
            ["u", "from", "nasa"],
            ["|", ["#", "mars"], ["p", "perseverance", "rover"]],
            ["-", ["is", "retweet"]],
        ],
    ]


def test_floats_round_trip_exactly() -> None:
    node = parse_rule("point_radius:[-80.6123456789 28.5712345678 10mi]").root
    assert codec.decode(codec.encode(node)) == node


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (b"not json", "not a compiled rule"),
        (b'[2, ["k", "a"]]', "version 2"),
        (b"[1]", r"expected \[version, tree\]"),
        (b'[1, ["zz", "a"]]', "unknown node kind"),
        (b'[1, ["&", ["k", "a"]]]', "at least two children"),
        (b'[1, ["k"]]', "at least 1 strings"),
        (b'[1, ["u", "by", "nasa"]]', "expected one of"),
        (b'[1, ["n", "followers_count", "10", null]]', "expected an integer"),
        (b'[1, ["#", "a", "b"]]', "takes 1 values"),
    ],
)
def test_damaged_or_foreign_forms_are_refused(code: bytes, message: str) -> None:
    with pytest.raises(codec.RuleCodeError, match=message):
        codec.decode(code)

"""render(): rule text that parses back to the same AST."""

from __future__ import annotations

from collections import Counter
from typing import get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from powertrack.geo import KM_PER_MILE
from powertrack.rules.ast import (
    And,
    BoundingBox,
    Contains,
    Has,
    Hashtag,
    Is,
    Keyword,
    Node,
    Not,
    Or,
    Phrase,
    PointRadius,
    Proximity,
    Sample,
    Url,
    UrlContains,
)
from powertrack.rules.parser import parse_rule, validate_rule
from powertrack.rules.render import render
from tests.strategies import rule_nodes

APPLE = Keyword(("apple",))
PIE = Keyword(("pie",))


@settings(max_examples=200, deadline=None)
@given(rule_nodes())
def test_parse_of_render_is_the_identity(node: Node) -> None:
    text = render(node)
    assert validate_rule(text) == []
    assert parse_rule(text).root == node


@settings(max_examples=50, deadline=None)
@given(rule_nodes(max_depth=1))
def test_render_of_parse_is_stable(node: Node) -> None:
    text = render(node)
    assert render(parse_rule(text).root) == text


_PIECES = st.sampled_from(
    [
        *'abcXYZ019 ()"-#@$:_.,[]~\\!éß🚀❤',
        *("\ufe0f", "\u20e3", "OR", "AND", "or", "from:", "is:", "has:", "lang:", "sample:"),
        *("url:", "contains:", "point_radius:[", "0 0 1km]", "~3"),
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join))
def test_any_accepted_text_round_trips(text: str) -> None:
    errors = validate_rule(text)
    assert all(1 <= position <= len(text) + 1 for _, position in errors)
    if not errors:
        root = parse_rule(text).root
        assert parse_rule(render(root)).root == root


@pytest.mark.parametrize(
    ("node", "text"),
    [
        (And((APPLE, PIE)), "apple pie"),
        (Or((APPLE, And((PIE, Keyword(("tart",)))))), "apple OR (pie tart)"),
        (And((Or((APPLE, PIE)), Sample(10))), "(apple OR pie) sample:10"),
        (And((APPLE, Not(Or((PIE, Hashtag("tart")))))), "apple -(pie OR #tart)"),
        (And((APPLE, Not(Not(PIE)))), "apple --pie"),
        (And((APPLE, Not(Is("nullcast")))), "apple -is:nullcast"),
        (Keyword(("coca", "cola")), "coca-cola"),
        (Phrase(("apple", "pie")), '"apple pie"'),
        (Proximity(("apple", "pie"), 3), '"apple pie"~3'),
        (Contains("ice cream"), 'contains:"ice cream"'),
        (Contains('say "hi" \\o/'), 'contains:"say \\"hi\\" \\\\o/"'),
        (Contains("(x)"), 'contains:"(x)"'),
        (Contains("nasa"), "contains:nasa"),
        (UrlContains("nasa.gov/mars"), "url_contains:nasa.gov/mars"),
        (Url(("nasa", "gov")), 'url:"nasa gov"'),
        (And((APPLE, Has("symbols"))), "apple has:symbols"),
        (PointRadius(2.35, 48.86, 10 * KM_PER_MILE), "point_radius:[2.35 48.86 16.09344km]"),
        (BoundingBox(-0.1, 51.4, 0.1, 51.6), "bounding_box:[-0.1 51.4 0.1 51.6]"),
    ],
)
def test_render(node: Node, text: str) -> None:
    assert render(node) == text
    assert parse_rule(text).root == node


@pytest.mark.parametrize(
    "text",
    [
        'from:nasa (#mars OR "perseverance rover") -is:retweet lang:en',
        "apple OR iphone ipad -(case OR cover) has:images",
        'FROM:@NASA user_bio:"Rocket Science" following_count:10..20 has:cashtags',
        "point_radius:[-105.27 40.01 10mi] geo_bounding_box:[-105.3 39.9 -105.1 40.1]",
        "#️⃣-x 🚀launch cumpleaños Straße",
    ],
)
def test_render_round_trips_customer_rules(text: str) -> None:
    root = parse_rule(text).root
    assert parse_rule(render(root)).root == root


def test_render_rejects_what_is_not_a_node() -> None:
    with pytest.raises(TypeError):
        render("apple")  # type: ignore[arg-type]


def test_the_strategy_covers_every_node_type() -> None:
    seen: Counter[str] = Counter()

    @settings(max_examples=200, deadline=None, database=None, derandomize=True)
    @given(rule_nodes())
    def collect(node: Node) -> None:
        stack = [node]
        while stack:
            current = stack.pop()
            seen[type(current).__name__] += 1
            if isinstance(current, (And, Or)):
                stack.extend(current.children)
            elif isinstance(current, Not):
                stack.append(current.child)

    collect()
    assert set(seen) == {node_type.__name__ for node_type in get_args(Node)}

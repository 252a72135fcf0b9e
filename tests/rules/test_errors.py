"""Rejected rules: every error, its message and its 1-based position."""

from __future__ import annotations

import pytest

from powertrack.rules.errors import RuleSyntaxError
from powertrack.rules.parser import MAX_RULE_LENGTH, parse_rule, validate_rule

AMBIGUOUS_AND = (
    "Ambiguous use of and as a keyword. Use a space to logically join two clauses, "
    'or "and" to find occurrences of and in text'
)
NO_POSITIVE = "Rules must contain a non-negation term"
ONLY_STOPWORDS = "Rules must contain at least one positive, non-stopword clause"
NEGATION_IN_OR = "A negated clause cannot be an alternative of an OR"
PUNCTUATION = "Unquoted keywords cannot start with punctuation"
LONE_DASH = "A '-' must be directly followed by the clause it negates"
UNCLOSED_QUOTE = "Unbalanced quotes"
UNCLOSED_OPEN = "Unbalanced parentheses: this '(' is never closed"
UNMATCHED_CLOSE = "Unbalanced parentheses: this ')' has no matching '('"
EMPTY_GROUP = "Empty parentheses"
MISPLACED_OR = "OR must join two clauses"
MISSING_VALUE = "requires a value"
NOT_STANDALONE = "cannot be used as a standalone operator; AND it"
NOT_STANDALONE_IN_OR = "cannot be used as a standalone operator: each alternative of an OR"
SAMPLE_IN_OR = "sample: applies to the whole rule"
NULLCAST = "is:nullcast can only be used negated"
PROXIMITY_DISTANCE = "Proximity distance must be a whole number from 1 to 6"
RADIUS = "the radius must be above 0 and at most 25 mi"
BOX_SIDE = "each side of the box must be at most 25 mi"
COMMA = "Values in [...] are separated by spaces, not commas"

# The rule, then each expected error as (a fragment of its message, position),
# in position order.
REJECTED: list[tuple[str, list[tuple[str, int]]]] = [
    # Explicit AND.
    ("AND apple", [(AMBIGUOUS_AND, 1)]),
    ("apple AND banana AND cherry", [(AMBIGUOUS_AND, 7), (AMBIGUOUS_AND, 18)]),
    # No positive clause; only stop words.
    ("-apple", [(NO_POSITIVE, 1)]),
    ("-apple -banana", [(NO_POSITIVE, 1)]),
    ("-(apple banana)", [(NO_POSITIVE, 1)]),
    ("--apple", [(NO_POSITIVE, 1)]),
    ("  -apple", [(NO_POSITIVE, 3)]),
    ("-is:nullcast", [(NO_POSITIVE, 1)]),
    ("the", [(ONLY_STOPWORDS, 1)]),
    ("the -apple", [(ONLY_STOPWORDS, 1)]),
    ("a OR the", [(ONLY_STOPWORDS, 1)]),
    ("in-the", [(ONLY_STOPWORDS, 1)]),
    # Negation directly inside OR, even when parenthesized alone.
    ("apple OR -banana", [(NEGATION_IN_OR, 10)]),
    ("(apple OR -banana) cherry", [(NEGATION_IN_OR, 11)]),
    ("apple OR (-banana)", [(NEGATION_IN_OR, 11)]),
    ("-(apple OR -banana) cherry", [(NEGATION_IN_OR, 12)]),
    ("apple OR (-banana -cherry)", [("Each alternative of an OR must contain a non-negation", 11)]),
    # Unquoted keywords starting with punctuation; a lone "-".
    (".net", [(PUNCTUATION + ": '.net'", 1)]),
    ("apple !!!", [(PUNCTUATION, 7)]),
    ("apple - banana", [(LONE_DASH, 7)]),
    ("apple -", [(LONE_DASH, 7)]),
    # Quotes and parentheses.
    ('"apple pie', [(UNCLOSED_QUOTE, 1)]),
    ('apple "pie', [(UNCLOSED_QUOTE, 7)]),
    ('from:"nasa', [(UNCLOSED_QUOTE, 6)]),
    ('apple "pie\\"', [(UNCLOSED_QUOTE, 7)]),
    ("(apple", [(UNCLOSED_OPEN, 1)]),
    ("((apple)", [(UNCLOSED_OPEN, 1)]),
    ("apple)", [(UNMATCHED_CLOSE, 6)]),
    ("apple))", [(UNMATCHED_CLOSE, 6), (UNMATCHED_CLOSE, 7)]),
    ("()", [(EMPTY_GROUP, 1)]),
    ("apple -()", [(EMPTY_GROUP, 8)]),
    ("OR apple", [(MISPLACED_OR, 1)]),
    ("apple OR", [(MISPLACED_OR, 7)]),
    ("apple OR OR banana", [(MISPLACED_OR, 10)]),
    ("(apple OR) banana", [(MISPLACED_OR, 8)]),
    ("-OR apple", [(MISPLACED_OR, 2)]),
    # Unknown operators.
    ("foo:bar apple", [("Reference to invalid operator 'foo'", 1)]),
    ("apple Foo:bar", [("Reference to invalid operator 'Foo'", 7)]),
    ("http://nasa.gov", [("Reference to invalid operator 'http'; to match a URL, use url:", 1)]),
    # Operator values.
    ("from:", [("Operator from: " + MISSING_VALUE, 1)]),
    ("from: nasa", [("Operator from: " + MISSING_VALUE, 1)]),
    ("from:na-sa", [("Invalid value in 'from:na-sa': expected a user name", 1)]),
    ("from:@", [("Invalid value in 'from:@'", 1)]),
    ("conversation_id:0", [("Invalid value in 'conversation_id:0'", 1)]),
    ("conversation_id:12a", [("expected a numeric post id", 1)]),
    ("conversation_id:99999999999999999999", [("expected a numeric post id", 1)]),
    ("followers_count:abc cat", [("expected a whole number N (at least N) or a range", 1)]),
    ("followers_count:-5 cat", [("Invalid value in 'followers_count:-5'", 1)]),
    ("followers_count:1.5 cat", [("Invalid value in 'followers_count:1.5'", 1)]),
    ("friends_count:10..5 cat", [("the low end of a range must not be above its high end", 1)]),
    ("followers_count:1234567890123456789 cat", [("Invalid value", 1)]),
    ("cat lang:english", [("Invalid value in 'lang:english': expected a BCP 47", 5)]),
    ("cat lang:e", [("Invalid value in 'lang:e'", 5)]),
    ("cat has:foo", [("Invalid value in 'has:foo': expected one of links, mentions", 5)]),
    ("cat is:foo", [("Invalid value in 'is:foo': expected one of retweet, reply", 5)]),
    ("cat is:nullcast", [(NULLCAST, 5)]),
    ("cat -(is:nullcast dog)", [(NULLCAST, 7)]),
    ("cat sample:0", [("Invalid value in 'sample:0': expected a whole percentage", 5)]),
    ("cat sample:101", [("Invalid value in 'sample:101'", 5)]),
    ("cat sample:5.5", [("Invalid value in 'sample:5.5'", 5)]),
    ("place_country:usa", [("expected an ISO 3166 alpha-2 country code", 1)]),
    ("place:!!!", [("expected at least one word", 1)]),
    ("url:...", [("expected at least one word", 1)]),
    ('contains:""', [("expected some text", 1)]),
    ('contains:" "', [("expected some text", 1)]),
    ("contains:[x]", [("[...] is only for point_radius: and bounding_box:", 1)]),
    # Phrases and proximity.
    ('""', [("Quoted phrases must contain at least one word", 1)]),
    ('apple "!!!"', [("Quoted phrases must contain at least one word", 7)]),
    ('"apple pie"~0', [(PROXIMITY_DISTANCE, 1)]),
    ('"apple pie"~7', [(PROXIMITY_DISTANCE, 1)]),
    ('"apple pie"~', [(PROXIMITY_DISTANCE, 1)]),
    ('"apple pie"~x', [(PROXIMITY_DISTANCE, 1)]),
    ('"apple"~2', [("Proximity needs at least two words", 1)]),
    # Sigils.
    ("#", [("# must be directly followed by a hashtag", 1)]),
    ("#coca-cola", [("Invalid hashtag '#coca-cola'", 1)]),
    ("@", [("@ must be directly followed by a user name", 1)]),
    ("@na-sa", [("Invalid mention '@na-sa'", 1)]),
    ("$", [("$ must be directly followed by a symbol", 1)]),
    ("$toolong", [("Invalid cashtag '$toolong'", 1)]),
    ("$1", [("Invalid cashtag '$1'", 1)]),
    # Geo.
    ("point_radius:[0 0 26mi]", [(RADIUS, 1)]),
    ("point_radius:[0 0 40.3km]", [(RADIUS, 1)]),
    ("point_radius:[0 0 0km]", [(RADIUS, 1)]),
    ("point_radius:[0 0 10]", [("the radius must be a number followed by mi or km", 1)]),
    ("point_radius:[0 0 10ft]", [("the radius must be a number followed by mi or km", 1)]),
    ("point_radius:[181 0 1km]", [("the first value must be a longitude from -180 to 180", 1)]),
    ("point_radius:[0 91 1km]", [("the second value must be a latitude from -90 to 90", 1)]),
    ("point_radius:[0 nan 1km]", [("the second value must be a latitude", 1)]),
    (
        "point_radius:[200 95 1yd]",
        [("must be a longitude", 1), ("must be a latitude", 1), ("followed by mi or km", 1)],
    ),
    ("point_radius:[0,0,1km]", [(COMMA, 1)]),
    ("point_radius:[0 0]", [("expected 3 values: [longitude latitude radius]", 1)]),
    ("point_radius:0", [("Operator point_radius: expects [longitude latitude radius]", 1)]),
    ('point_radius:"0 0 1km"', [("Operator point_radius: expects", 1)]),
    ("point_radius:[0 0 1km", [("Unbalanced brackets: this '[' is never closed", 14)]),
    ("bounding_box:[0 0 1 1]", [(BOX_SIDE + " (40.23 km); this one is 111.2 km wide", 1)]),
    ("geo_bounding_box:[0 0 0.37 0.1]", [(BOX_SIDE, 1)]),
    ("bounding_box:[1 0 0 1]", [("west must be below east, and south below north", 1)]),
    ("bounding_box:[0 1 1 0]", [("west must be below east, and south below north", 1)]),
    ("bounding_box:[0 0 0.1]", [("expected 4 values: [west south east north]", 1)]),
    ("bounding_box:[0,0,0.1,0.1]", [(COMMA, 1)]),
    ("bounding_box:[-181 0 0.1 0.1]", [("west must be a longitude from -180 to 180", 1)]),
    # Conjunction-required operators, alone or in an OR alternative.
    ("is:retweet", [("'is:retweet' " + NOT_STANDALONE, 1)]),
    (
        "is:retweet lang:en",
        [("'is:retweet' " + NOT_STANDALONE, 1), ("'lang:en' " + NOT_STANDALONE, 12)],
    ),
    ("has:links -apple", [("'has:links' " + NOT_STANDALONE, 1)]),
    ("sample:10", [("'sample:10' " + NOT_STANDALONE, 1)]),
    ("source:tweetdeck", [("'source:tweetdeck' " + NOT_STANDALONE, 1)]),
    ("is:nullcast", [(NULLCAST, 1)]),
    ("apple OR lang:en", [("'lang:en' " + NOT_STANDALONE_IN_OR, 10)]),
    ("lang:en OR has:links apple", [("'lang:en' " + NOT_STANDALONE_IN_OR, 1)]),
    (
        "apple OR (is:retweet has:links)",
        [("'is:retweet' " + NOT_STANDALONE_IN_OR, 11), ("'has:links' " + NOT_STANDALONE_IN_OR, 22)],
    ),
    ("(banana OR has:geo) -apple", [("'has:geo' " + NOT_STANDALONE_IN_OR, 12)]),
    # sample: beside an OR without parentheses.
    ("apple OR banana sample:10", [(SAMPLE_IN_OR, 17)]),
    ("sample:10 apple OR banana", [(SAMPLE_IN_OR, 1)]),
    ("apple OR -sample:10 banana", [(SAMPLE_IN_OR, 11)]),
    ("(apple OR banana sample:10) cherry", [(SAMPLE_IN_OR, 18)]),
    # Empty rules.
    ("", [("Rules must contain at least one clause", 1)]),
    (" \t\n", [("Rules must contain at least one clause", 1)]),
    ("AND", [(AMBIGUOUS_AND, 1)]),
    # Several errors at once, in position order.
    (
        'apple AND banana OR -cherry foo:bar "unclosed',
        [(AMBIGUOUS_AND, 7), ("Reference to invalid operator 'foo'", 29), (UNCLOSED_QUOTE, 37)],
    ),
    (
        "(lang:xxxxxx OR #) -apple is:bogus)",
        [
            ("Invalid value in 'lang:xxxxxx'", 2),
            ("# must be", 17),
            ("Invalid value in 'is:bogus'", 27),
            (UNMATCHED_CLOSE, 35),
        ],
    ),
    (":) from:", [(PUNCTUATION, 1), (UNMATCHED_CLOSE, 2), (MISSING_VALUE, 4)]),
    ("apple OR -banana OR -cherry", [(NEGATION_IN_OR, 10), (NEGATION_IN_OR, 21)]),
    ("is:retweet AND -x", [(AMBIGUOUS_AND, 12), ("'is:retweet' " + NOT_STANDALONE, 1)]),
]


@pytest.mark.parametrize(("text", "expected"), REJECTED, ids=[text for text, _ in REJECTED])
def test_rejected(text: str, expected: list[tuple[str, int]]) -> None:
    errors = validate_rule(text)
    assert [position for _, position in errors] == sorted(position for _, position in expected)
    for fragment, position in expected:
        assert any(fragment in message and where == position for message, where in errors), (
            f"{fragment!r} at {position} not in {errors}"
        )
    with pytest.raises(RuleSyntaxError) as raised:
        parse_rule(text)
    assert raised.value.errors == errors
    assert raised.value.rule == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("apple AND banana", AMBIGUOUS_AND),
        ("-apple", NO_POSITIVE),
        ("the", ONLY_STOPWORDS),
    ],
)
def test_x_api_messages_are_exact(text: str, message: str) -> None:
    assert [message for message, _ in validate_rule(text)] == [message]


def test_error_string_names_the_position() -> None:
    with pytest.raises(RuleSyntaxError) as raised:
        parse_rule("-apple")
    assert raised.value.errors == [("Rules must contain a non-negation term", 1)]
    assert str(raised.value) == "Rules must contain a non-negation term (at position 1)"


def test_several_errors_in_one_exception() -> None:
    with pytest.raises(RuleSyntaxError) as raised:
        parse_rule("apple AND (banana")
    assert str(raised.value) == "; ".join(raised.value.messages)
    assert raised.value.messages == [
        AMBIGUOUS_AND + " (at position 7)",
        UNCLOSED_OPEN + " (at position 11)",
    ]


def test_the_length_limit_counts_code_points() -> None:
    # Each rocket is 1 code point but 4 UTF-8 bytes and 2 UTF-16 units.
    longest = "🚀 " * (MAX_RULE_LENGTH // 2)
    assert len(longest) == MAX_RULE_LENGTH
    assert validate_rule(longest) == []
    assert validate_rule(longest + "x") == [
        (f"Rules are limited to 2048 characters; this one has {MAX_RULE_LENGTH + 1}", 2049)
    ]
    # A decomposed é is two code points.
    decomposed = "e\u0301" * (MAX_RULE_LENGTH // 2)
    assert validate_rule(decomposed) == []
    assert [position for _, position in validate_rule(decomposed + " x")] == [2049]


def test_a_long_rule_still_reports_its_other_errors() -> None:
    errors = validate_rule("apple AND " + "x" * MAX_RULE_LENGTH)
    assert [position for _, position in errors] == [7, 2049]


@pytest.mark.parametrize("text", ["a" + " " * 5000, '"' + "\\" * 5000, "(" * 3000, "a OR " * 400])
def test_pathological_input_is_fast(text: str) -> None:
    assert validate_rule(text)  # and the test runs in milliseconds

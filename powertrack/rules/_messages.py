"""Customer-facing messages of rule errors.

The first three are the X API v2 texts word for word, so that tooling written
against the X API recognises them; the others follow the same style: say what
is wrong and what to write instead.
"""

from __future__ import annotations

MAX_RULE_LENGTH = 2048
MAX_TAG_LENGTH = 255

AMBIGUOUS_AND = (
    "Ambiguous use of and as a keyword. Use a space to logically join two clauses, "
    'or "and" to find occurrences of and in text'
)
NO_POSITIVE = "Rules must contain a non-negation term"
ONLY_STOPWORDS = "Rules must contain at least one positive, non-stopword clause"

EMPTY_RULE = "Rules must contain at least one clause"
TOO_LONG = f"Rules are limited to {MAX_RULE_LENGTH} characters; this one has {{length}}"
TAG_TOO_LONG = f"Tags are limited to {MAX_TAG_LENGTH} characters; this one has {{length}}"

UNMATCHED_CLOSE = "Unbalanced parentheses: this ')' has no matching '('"
UNCLOSED_OPEN = "Unbalanced parentheses: this '(' is never closed"
EMPTY_GROUP = "Empty parentheses: a group must contain at least one clause"
MISPLACED_OR = "OR must join two clauses, as in apple OR banana"
DANGLING_NEGATION = "A '-' must be directly followed by the clause or group it negates"
LONE_DASH = "A '-' must be directly followed by the clause it negates, with no space: -apple"
UNCLOSED_QUOTE = "Unbalanced quotes: this '\"' is never closed"
UNCLOSED_BRACKET = "Unbalanced brackets: this '[' is never closed"
UNEXPECTED = "Unexpected {token!r}"

PUNCTUATION = (
    "Unquoted keywords cannot start with punctuation: {word!r}; "
    'quote it as a phrase ("{word}") or remove the punctuation'
)
NOTHING_TO_MATCH = "Keyword {word!r} has no letters, digits or emoji to match"
EMPTY_PHRASE = "Quoted phrases must contain at least one word, letter, digit or emoji"
PROXIMITY_DISTANCE = 'Proximity distance must be a whole number from 1 to 6, as in "apple pie"~3'
PROXIMITY_WORDS = 'Proximity needs at least two words in the quotes, as in "apple pie"~3'

EMPTY_SIGIL = "{sigil} must be directly followed by a {what}"
BAD_HASHTAG = (
    "Invalid hashtag {value!r}: a hashtag is what Twitter links after a #: letters, marks, "
    "digits, underscores and a few joining signs such as ・ or ～, with a letter unless it is "
    "all digits; to match other text, quote it as a phrase"
)
BAD_MENTION = (
    "Invalid mention {value!r}: a user name or numeric user id is 1 to 20 letters, digits "
    "or underscores, as in @nasa or @11348282"
)
BAD_CASHTAG = (
    "Invalid cashtag {value!r}: cashtags are 1 to 6 letters, "
    "optionally followed by '.' or '_' and 1 or 2 letters, as in $BRK.A"
)

INVALID_OPERATOR = "Reference to invalid operator {name!r}"
INVALID_OPERATOR_URL = (
    'Reference to invalid operator {name!r}; to match a URL, use url:"..." or url_contains:"..."'
)
MISSING_VALUE = "Operator {name}: requires a value, with no space after the colon"
BAD_VALUE = "Invalid value in {clause!r}: {expected}"
NOT_BRACKETED = "Operator {name}: expects {expected}"
COMMA_IN_BRACKETS = "Values in [...] are separated by spaces, not commas"

NULLCAST_POSITIVE = "is:nullcast can only be used negated, as -is:nullcast"
NEGATION_IN_OR = (
    "A negated clause cannot be an alternative of an OR; group it with a positive clause, "
    "as in apple OR (iphone -ipad)"
)
NOT_STANDALONE = (
    "{clause!r} cannot be used as a standalone operator; AND it with at least one "
    "standalone clause such as a keyword, phrase, #hashtag, @mention or from:"
)
NOT_STANDALONE_IN_OR = (
    "{clause!r} cannot be used as a standalone operator: each alternative of an OR needs "
    "a standalone clause such as a keyword, phrase, #hashtag, @mention or from:, "
    "as in cats OR (dogs {clause})"
)
OR_BRANCH_ALL_NEGATED = (
    "Each alternative of an OR must contain a non-negation term, as in cats OR (dogs -puppies)"
)
SAMPLE_IN_OR = (
    "sample: applies to the whole rule and cannot be an ungrouped part of an OR; "
    "group the OR, as in (cats OR dogs) sample:10"
)

"""Typed, frozen AST of the rule language.

Every node is an immutable slotted dataclass. ``pos`` is the 1-based character
offset of the clause in the rule text; it serves error messages only and takes
no part in equality or hashing, so two rules that say the same thing compare
equal. String values are already folded (NFC + case folding) where matching is
case-insensitive, and token tuples are cut by :mod:`powertrack.text`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, TypeAlias

__all__ = [
    "And",
    "BoundingBox",
    "Cashtag",
    "Contains",
    "CountField",
    "CountRange",
    "Has",
    "HasName",
    "Hashtag",
    "IdField",
    "IdOp",
    "Is",
    "IsName",
    "Keyword",
    "Lang",
    "Leaf",
    "Mention",
    "Node",
    "Not",
    "Or",
    "Phrase",
    "Place",
    "PlaceCountry",
    "PointRadius",
    "Proximity",
    "Sample",
    "Source",
    "Url",
    "UrlContains",
    "UserField",
    "UserOp",
    "UserText",
    "UserTextField",
]


def _pos() -> int:
    # A fresh Field per use: dataclasses mutates the Field objects it is given.
    return field(default=0, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Keyword:
    """An unquoted word or emoji. Several tokens (``coca-cola``) match as a phrase."""

    tokens: tuple[str, ...]
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class Phrase:
    """``"exact phrase"``: the tokens in sequence in the text."""

    tokens: tuple[str, ...]
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class Proximity:
    """``"a b"~N``: the tokens within ``distance`` tokens of each other, in any order."""

    tokens: tuple[str, ...]
    distance: int
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class Hashtag:
    """``#tag``: exactly a hashtag entity (folded, without ``#``)."""

    tag: str
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class Mention:
    """``@name``: a mentioned screen name (folded, without ``@``) or user id."""

    name: str
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class Cashtag:
    """``$sym``: a cashtag entity (folded, without ``$``)."""

    symbol: str
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class Contains:
    """``contains:x``: a case-insensitive substring of the text (``value`` folded)."""

    value: str
    pos: int = _pos()


UserField: TypeAlias = Literal["from", "to", "retweets_of"]


@dataclass(frozen=True, slots=True)
class UserOp:
    """``from:``, ``to:``, ``retweets_of:``: a screen name (folded) or a numeric user id."""

    field: UserField
    value: str
    pos: int = _pos()


IdField: TypeAlias = Literal["retweets_of_status_id", "in_reply_to_status_id", "conversation_id"]


@dataclass(frozen=True, slots=True)
class IdOp:
    """The status-id operators: ``value`` is a decimal id string."""

    field: IdField
    value: str
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class Url:
    """``url:x``: the tokens (as a phrase when several) in an expanded URL."""

    tokens: tuple[str, ...]
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class UrlContains:
    """``url_contains:x``: a literal, case-insensitive substring of an expanded URL."""

    value: str
    pos: int = _pos()


UserTextField: TypeAlias = Literal["bio", "bio_name", "bio_location"]


@dataclass(frozen=True, slots=True)
class UserText:
    """``bio:``, ``bio_name:``, ``bio_location:``: tokens of the author's profile field."""

    field: UserTextField
    tokens: tuple[str, ...]
    pos: int = _pos()


CountField: TypeAlias = Literal[
    "followers_count", "friends_count", "statuses_count", "listed_count"
]


@dataclass(frozen=True, slots=True)
class CountRange:
    """A count operator: ``low <= count`` and, when ``high`` is set, ``count <= high``."""

    field: CountField
    low: int
    high: int | None
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class Lang:
    """``lang:xx``: the tweet's language code (lower case)."""

    code: str
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class Place:
    """``place:x``: tokens (a phrase when several) of the place's full name, or its id."""

    tokens: tuple[str, ...]
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class PlaceCountry:
    """``place_country:XX``: ISO 3166 alpha-2 code, stored upper case."""

    code: str
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class PointRadius:
    """``point_radius:[lon lat r]``: ``radius_km`` is the radius converted to kilometres."""

    lon: float
    lat: float
    radius_km: float
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class BoundingBox:
    """``bounding_box:[west south east north]`` in degrees."""

    west: float
    south: float
    east: float
    north: float
    pos: int = _pos()


HasName: TypeAlias = Literal[
    "links", "mentions", "hashtags", "symbols", "media", "images", "videos", "geo", "lang"
]


@dataclass(frozen=True, slots=True)
class Has:
    """``has:x`` with the canonical name (aliases resolved by the parser)."""

    name: HasName
    pos: int = _pos()


IsName: TypeAlias = Literal["retweet", "reply", "quote", "verified", "nullcast"]


@dataclass(frozen=True, slots=True)
class Is:
    """``is:x``."""

    name: IsName
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class Sample:
    """``sample:N``: N percent (1 to 100) of matching tweets, by a hash of the tweet id."""

    percent: int
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class Source:
    """``source:x``: tokens (a phrase when several) of the client name."""

    tokens: tuple[str, ...]
    pos: int = _pos()


Leaf: TypeAlias = (
    Keyword
    | Phrase
    | Proximity
    | Hashtag
    | Mention
    | Cashtag
    | Contains
    | UserOp
    | IdOp
    | Url
    | UrlContains
    | UserText
    | CountRange
    | Lang
    | Place
    | PlaceCountry
    | PointRadius
    | BoundingBox
    | Has
    | Is
    | Sample
    | Source
)


@dataclass(frozen=True, slots=True)
class Not:
    """``-x``: negation of one clause or a group."""

    child: Node
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class And:
    """Clauses joined by whitespace; at least two children."""

    children: tuple[Node, ...]
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class Or:
    """Clauses joined by ``OR``; at least two children."""

    children: tuple[Node, ...]
    pos: int = _pos()


Node: TypeAlias = Leaf | Not | And | Or

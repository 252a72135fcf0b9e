"""The ``name:value`` operators: the table of names and aliases, and each value's parser.

Operator names are case-insensitive (``FROM:nasa`` is ``from:nasa``), like
the values of ``has:``, ``is:``, ``lang:`` and ``place_country:``; only the
boolean ``OR`` is case-sensitive. Errors are reported at the position of the
operator, except an unclosed quote or bracket, reported where it opens.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Final

from lark import Token

from powertrack.geo import KM_PER_MILE, box_side_lengths_km
from powertrack.rules import _messages as msg
from powertrack.rules._context import position_of, report
from powertrack.rules._leaves import placeholder, unquote
from powertrack.rules.ast import (
    BoundingBox,
    Contains,
    CountField,
    CountRange,
    Has,
    HasName,
    IdField,
    IdOp,
    Is,
    IsName,
    Lang,
    Leaf,
    Place,
    PlaceCountry,
    PointRadius,
    Sample,
    Source,
    Url,
    UrlContains,
    UserField,
    UserOp,
    UserText,
    UserTextField,
)
from powertrack.text import fold, tokenize

__all__ = ["OPERATOR_NAMES", "operator"]

MAX_RADIUS_MILES: Final = 25.0
MAX_RADIUS_KM: Final = MAX_RADIUS_MILES * KM_PER_MILE
# Float noise in the haversine of a box drawn exactly 25 miles wide.
_SIDE_TOLERANCE_KM = 1e-9

_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NAME = re.compile(r"[a-z0-9_]+", re.ASCII)
_ID = re.compile(r"[0-9]{1,20}", re.ASCII)
_COUNT = re.compile(r"([0-9]{1,18})(?:\.\.([0-9]{1,18}))?", re.ASCII)
_LANG = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8})*", re.ASCII)
_COUNTRY = re.compile(r"[a-z]{2}", re.ASCII)
_PERCENT = re.compile(r"[0-9]{1,3}", re.ASCII)
_NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]{1,3})?", re.ASCII)
_RADIUS = re.compile(r"(.*?)(mi|km)", re.IGNORECASE)

_HAS: dict[str, HasName] = {
    "links": "links",
    "mentions": "mentions",
    "hashtags": "hashtags",
    "symbols": "symbols",
    "cashtags": "symbols",
    "media": "media",
    "media_link": "media",
    "images": "images",
    "videos": "videos",
    "video_link": "videos",
    "geo": "geo",
    "lang": "lang",
}
_IS: dict[str, IsName] = {
    "retweet": "retweet",
    "reply": "reply",
    "quote": "quote",
    "verified": "verified",
    "nullcast": "nullcast",
}


class _Value:
    __slots__ = ("bracketed", "name", "position", "raw", "text")

    def __init__(self, name: str, raw: str, text: str, bracketed: bool, position: int) -> None:
        self.name = name  # as written, lower case
        self.raw = raw  # as written, with its quotes or brackets
        self.text = text  # unquoted, or the inside of the brackets
        self.bracketed = bracketed
        self.position = position

    def bad(self, expected: str) -> None:
        report(
            msg.BAD_VALUE.format(clause=f"{self.name}:{self.raw}", expected=expected),
            self.position,
        )


_Builder = Callable[[_Value], Leaf | None]


def _text(value: _Value) -> str | None:
    if value.bracketed:
        value.bad("[...] is only for point_radius: and bounding_box:; quote values with brackets")
        return None
    if not value.text.strip():
        value.bad("expected some text")
        return None
    return value.text


def _tokens(value: _Value) -> tuple[str, ...] | None:
    text = _text(value)
    if text is None:
        return None
    tokens = tokenize(text)
    if not tokens:
        value.bad("expected at least one word, letter, digit or emoji")
        return None
    return tuple(tokens)


def _folded_text(value: _Value) -> str | None:
    text = _text(value)
    if text is None:
        return None
    # Folding drops emoji variation selectors, so check what is left.
    folded = fold(text)
    if not folded.strip():
        value.bad("expected some text")
        return None
    return folded


def _contains(value: _Value) -> Leaf | None:
    text = _folded_text(value)
    return None if text is None else Contains(text, value.position)


def _url(value: _Value) -> Leaf | None:
    tokens = _tokens(value)
    return None if tokens is None else Url(tokens, value.position)


def _url_contains(value: _Value) -> Leaf | None:
    text = _folded_text(value)
    return None if text is None else UrlContains(text, value.position)


def _place(value: _Value) -> Leaf | None:
    tokens = _tokens(value)
    return None if tokens is None else Place(tokens, value.position)


def _source(value: _Value) -> Leaf | None:
    tokens = _tokens(value)
    return None if tokens is None else Source(tokens, value.position)


def _user(field: UserField) -> _Builder:
    def build(value: _Value) -> Leaf | None:
        text = _text(value)
        if text is None:
            return None
        name = (text[1:] if text.startswith("@") else text).lower()
        if _NAME.fullmatch(name) is None:
            value.bad("expected a user name (letters, digits, underscores) or a numeric user id")
            return None
        return UserOp(field, name, value.position)

    return build


def _user_text(field: UserTextField) -> _Builder:
    def build(value: _Value) -> Leaf | None:
        tokens = _tokens(value)
        return None if tokens is None else UserText(field, tokens, value.position)

    return build


def _status_id(field: IdField) -> _Builder:
    def build(value: _Value) -> Leaf | None:
        text = _text(value)
        if text is None:
            return None
        if _ID.fullmatch(text) is None or not 0 < int(text) < 2**64:
            value.bad("expected a numeric post id")
            return None
        return IdOp(field, str(int(text)), value.position)

    return build


def _count(field: CountField) -> _Builder:
    def build(value: _Value) -> Leaf | None:
        text = _text(value)
        if text is None:
            return None
        match = _COUNT.fullmatch(text)
        if match is None:
            value.bad("expected a whole number N (at least N) or a range low..high, as in 10..100")
            return None
        low = int(match[1])
        high = None if match[2] is None else int(match[2])
        if high is not None and high < low:
            value.bad("the low end of a range must not be above its high end")
            return None
        return CountRange(field, low, high, value.position)

    return build


def _lang(value: _Value) -> Leaf | None:
    text = _text(value)
    if text is None:
        return None
    code = text.lower()
    if _LANG.fullmatch(code) is None:
        value.bad("expected a BCP 47 language code, as in en, es or zh-cn")
        return None
    return Lang(code, value.position)


def _place_country(value: _Value) -> Leaf | None:
    text = _text(value)
    if text is None:
        return None
    code = text.lower()
    if _COUNTRY.fullmatch(code) is None:
        value.bad("expected an ISO 3166 alpha-2 country code, as in US or FR")
        return None
    return PlaceCountry(code.upper(), value.position)


def _has(value: _Value) -> Leaf | None:
    text = _text(value)
    if text is None:
        return None
    name = _HAS.get(text.lower())
    if name is None:
        value.bad("expected one of " + ", ".join(_HAS))
        return None
    return Has(name, value.position)


def _is(value: _Value) -> Leaf | None:
    text = _text(value)
    if text is None:
        return None
    name = _IS.get(text.lower())
    if name is None:
        value.bad("expected one of " + ", ".join(_IS))
        return None
    return Is(name, value.position)


def _sample(value: _Value) -> Leaf | None:
    text = _text(value)
    if text is None:
        return None
    if _PERCENT.fullmatch(text) is None or not 1 <= int(text) <= 100:
        value.bad("expected a whole percentage from 1 to 100")
        return None
    return Sample(int(text), value.position)


def _number(text: str) -> float | None:
    if _NUMBER.fullmatch(text) is None:
        return None
    number = float(text)
    return number if math.isfinite(number) else None


def _bracket_parts(value: _Value, expected: str, count: int) -> list[str] | None:
    if not value.bracketed:
        report(msg.NOT_BRACKETED.format(name=value.name, expected=expected), value.position)
        return None
    if "," in value.text:
        report(msg.COMMA_IN_BRACKETS, value.position)
        return None
    parts = value.text.split()
    if len(parts) != count:
        value.bad(f"expected {count} values: {expected}")
        return None
    return parts


def _longitude(value: _Value, text: str, what: str) -> float | None:
    number = _number(text)
    if number is None or not -180.0 <= number <= 180.0:
        value.bad(f"{what} must be a longitude from -180 to 180")
        return None
    return number


def _latitude(value: _Value, text: str, what: str) -> float | None:
    number = _number(text)
    if number is None or not -90.0 <= number <= 90.0:
        value.bad(f"{what} must be a latitude from -90 to 90")
        return None
    return number


def _radius_km(value: _Value, text: str) -> float | None:
    match = _RADIUS.fullmatch(text)
    radius = None if match is None else _number(match[1])
    if match is None or radius is None:
        value.bad("the radius must be a number followed by mi or km, as in 10mi")
        return None
    miles = match[2].lower() == "mi"
    # Compared in the unit written, so that exactly 25 mi is accepted.
    if not 0.0 < radius <= (MAX_RADIUS_MILES if miles else MAX_RADIUS_KM):
        value.bad(f"the radius must be above 0 and at most 25 mi ({MAX_RADIUS_KM:.4g} km)")
        return None
    return radius * KM_PER_MILE if miles else radius


def _point_radius(value: _Value) -> Leaf | None:
    parts = _bracket_parts(value, "[longitude latitude radius], as in [-105.27 40.01 10mi]", 3)
    if parts is None:
        return None
    lon = _longitude(value, parts[0], "the first value")
    lat = _latitude(value, parts[1], "the second value")
    radius_km = _radius_km(value, parts[2])
    if lon is None or lat is None or radius_km is None:
        return None
    return PointRadius(lon, lat, radius_km, value.position)


def _bounding_box(value: _Value) -> Leaf | None:
    parts = _bracket_parts(value, "[west south east north], as in [-105.3 39.9 -105.1 40.1]", 4)
    if parts is None:
        return None
    west = _longitude(value, parts[0], "west")
    south = _latitude(value, parts[1], "south")
    east = _longitude(value, parts[2], "east")
    north = _latitude(value, parts[3], "north")
    if west is None or south is None or east is None or north is None:
        return None
    if not west < east or not south < north:
        value.bad("west must be below east, and south below north")
        return None
    width, height = box_side_lengths_km(west, south, east, north)
    if max(width, height) > MAX_RADIUS_KM + _SIDE_TOLERANCE_KM:
        value.bad(
            f"each side of the box must be at most 25 mi ({MAX_RADIUS_KM:.4g} km); "
            f"this one is {width:.1f} km wide and {height:.1f} km high"
        )
        return None
    return BoundingBox(west, south, east, north, value.position)


_OPERATORS: dict[str, _Builder] = {
    "contains": _contains,
    "from": _user("from"),
    "to": _user("to"),
    "retweets_of": _user("retweets_of"),
    "retweets_of_user": _user("retweets_of"),
    "retweets_of_status_id": _status_id("retweets_of_status_id"),
    "retweets_of_tweet_id": _status_id("retweets_of_status_id"),
    "in_reply_to_status_id": _status_id("in_reply_to_status_id"),
    "in_reply_to_tweet_id": _status_id("in_reply_to_status_id"),
    "conversation_id": _status_id("conversation_id"),
    "url": _url,
    "url_contains": _url_contains,
    "bio": _user_text("bio"),
    "user_bio": _user_text("bio"),
    "bio_name": _user_text("bio_name"),
    "bio_location": _user_text("bio_location"),
    "user_bio_location": _user_text("bio_location"),
    "followers_count": _count("followers_count"),
    "friends_count": _count("friends_count"),
    "following_count": _count("friends_count"),
    "statuses_count": _count("statuses_count"),
    "tweets_count": _count("statuses_count"),
    "listed_count": _count("listed_count"),
    "user_in_lists_count": _count("listed_count"),
    "lang": _lang,
    "place": _place,
    "place_country": _place_country,
    "point_radius": _point_radius,
    "bounding_box": _bounding_box,
    "geo_bounding_box": _bounding_box,
    "has": _has,
    "is": _is,
    "sample": _sample,
    "source": _source,
}

OPERATOR_NAMES: Final = frozenset(_OPERATORS)


def operator(token: Token) -> Leaf:
    position = position_of(token)
    colon = token.index(":")
    name = token[:colon].lower()
    build = _OPERATORS.get(name)
    if build is None:
        template = msg.INVALID_OPERATOR_URL if name in ("http", "https") else msg.INVALID_OPERATOR
        report(template.format(name=token[:colon]), position)
        return placeholder(position)
    raw = token[colon + 1 :]
    if not raw:
        report(msg.MISSING_VALUE.format(name=name), position)
        return placeholder(position)
    bracketed = raw[0] == "["
    if raw[0] == '"':
        if _QUOTED.fullmatch(raw) is None:
            report(msg.UNCLOSED_QUOTE, position + colon + 1)
            return placeholder(position)
        text = unquote(raw[1:-1])
    elif bracketed:
        if not raw.endswith("]"):
            report(msg.UNCLOSED_BRACKET, position + colon + 1)
            return placeholder(position)
        text = raw[1:-1]
    else:
        text = raw
    node = build(_Value(name, raw, text, bracketed, position))
    return placeholder(position) if node is None else node

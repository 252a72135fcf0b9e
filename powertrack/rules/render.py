"""Rule text from an AST: the inverse of the parser, up to normalization.

``parse_rule(render(node)).root == node`` for every AST the parser can build:
values are written in their folded, canonical form (``has:symbols`` for
``has:cashtags``, radii in km), every AND inside an OR is parenthesized, and
floats are written with ``repr`` so they read back bit for bit.
"""

from __future__ import annotations

import re

from powertrack.rules.ast import (
    And,
    BoundingBox,
    Cashtag,
    Contains,
    CountRange,
    Has,
    Hashtag,
    IdOp,
    Is,
    Keyword,
    Lang,
    Mention,
    Node,
    Not,
    Or,
    Phrase,
    Place,
    PlaceCountry,
    PointRadius,
    Proximity,
    Sample,
    Source,
    Url,
    UrlContains,
    UserOp,
    UserText,
)

__all__ = ["render"]

# A value that reads back unchanged without quotes.
_BARE_VALUE = re.compile(r'[^\s()"\[\\]+')


def render(node: Node) -> str:
    """Rule text for ``node`` that parses back to an equal AST."""
    match node:
        case And(children=children):
            return " ".join(_operand(child) for child in children)
        case Or(children=children):
            return " OR ".join(_operand(child) for child in children)
        case Not(child=child):
            return "-" + _operand(child)
        case _:
            return _leaf(node)


def _operand(node: Node) -> str:
    # An AND inside an OR needs no parentheses to parse, but the parser rejects
    # an ungrouped sample: beside an OR, and grouping reads better anyway.
    return f"({render(node)})" if isinstance(node, (And, Or)) else render(node)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _value(text: str) -> str:
    return text if _BARE_VALUE.fullmatch(text) else _quote(text)


def _tokens(tokens: tuple[str, ...]) -> str:
    return tokens[0] if len(tokens) == 1 else _quote(" ".join(tokens))


def _leaf(node: Node) -> str:
    match node:
        case Keyword(tokens=tokens):
            # Several tokens were one word with punctuation inside (coca-cola).
            return "-".join(tokens)
        case Phrase(tokens=tokens):
            return _quote(" ".join(tokens))
        case Proximity(tokens=tokens, distance=distance):
            return f"{_quote(' '.join(tokens))}~{distance}"
        case Hashtag(tag=tag):
            return "#" + tag
        case Mention(name=name):
            return "@" + name
        case Cashtag(symbol=symbol):
            return "$" + symbol
        case Contains(value=value):
            return "contains:" + _value(value)
        case UserOp(field=field, value=value):
            return f"{field}:{value}"
        case IdOp(field=field, value=value):
            return f"{field}:{value}"
        case Url(tokens=tokens):
            return "url:" + _tokens(tokens)
        case UrlContains(value=value):
            return "url_contains:" + _value(value)
        case UserText(field=field, tokens=tokens):
            return f"{field}:{_tokens(tokens)}"
        case CountRange(field=field, low=low, high=None):
            return f"{field}:{low}"
        case CountRange(field=field, low=low, high=high):
            return f"{field}:{low}..{high}"
        case Lang(code=code):
            return "lang:" + code
        case Place(tokens=tokens):
            return "place:" + _tokens(tokens)
        case PlaceCountry(code=code):
            return "place_country:" + code
        case PointRadius(lon=lon, lat=lat, radius_km=radius_km):
            return f"point_radius:[{lon!r} {lat!r} {radius_km!r}km]"
        case BoundingBox(west=west, south=south, east=east, north=north):
            return f"bounding_box:[{west!r} {south!r} {east!r} {north!r}]"
        case Has(name=name):
            return "has:" + name
        case Is(name=name):
            return "is:" + name
        case Sample(percent=percent):
            return f"sample:{percent}"
        case Source(tokens=tokens):
            return "source:" + _tokens(tokens)
    raise TypeError(f"not a rule node: {node!r}")

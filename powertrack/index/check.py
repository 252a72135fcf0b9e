"""Full evaluation of a candidate rule against a tweet's cached view.

This is the index's own evaluator: the same operator semantics as the
reference evaluator in :mod:`powertrack.rules.evaluate`, but it works on a
:class:`~powertrack.index.view.TweetView`, so tokenizing and folding happen
once per tweet rather than once per clause, and it dispatches on node type
through a table. Property tests hold the two to the same answers.
"""

from __future__ import annotations

from collections.abc import Callable

from powertrack.index import features as f
from powertrack.index.view import TweetView
from powertrack.rules import ast
from powertrack.rules import semantics as sem

__all__ = ["check", "check_siblings"]


def check(node: ast.Node, view: TweetView) -> bool:
    """True when ``node`` matches the tweet behind ``view``."""
    return _DISPATCH[type(node)](node, view)


def check_siblings(node: ast.And, skip: int, view: TweetView) -> bool:
    """True when every child of ``node`` but the one at ``skip`` matches."""
    for position, child in enumerate(node.children):
        if position != skip and not _DISPATCH[type(child)](child, view):
            return False
    return True


# Plain loops rather than all()/any(): no generator per call on the hot path.
def _and(node: ast.And, view: TweetView) -> bool:
    for child in node.children:  # noqa: SIM110
        if not _DISPATCH[type(child)](child, view):
            return False
    return True


def _or(node: ast.Or, view: TweetView) -> bool:
    for child in node.children:  # noqa: SIM110
        if _DISPATCH[type(child)](child, view):
            return True
    return False


def _not(node: ast.Not, view: TweetView) -> bool:
    child = node.child
    return not _DISPATCH[type(child)](child, view)


def _keyword(node: ast.Keyword, view: TweetView) -> bool:
    tokens = node.tokens
    single = len(tokens) == 1
    for part in view.scope():
        if single:
            if tokens[0] in part.keyword_tokens():
                return True
            continue
        if sem.contains_phrase(part.text_tokens(), tokens):
            return True
        for url in part.expanded_url_tokens():
            if sem.contains_phrase(url, tokens):
                return True
    return False


def _phrase(node: ast.Phrase, view: TweetView) -> bool:
    tokens = node.tokens
    for part in view.scope():  # noqa: SIM110
        if sem.contains_phrase(part.text_tokens(), tokens):
            return True
    return False


def _proximity(node: ast.Proximity, view: TweetView) -> bool:
    tokens, distance = node.tokens, node.distance
    for part in view.scope():  # noqa: SIM110
        if sem.within_proximity(part.text_tokens(), tokens, distance):
            return True
    return False


def _in_family(family: str, value: str, view: TweetView) -> bool:
    return value in view.values(family, f.EXTRACTORS[family])


def _hashtag(node: ast.Hashtag, view: TweetView) -> bool:
    return _in_family(f.HASHTAG, node.tag, view)


def _mention(node: ast.Mention, view: TweetView) -> bool:
    return _in_family(f.MENTION, node.name, view)


def _cashtag(node: ast.Cashtag, view: TweetView) -> bool:
    return _in_family(f.CASHTAG, node.symbol, view)


def _contains(node: ast.Contains, view: TweetView) -> bool:
    return node.value in view.folded_text()


def _user(node: ast.UserOp, view: TweetView) -> bool:
    return _in_family(f.USER_FAMILIES[node.field], node.value, view)


def _id(node: ast.IdOp, view: TweetView) -> bool:
    return _in_family(f.ID_FAMILIES[node.field], node.value, view)


def _url(node: ast.Url, view: TweetView) -> bool:
    tokens = node.tokens
    return any(
        sem.contains_phrase(url, tokens) for part in view.scope() for url in part.url_tokens()
    )


def _url_contains(node: ast.UrlContains, view: TweetView) -> bool:
    value = node.value
    return any(value in url for part in view.scope() for url in part.expanded_urls_folded())


def _user_text(node: ast.UserText, view: TweetView) -> bool:
    return sem.contains_phrase(view.profile_tokens(node.field), node.tokens)


def _count(node: ast.CountRange, view: TweetView) -> bool:
    value: int = getattr(view.tweet.author, node.field)
    return sem.count_in_range(value, node.low, node.high)


def _lang(node: ast.Lang, view: TweetView) -> bool:
    return _in_family(f.LANG, node.code, view)


def _place(node: ast.Place, view: TweetView) -> bool:
    return sem.place_matches(view.tweet, node.tokens)


def _place_country(node: ast.PlaceCountry, view: TweetView) -> bool:
    return _in_family(f.PLACE_COUNTRY, node.code, view)


def _point_radius(node: ast.PointRadius, view: TweetView) -> bool:
    return sem.in_point_radius(view.tweet, node.lon, node.lat, node.radius_km)


def _bounding_box(node: ast.BoundingBox, view: TweetView) -> bool:
    return sem.in_bounding_box(view.tweet, node.west, node.south, node.east, node.north)


def _has(node: ast.Has, view: TweetView) -> bool:
    return _in_family(f.HAS, node.name, view)


def _is(node: ast.Is, view: TweetView) -> bool:
    return _in_family(f.IS, node.name, view)


def _sample(node: ast.Sample, view: TweetView) -> bool:
    return view.sample_bucket() < node.percent


def _source(node: ast.Source, view: TweetView) -> bool:
    return sem.contains_phrase(view.source_tokens(), node.tokens)


_DISPATCH: dict[type, Callable[[ast.Node, TweetView], bool]] = {
    ast.And: _and,  # type: ignore[dict-item]
    ast.Or: _or,  # type: ignore[dict-item]
    ast.Not: _not,  # type: ignore[dict-item]
    ast.Keyword: _keyword,  # type: ignore[dict-item]
    ast.Phrase: _phrase,  # type: ignore[dict-item]
    ast.Proximity: _proximity,  # type: ignore[dict-item]
    ast.Hashtag: _hashtag,  # type: ignore[dict-item]
    ast.Mention: _mention,  # type: ignore[dict-item]
    ast.Cashtag: _cashtag,  # type: ignore[dict-item]
    ast.Contains: _contains,  # type: ignore[dict-item]
    ast.UserOp: _user,  # type: ignore[dict-item]
    ast.IdOp: _id,  # type: ignore[dict-item]
    ast.Url: _url,  # type: ignore[dict-item]
    ast.UrlContains: _url_contains,  # type: ignore[dict-item]
    ast.UserText: _user_text,  # type: ignore[dict-item]
    ast.CountRange: _count,  # type: ignore[dict-item]
    ast.Lang: _lang,  # type: ignore[dict-item]
    ast.Place: _place,  # type: ignore[dict-item]
    ast.PlaceCountry: _place_country,  # type: ignore[dict-item]
    ast.PointRadius: _point_radius,  # type: ignore[dict-item]
    ast.BoundingBox: _bounding_box,  # type: ignore[dict-item]
    ast.Has: _has,  # type: ignore[dict-item]
    ast.Is: _is,  # type: ignore[dict-item]
    ast.Sample: _sample,  # type: ignore[dict-item]
    ast.Source: _source,  # type: ignore[dict-item]
}

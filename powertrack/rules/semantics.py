"""The exact meaning of the operators, as small pure functions.

The reference evaluator (:mod:`powertrack.rules.evaluate`) and the fast
predicate index both call these, so that wherever the two must agree by
construction (what a phrase is, how proximity is measured, which URLs a tweet
has, when a place box counts as inside a circle) there is one definition only.
Token arguments are already folded and cut by :mod:`powertrack.text`.

Boxes are ``(west, south, east, north)`` in degrees, the order of
:attr:`PlaceInfo.bbox <powertrack.tweets.model.PlaceInfo.bbox>`; points and
centres are ``(longitude, latitude)``, the order of ``Tweet.point``.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import TypeAlias, assert_never

from powertrack.geo import haversine_km
from powertrack.rules.ast import UserTextField
from powertrack.text import fold, tokenize
from powertrack.tweets.model import Tweet, User

__all__ = [
    "Box",
    "LonLat",
    "contains_phrase",
    "conversation_id",
    "count_in_range",
    "expanded_urls",
    "geo_applies",
    "in_bounding_box",
    "in_point_radius",
    "is_reply",
    "link_urls",
    "place_inside_box",
    "place_inside_radius",
    "place_matches",
    "point_in_box",
    "point_in_radius",
    "profile_text",
    "quote_scope",
    "source_name",
    "text_tokens",
    "tokens_of",
    "user_matches",
    "within_proximity",
]

LonLat: TypeAlias = tuple[float, float]
Box: TypeAlias = tuple[float, float, float, float]

_HTML_TAG = re.compile(r"<[^>]*>")


# --- token sequences -------------------------------------------------------


@lru_cache(maxsize=16384)
def tokens_of(text: str) -> tuple[str, ...]:
    """:func:`powertrack.text.tokenize` as a tuple, memoized per string."""
    # Every leaf of every candidate rule re-reads the same few strings of a
    # tweet (text, URLs, bio); tokenizing once per string keeps the reference
    # evaluator fast enough for property tests without making it less obvious.
    return tuple(tokenize(text))


def contains_phrase(tokens: Sequence[str], phrase: Sequence[str]) -> bool:
    """True when ``phrase`` occurs as a contiguous run of ``tokens``.

    A one-token phrase is plain membership. An empty phrase matches nothing:
    the parser never builds one, and a clause that matched every tweet would
    turn ``-clause`` into a rule that silently matches nothing.
    """
    size = len(phrase)
    if size == 0:
        return False
    first = phrase[0]
    for start in range(len(tokens) - size + 1):
        if tokens[start] == first and all(tokens[start + k] == phrase[k] for k in range(1, size)):
            return True
    return False


def within_proximity(tokens: Sequence[str], wanted: Sequence[str], distance: int) -> bool:
    """True when every token of ``wanted`` occurs, each at its own position, in any order,
    with the last position minus the first at most ``distance``.

    Two adjacent tokens are at distance 1. A repeated wanted token (``"a a b"~3``)
    needs as many occurrences. Runs in time linear in ``len(tokens)``.
    """
    if not wanted:
        return False
    needed = Counter(wanted)
    hits = [(position, token) for position, token in enumerate(tokens) if token in needed]
    have: Counter[str] = Counter()
    short = len(needed)  # distinct wanted tokens still below their needed count
    left = 0
    # Sliding window over the hits: for each right end, keep only the hits at
    # most `distance` positions before it. Any qualifying choice of positions
    # fits in the window that ends at its last position, so checking every
    # window is exact, and each hit enters and leaves the window once.
    for position, token in hits:
        have[token] += 1
        if have[token] == needed[token]:
            short -= 1
        while hits[left][0] < position - distance:
            dropped = hits[left][1]
            if have[dropped] == needed[dropped]:
                short += 1
            have[dropped] -= 1
            left += 1
        if short == 0:
            return True
    return False


# --- values ----------------------------------------------------------------


def source_name(source: str) -> str:
    """The client name of a ``source`` field.

    v1.1 gives ``<a href="..." rel="nofollow">Twitter for iPhone</a>`` and v2
    the bare name; both become ``Twitter for iPhone``, so ``source:`` never
    matches the client's link (``source:http`` must not match every tweet).
    """
    return html.unescape(_HTML_TAG.sub("", source)).strip()


def user_matches(value: str, screen_name: str, user_id: str) -> bool:
    """A ``from:``/``to:``/``@`` value (folded) names this user by screen name or by id."""
    return (bool(screen_name) and fold(screen_name) == value) or (
        bool(user_id) and user_id == value
    )


def profile_text(user: User, field: UserTextField) -> str:
    """What ``bio:``, ``bio_name:`` and ``bio_location:`` read: description, name or location."""
    match field:
        case "bio":
            return user.description
        case "bio_name":
            return user.name
        case "bio_location":
            return user.location
        case _:
            assert_never(field)


def count_in_range(value: int, low: int, high: int | None) -> bool:
    """``low <= value``, and ``value <= high`` when there is a ``high`` (both inclusive)."""
    return low <= value and (high is None or value <= high)


# --- geometry ----------------------------------------------------------------


def point_in_radius(point: LonLat, centre: LonLat, radius_km: float) -> bool:
    """The point lies within ``radius_km`` (great-circle, inclusive) of the centre."""
    return haversine_km(point[0], point[1], centre[0], centre[1]) <= radius_km


def place_inside_radius(bbox: Box, centre: LonLat, radius_km: float) -> bool:
    """All four corners of the place box lie within ``radius_km`` of the centre.

    The corners stand for the whole box: a box edge follows a parallel, not a
    great circle, so near the rim of the circle it can bulge out by some
    metres; PowerTrack's circles are at most 25 miles, where that is noise.
    """
    west, south, east, north = bbox
    corners = ((west, south), (west, north), (east, south), (east, north))
    return all(point_in_radius(corner, centre, radius_km) for corner in corners)


def _lon_in_span(lon: float, west: float, east: float) -> bool:
    if west <= east:
        return west <= lon <= east
    # west > east: the span crosses the antimeridian (e.g. 179.5 .. -179.5).
    return lon >= west or lon <= east


def _lon_span_inside(inner: tuple[float, float], outer: tuple[float, float]) -> bool:
    inner_west, inner_east = inner
    outer_west, outer_east = outer
    inner_wraps = inner_west > inner_east
    outer_wraps = outer_west > outer_east
    if inner_wraps and not outer_wraps:
        return False
    if inner_wraps == outer_wraps:
        return outer_west <= inner_west and inner_east <= outer_east
    # Only the outer span wraps: the inner one must lie wholly on one side of
    # the antimeridian, within the outer span's part on that side.
    return inner_west >= outer_west or inner_east <= outer_east


def point_in_box(point: LonLat, box: Box) -> bool:
    """The point lies inside the box, edges included; a box whose west > east wraps."""
    lon, lat = point
    west, south, east, north = box
    return south <= lat <= north and _lon_in_span(lon, west, east)


def place_inside_box(bbox: Box, box: Box) -> bool:
    """The place box lies wholly inside ``box``, edges included."""
    p_west, p_south, p_east, p_north = bbox
    west, south, east, north = box
    return (
        south <= p_south and p_north <= north and _lon_span_inside((p_west, p_east), (west, east))
    )


# --- what a tweet offers to match ------------------------------------------


def text_tokens(tweet: Tweet) -> tuple[str, ...]:
    """Tokens of the text (for a retweet, the original's full text)."""
    return tokens_of(tweet.text)


def expanded_urls(tweet: Tweet) -> tuple[str, ...]:
    """The expanded URLs of the links and media items, in entity order, empties skipped."""
    links = [url.expanded_url for url in tweet.urls]
    media = [item.expanded_url for item in tweet.media]
    return tuple(url for url in links + media if url)


def link_urls(tweet: Tweet) -> tuple[str, ...]:
    """What ``url:`` reads: every expanded URL and every t.co URL, of links and media."""
    urls: list[str] = []
    for link in tweet.urls:
        urls += (link.expanded_url, link.url)
    for item in tweet.media:
        urls += (item.expanded_url, item.url)
    return tuple(url for url in urls if url)


def quote_scope(tweet: Tweet) -> tuple[Tweet, ...]:
    """The tweets that quote-aware operators read: the tweet, then its quoted original.

    One level only. A retweet of a quote tweet reads the quote's original too,
    since a retweet is matched on what it retweets.
    """
    quoted = tweet.quoted
    if quoted is None and tweet.retweeted is not None:
        quoted = tweet.retweeted.quoted
    return (tweet,) if quoted is None else (tweet, quoted)


def geo_applies(tweet: Tweet) -> bool:
    """Geo operators may match this tweet: it is not a retweet (geo never matches retweets)."""
    return tweet.retweeted is None


def is_reply(tweet: Tweet) -> bool:
    """The tweet replies to another (``in_reply_to_status_id`` set and non-empty)."""
    return bool(tweet.in_reply_to_status_id)


def conversation_id(tweet: Tweet) -> str | None:
    """The conversation id, defaulting to the tweet's own id for a tweet that is not a reply.

    v2 gives the root of a conversation its own id as conversation id; v1.1
    gives none, and then only a non-reply is known to start its conversation.
    """
    if tweet.conversation_id:
        return tweet.conversation_id
    return None if is_reply(tweet) else tweet.id


def place_matches(tweet: Tweet, tokens: Sequence[str]) -> bool:
    """``place:``: the tokens as a phrase of the place's full name, or the one token its id.

    Never for a retweet.
    """
    place = tweet.place
    if place is None or not geo_applies(tweet):
        return False
    if contains_phrase(tokens_of(place.full_name), tokens):
        return True
    return len(tokens) == 1 and bool(place.id) and tokens[0] == fold(place.id)


def in_point_radius(tweet: Tweet, lon: float, lat: float, radius_km: float) -> bool:
    """``point_radius:``: the exact point within the circle, else (no point) the place box
    wholly inside it. Never for a retweet.
    """
    if not geo_applies(tweet):
        return False
    centre = (lon, lat)
    # The exact point, when there is one, is where the tweet is: the place is
    # a fallback for tweets without one, not a second chance for a point outside.
    if tweet.point is not None:
        return point_in_radius(tweet.point, centre, radius_km)
    bbox = tweet.place.bbox if tweet.place is not None else None
    return bbox is not None and place_inside_radius(bbox, centre, radius_km)


def in_bounding_box(tweet: Tweet, west: float, south: float, east: float, north: float) -> bool:
    """``bounding_box:``: the exact point inside the box, else (no point) the place box
    wholly inside it. Never for a retweet.
    """
    if not geo_applies(tweet):
        return False
    box = (west, south, east, north)
    if tweet.point is not None:
        return point_in_box(tweet.point, box)
    bbox = tweet.place.bbox if tweet.place is not None else None
    return bbox is not None and place_inside_box(bbox, box)

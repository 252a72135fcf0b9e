"""Hypothesis strategies for Tweet views drawn from a small vocabulary.

The vocabulary is small on purpose, and shared with the rule strategies, so
that random rules and random tweets actually meet: most generated pairs
exercise a real match or a near miss rather than two strangers.
"""

from __future__ import annotations

import dataclasses

from hypothesis import strategies as st

from powertrack.tweets.model import Media, MentionEntity, PlaceInfo, Tweet, UrlEntity, User
from tests import strategies as rs

# Words as they appear in tweets: the rule keywords (some in other case or
# accents), stop words, and near misses such as "cumpleanos" and "strasse".
WORDS = (
    *rs.KEYWORDS, "Apple", "MARS", "the", "and", "or", "rt", "cumpleanos", "strasse",
    "Straße", "iPhone", "cola", "coca", "perseverance", "rover", "😀", "❤️",
)  # fmt: skip
NAMES = (*rs.SCREEN_NAMES, "NASA", "NASA_JPL", "Beyonce")
USER_IDS = rs.USER_IDS
STATUS_IDS = rs.STATUS_IDS
HASHTAGS = (*rs.HASHTAGS, "Mars", "NASA", "2016Election")
SYMBOLS = ("TWTR", "aapl", "BTC", "BRK.A")
LANGS = ("en", "es", "ja", "und", "EN", "fr", None)
SOURCES = ("Twitter for iPhone", "Twitter Web App", "TweetDeck", "IFTTT", "")
DOMAINS = rs.DOMAINS
GEO_CENTRES = rs.GEO_CENTRES
COUNTS = rs.COUNTS
PLACE_NAMES = ("San Francisco, CA", "Paris, France", "Tokyo", "New York, NY", "Brooklyn")
COUNTRIES = (*rs.COUNTRIES, "")

_ids = st.one_of(st.sampled_from(STATUS_IDS), st.integers(min_value=1, max_value=10**18).map(str))
_word = st.sampled_from(WORDS)


def _text(words: list[str], decorations: list[str]) -> str:
    return " ".join(words + decorations)


@st.composite
def users(draw: st.DrawFn) -> User:
    """An author with a screen name and id from the shared pools."""
    return User(
        id=draw(st.sampled_from(USER_IDS)),
        screen_name=draw(st.sampled_from(NAMES)),
        name=" ".join(draw(st.lists(_word, max_size=3))),
        description=" ".join(draw(st.lists(_word, max_size=6))),
        location=draw(st.sampled_from(("", "New York", "Tokyo", "Paris, France", "data love"))),
        verified=draw(st.booleans()),
        followers_count=draw(st.sampled_from(COUNTS)),
        friends_count=draw(st.sampled_from(COUNTS)),
        statuses_count=draw(st.sampled_from(COUNTS)),
        listed_count=draw(st.sampled_from(COUNTS)),
    )


@st.composite
def _coordinate_near(draw: st.DrawFn) -> tuple[float, float]:
    lon, lat = draw(st.sampled_from(GEO_CENTRES))
    spread = draw(st.sampled_from((0.001, 0.01, 0.1, 0.6)))
    return (
        lon + draw(st.floats(min_value=-spread, max_value=spread)),
        lat + draw(st.floats(min_value=-spread, max_value=spread)),
    )


@st.composite
def places(draw: st.DrawFn) -> PlaceInfo:
    """A place with a small box near one of the geo centres."""
    lon, lat = draw(_coordinate_near())
    half = draw(st.sampled_from((0.001, 0.01, 0.05, 0.2, 2.0)))
    return PlaceInfo(
        id=draw(st.sampled_from(("01a9a39529b27f36", "5a110d312052166f", "09f6a7707f18e0b1"))),
        full_name=draw(
            st.sampled_from(("San Francisco, CA", "Paris, France", "Tokyo", "New York"))
        ),
        country_code=draw(st.sampled_from(("US", "FR", "JP", ""))),
        bbox=(lon - half, lat - half, lon + half, lat + half),
    )


@st.composite
def tweets(draw: st.DrawFn, depth: int = 1) -> Tweet:
    """A tweet; with ``depth`` > 0 it may retweet or quote another generated tweet."""
    words = draw(st.lists(_word, max_size=10))
    hashtags = draw(st.lists(st.sampled_from(HASHTAGS), max_size=3, unique=True))
    mentions = draw(
        st.lists(
            st.builds(
                MentionEntity,
                id=st.sampled_from((*USER_IDS, "")),
                screen_name=st.sampled_from(NAMES),
            ),
            max_size=2,
        )
    )
    symbols = draw(st.lists(st.sampled_from(SYMBOLS), max_size=2, unique=True))
    urls = draw(
        st.lists(
            st.builds(
                UrlEntity,
                url=_ids.map(lambda suffix: f"https://t.co/{suffix[:8]}"),
                expanded_url=st.builds(
                    lambda domain, path: f"https://{domain}/{path}",
                    st.sampled_from(DOMAINS),
                    _word,
                ),
            ),
            max_size=2,
        )
    )
    media = draw(
        st.lists(
            st.builds(
                Media,
                type=st.sampled_from(("photo", "video", "animated_gif")),
                url=st.just("https://t.co/media1"),
                expanded_url=st.sampled_from(
                    ("https://twitter.com/nasa/status/1/photo/1", "https://pic.example.com/v")
                ),
            ),
            max_size=2,
        )
    )
    decorations = [f"#{tag}" for tag in hashtags] + [f"@{m.screen_name}" for m in mentions]
    decorations += [f"${symbol}" for symbol in symbols] + [url.url for url in urls]
    decorations += draw(st.lists(st.sampled_from(("coca-cola", "!", "...", "Café")), max_size=2))
    reply = draw(st.booleans())
    retweeted = quoted = None
    if depth > 0:
        kind = draw(st.sampled_from(("plain", "plain", "retweet", "quote", "retweet_of_quote")))
        if kind in ("retweet", "retweet_of_quote"):
            retweeted = draw(tweets(depth=0))
            if kind == "retweet_of_quote":
                inner = draw(tweets(depth=0))
                retweeted = dataclasses.replace(retweeted, quoted=inner, is_quote=True)
                quoted = inner
        elif kind == "quote":
            quoted = draw(tweets(depth=0))
    geo = draw(st.sampled_from(("none", "none", "point", "place", "both")))
    tweet_id = draw(_ids)
    return Tweet(
        id=tweet_id,
        text=retweeted.text if retweeted is not None else _text(words, decorations),
        author=draw(users()),
        lang=draw(st.sampled_from(LANGS)),
        hashtags=tuple(hashtags),
        mentions=tuple(mentions),
        symbols=tuple(symbols),
        urls=tuple(urls),
        media=tuple(media),
        in_reply_to_status_id=draw(_ids) if reply else None,
        in_reply_to_user_id=draw(st.sampled_from(USER_IDS)) if reply else None,
        in_reply_to_screen_name=draw(st.sampled_from(NAMES)) if reply else None,
        conversation_id=draw(st.one_of(st.none(), st.just(tweet_id), _ids)),
        retweeted=retweeted,
        quoted=quoted,
        is_quote=quoted is not None,
        source=draw(st.sampled_from(SOURCES)),
        place=draw(places()) if geo in ("place", "both") else None,
        point=draw(_coordinate_near()) if geo in ("point", "both") else None,
        nullcast=draw(st.booleans()),
    )

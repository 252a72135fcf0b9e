"""The reference evaluator: a rule's AST read directly against one tweet.

Written to be obviously right rather than fast: the predicate index is
property-tested against it, so when the two disagree, this one is the
specification (together with docs/rule-language.md). One small function per operator;
the field-level definitions they share with the index live in
:mod:`powertrack.rules.semantics`.

Scope, from docs/rule-language.md: keyword, phrase, proximity, ``#``, ``@``, ``$``,
``url:``, ``url_contains:``, the ``has:`` entity operators and ``is:reply``
match the tweet or its quoted original; geo operators never match a retweet
and never read the quoted original; everything else reads the tweet alone.
"""

from __future__ import annotations

from typing import Literal, TypeAlias, assert_never

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
from powertrack.rules.sampling import sample_bucket
from powertrack.rules.semantics import (
    contains_phrase,
    conversation_id,
    count_in_range,
    expanded_urls,
    geo_applies,
    in_bounding_box,
    in_point_radius,
    is_reply,
    link_urls,
    place_matches,
    profile_text,
    quote_scope,
    source_name,
    text_tokens,
    tokens_of,
    user_matches,
    within_proximity,
)
from powertrack.text import fold
from powertrack.tweets.model import Tweet

__all__ = ["evaluate"]


def evaluate(node: Node, tweet: Tweet) -> bool:
    """True when the rule (sub)tree ``node`` matches ``tweet``."""
    match node:
        case Not():
            return not evaluate(node.child, tweet)
        case And():
            return all(evaluate(child, tweet) for child in node.children)
        case Or():
            return any(evaluate(child, tweet) for child in node.children)
        case Keyword():
            return _keyword(node, tweet)
        case Phrase():
            return _phrase(node, tweet)
        case Proximity():
            return _proximity(node, tweet)
        case Hashtag():
            return _hashtag(node, tweet)
        case Mention():
            return _mention(node, tweet)
        case Cashtag():
            return _cashtag(node, tweet)
        case Contains():
            return _contains(node, tweet)
        case UserOp():
            return _user_op(node, tweet)
        case IdOp():
            return _id_op(node, tweet)
        case Url():
            return _url(node, tweet)
        case UrlContains():
            return _url_contains(node, tweet)
        case UserText():
            return _user_text(node, tweet)
        case CountRange():
            return _count_range(node, tweet)
        case Lang():
            return _lang(node, tweet)
        case Place():
            return _place(node, tweet)
        case PlaceCountry():
            return _place_country(node, tweet)
        case PointRadius():
            return _point_radius(node, tweet)
        case BoundingBox():
            return _bounding_box(node, tweet)
        case Has():
            return _has(node, tweet)
        case Is():
            return _is(node, tweet)
        case Sample():
            return _sample(node, tweet)
        case Source():
            return _source(node, tweet)
        case _:
            assert_never(node)


# --- text and entities: the tweet or its quoted original -------------------


def _keyword(node: Keyword, tweet: Tweet) -> bool:
    # One rule for one token and several: a multi-token keyword (coca-cola) is
    # a phrase, and a one-token phrase is membership. A URL counts only as a
    # whole: the tokens never straddle two URLs or a URL and the text.
    return any(
        contains_phrase(text_tokens(scoped), node.tokens)
        or any(contains_phrase(tokens_of(url), node.tokens) for url in expanded_urls(scoped))
        for scoped in quote_scope(tweet)
    )


def _phrase(node: Phrase, tweet: Tweet) -> bool:
    return any(contains_phrase(text_tokens(scoped), node.tokens) for scoped in quote_scope(tweet))


def _proximity(node: Proximity, tweet: Tweet) -> bool:
    return any(
        within_proximity(text_tokens(scoped), node.tokens, node.distance)
        for scoped in quote_scope(tweet)
    )


def _hashtag(node: Hashtag, tweet: Tweet) -> bool:
    return any(fold(tag) == node.tag for scoped in quote_scope(tweet) for tag in scoped.hashtags)


def _mention(node: Mention, tweet: Tweet) -> bool:
    return any(
        user_matches(node.name, mention.screen_name, mention.id)
        for scoped in quote_scope(tweet)
        for mention in scoped.mentions
    )


def _cashtag(node: Cashtag, tweet: Tweet) -> bool:
    return any(
        fold(symbol) == node.symbol for scoped in quote_scope(tweet) for symbol in scoped.symbols
    )


def _url(node: Url, tweet: Tweet) -> bool:
    return any(
        contains_phrase(tokens_of(url), node.tokens)
        for scoped in quote_scope(tweet)
        for url in link_urls(scoped)
    )


def _url_contains(node: UrlContains, tweet: Tweet) -> bool:
    return any(
        node.value in fold(url) for scoped in quote_scope(tweet) for url in expanded_urls(scoped)
    )


# --- the tweet alone --------------------------------------------------------


def _contains(node: Contains, tweet: Tweet) -> bool:
    # docs/rule-language.md leaves contains: out of the quote-aware list: the tweet's text only.
    return node.value in fold(tweet.text)


def _user_op(node: UserOp, tweet: Tweet) -> bool:
    match node.field:
        case "from":
            return user_matches(node.value, tweet.author.screen_name, tweet.author.id)
        case "to":
            return user_matches(
                node.value, tweet.in_reply_to_screen_name or "", tweet.in_reply_to_user_id or ""
            )
        case "retweets_of":
            original = tweet.retweeted
            return original is not None and user_matches(
                node.value, original.author.screen_name, original.author.id
            )
        case _:
            assert_never(node.field)


def _id_op(node: IdOp, tweet: Tweet) -> bool:
    match node.field:
        case "retweets_of_status_id":
            return tweet.retweeted is not None and tweet.retweeted.id == node.value
        case "in_reply_to_status_id":
            return tweet.in_reply_to_status_id == node.value
        case "conversation_id":
            return conversation_id(tweet) == node.value
        case _:
            assert_never(node.field)


def _user_text(node: UserText, tweet: Tweet) -> bool:
    return contains_phrase(tokens_of(profile_text(tweet.author, node.field)), node.tokens)


def _count_range(node: CountRange, tweet: Tweet) -> bool:
    match node.field:
        case "followers_count":
            value = tweet.author.followers_count
        case "friends_count":
            value = tweet.author.friends_count
        case "statuses_count":
            value = tweet.author.statuses_count
        case "listed_count":
            value = tweet.author.listed_count
        case _:
            assert_never(node.field)
    return count_in_range(value, node.low, node.high)


def _lang(node: Lang, tweet: Tweet) -> bool:
    return tweet.lang is not None and tweet.lang.lower() == node.code


def _sample(node: Sample, tweet: Tweet) -> bool:
    return sample_bucket(tweet.id) < node.percent


def _source(node: Source, tweet: Tweet) -> bool:
    return contains_phrase(tokens_of(source_name(tweet.source)), node.tokens)


# --- geo: the tweet alone, never a retweet -----------------------------------


def _place(node: Place, tweet: Tweet) -> bool:
    return place_matches(tweet, node.tokens)


def _place_country(node: PlaceCountry, tweet: Tweet) -> bool:
    place = tweet.place
    return place is not None and geo_applies(tweet) and place.country_code.upper() == node.code


def _point_radius(node: PointRadius, tweet: Tweet) -> bool:
    return in_point_radius(tweet, node.lon, node.lat, node.radius_km)


def _bounding_box(node: BoundingBox, tweet: Tweet) -> bool:
    return in_bounding_box(tweet, node.west, node.south, node.east, node.north)


# --- has: and is: -------------------------------------------------------------


_EntityName: TypeAlias = Literal[
    "links", "mentions", "hashtags", "symbols", "media", "images", "videos"
]


def _has(node: Has, tweet: Tweet) -> bool:
    name = node.name
    match name:
        case "geo":
            return geo_applies(tweet) and (tweet.point is not None or tweet.place is not None)
        case "lang":
            return tweet.lang is not None and tweet.lang.lower() not in ("", "und")
        case _:
            return any(_has_entity(name, scoped) for scoped in quote_scope(tweet))


def _has_entity(name: _EntityName, tweet: Tweet) -> bool:
    match name:
        case "links":
            return bool(tweet.urls or tweet.media)
        case "mentions":
            return bool(tweet.mentions)
        case "hashtags":
            return bool(tweet.hashtags)
        case "symbols":
            return bool(tweet.symbols)
        case "media":
            return bool(tweet.media)
        case "images":
            return any(item.type == "photo" for item in tweet.media)
        case "videos":
            return any(item.type in ("video", "animated_gif") for item in tweet.media)
        case _:
            assert_never(name)


def _is(node: Is, tweet: Tweet) -> bool:
    match node.name:
        case "retweet":
            return tweet.retweeted is not None
        case "reply":
            return any(is_reply(scoped) for scoped in quote_scope(tweet))
        case "quote":
            return tweet.is_quote or tweet.quoted is not None
        case "verified":
            return tweet.author.verified
        case "nullcast":
            return tweet.nullcast
        case _:
            assert_never(node.name)

"""The compiled index's fast JSON reader gives the Doc the general way gives.

``match_json`` reads a v1.1 status with typed msgspec structs straight into a
``Doc``; whatever it does not handle it leaves to ``Tweet.from_json`` and
``doc_of_tweet``. Here both ways must agree on every v1.1 tweet of the corpus
and on damaged variants of them, and the fast way must take the common case.
"""

from __future__ import annotations

import copy
import random
from typing import Any

import orjson
import pytest

from powertrack import TweetFormatError, parse_rule
from powertrack.index import _cindex as cindex  # not built: an error, never a skip
from powertrack.index.index import PyRuleIndex
from powertrack.tweets.model import Tweet
from tests.tweets import corpus

_DOC_FIELDS = [
    "id",
    "author_id",
    "author_screen_name",
    "author_name",
    "author_description",
    "author_location",
    "verified",
    "followers",
    "friends",
    "statuses",
    "listed",
    "lang",
    "reply_user_id",
    "reply_screen_name",
    "conversation_id",
    "retweet",
    "rt_id",
    "rt_author_screen_name",
    "rt_author_id",
    "is_quote",
    "source",
    "has_place",
    "place_id",
    "place_full_name",
    "place_country",
    "has_bbox",
    "west",
    "south",
    "east",
    "north",
    "has_point",
    "lon",
    "lat",
    "nullcast",
]
_PART_FIELDS = [
    "text",
    "hashtags",
    "symbols",
    "mention_names",
    "mention_ids",
    "url_tco",
    "url_expanded",
    "media_types",
    "media_tco",
    "media_expanded",
    "reply_status_id",
]


def _part(part: Any) -> Any:
    return None if part is None else {name: getattr(part, name) for name in _PART_FIELDS}


def _state(doc: Any) -> dict[str, Any]:
    state = {name: getattr(doc, name) for name in _DOC_FIELDS}
    state["main"] = _part(doc.main)
    state["quoted"] = _part(doc.quoted)
    return state


def _general(raw: bytes) -> dict[str, Any] | None:
    try:
        return _state(cindex.doc_of_tweet(Tweet.from_json(raw)))
    except TweetFormatError:
        return None


def _check(raw: bytes) -> bool:
    """Both ways agree on ``raw``; whether the fast way read it."""
    fast = cindex.doc_of_json(raw)
    if fast is None:
        return False
    general = _general(raw)
    assert general is not None, raw[:300]
    assert _state(fast) == general, raw[:300]
    return True


def test_every_v11_corpus_tweet_reads_alike_and_most_the_fast_way() -> None:
    lines = corpus.lines(corpus.V11)
    fast = sum(_check(line) for line in lines)
    # The fast way is the common case; the rest is legacy geo, odd ids and the like.
    assert fast >= 0.95 * len(lines), (fast, len(lines))


def test_v2_messages_and_non_tweets_go_the_general_way() -> None:
    for line in corpus.lines(corpus.V2)[::50]:
        assert cindex.doc_of_json(line) is None
    for raw in (b'{"delete":{"status":{"id":1,"id_str":"1"}}}', b"[1]", b"1", b"{", b""):
        assert cindex.doc_of_json(raw) is None


_JUNK: tuple[Any, ...] = (None, 0, -1, 2**64 - 1, 1.5, True, "", "x", "12", "١٢", [], [1], {}, [{}])


def test_damaged_v11_tweets_read_alike() -> None:
    chance = random.Random(7)
    documents = [orjson.loads(line) for line in chance.sample(corpus.lines(corpus.V11), 300)]
    taken = 0
    for _ in range(4000):
        document = copy.deepcopy(chance.choice(documents))
        for _ in range(chance.randint(1, 2)):
            path = chance.choice(list(corpus.paths(document))[1:])
            junk = copy.deepcopy(chance.choice(_JUNK))
            corpus.put(document, path, corpus.DELETE if chance.random() < 0.3 else junk)
        taken += _check(orjson.dumps(document))
    assert taken > 1000


@pytest.mark.parametrize(
    "raw",
    [
        # A lone surrogate: orjson refuses it, so must the fast way.
        b'{"id_str":"1","text":"a \\ud800 b","user":{"id_str":"2"}}',
        # Duplicate keys: the last one counts, as orjson reads them.
        b'{"id_str":"1","text":"first","text":"second","user":{"id_str":"2"}}',
        b'{"id_str":"1","id_str":"x","text":"t","user":{"id_str":"2"}}',
        # Non-ASCII digits are not an id.
        '{"id_str":"١","text":"t","user":{"id_str":"2"}}'.encode(),
        b'{"id_str":"1","text":"t","user":{"id_str":"2","followers_count":-5}}',
        b'{"id_str":"1","text":"t","user":{"id_str":"2"},"coordinates":{"coordinates":[200,1]}}',
        b'{"id_str":"1","text":"t","user":{"id_str":"2"},"lang":null,"source":"<a>x</a>"}',
    ],
)
def test_edge_cases_read_alike(raw: bytes) -> None:
    fast = cindex.doc_of_json(raw)
    if fast is not None:
        assert _state(fast) == _general(raw)


def test_match_json_answers_as_match() -> None:
    rules = ["news", "#bitcoin", "news lang:en has:links", "-is:retweet love", "from:nasa OR @nasa"]
    compiled: cindex.CRuleIndex[int] = cindex.CRuleIndex()
    pure: PyRuleIndex[int] = PyRuleIndex()
    for number, text in enumerate(rules):
        compiled.add(number, parse_rule(text))
        pure.add(number, parse_rule(text))
    for line in corpus.lines(corpus.V11)[::7]:
        tweet = Tweet.from_json(line)
        expected = sorted(pure.match(tweet))
        assert sorted(compiled.match_json(line)) == expected
        assert sorted(pure.match_json(line)) == expected
    with pytest.raises(TweetFormatError):
        compiled.match_json(b'{"delete":{"status":{"id":1}}}')

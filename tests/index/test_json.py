"""The compiled index's fast JSON reader gives the Doc the general way gives.

``match_json`` reads a v1.1 status with its own JSON scanner and a v2
filtered-stream message with typed msgspec structs straight into a ``Doc``;
whatever it does not handle it leaves
to ``Tweet.from_json`` and ``doc_of_tweet``. Here both ways must agree on
every tweet of the corpus, v1.1 and v2, and on damaged variants of them, and
the fast way must take the common case.
"""

from __future__ import annotations

import copy
import json
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


@pytest.mark.parametrize("name", [corpus.V11, corpus.V2])
def test_every_corpus_tweet_reads_alike_and_most_the_fast_way(name: str) -> None:
    lines = corpus.lines(name)
    fast = sum(_check(line) for line in lines)
    # The fast way is the common case; the rest is legacy geo, odd ids and the like.
    assert fast >= 0.95 * len(lines), (fast, len(lines))


def test_non_tweets_go_the_general_way() -> None:
    for raw in (
        b'{"delete":{"status":{"id":1,"id_str":"1"}}}',
        b'{"data":[{"id":"1","text":"a page"}]}',
        b'{"data":{"id":"1","text":"hi","dm_conversation_id":"1-2"}}',
        b'{"errors":[{"title":"x"}]}',
        b"[1]",
        b"1",
        b"{",
        b"",
    ):
        assert cindex.doc_of_json(raw) is None


_JUNK: tuple[Any, ...] = (None, 0, -1, 2**64 - 1, 1.5, True, "", "x", "12", "١٢", [], [1], {}, [{}])


@pytest.mark.parametrize("name", [corpus.V11, corpus.V2])
def test_damaged_tweets_read_alike(name: str) -> None:
    chance = random.Random(7)
    documents = [orjson.loads(line) for line in chance.sample(corpus.lines(name), 300)]
    taken = 0
    for _ in range(4000):
        document = copy.deepcopy(chance.choice(documents))
        for _ in range(chance.randint(1, 2)):
            paths = list(corpus.paths(document))[1:]
            if not paths:  # both top-level fields deleted
                break
            path = chance.choice(paths)
            junk = copy.deepcopy(chance.choice(_JUNK))
            corpus.put(document, path, corpus.DELETE if chance.random() < 0.3 else junk)
        taken += _check(orjson.dumps(document))
    assert taken > 1000


def _v2(data: dict[str, Any], **includes: Any) -> bytes:
    return orjson.dumps({"data": {"id": "1", "text": "t", **data}, "includes": includes})


_USER = {"id": "7", "username": "Ann", "name": "Ann N"}


_FAST = True
_GENERAL = False


@pytest.mark.parametrize(
    ("raw", "way"),
    [
        # The retweeted original in includes, quoting a third tweet.
        (
            _v2(
                {
                    "text": "RT @Ann: hi $BTC",
                    "entities": {"cashtags": [{"tag": "BTC"}], "hashtags": [{"tag": "here"}]},
                    "referenced_tweets": [{"type": "retweeted", "id": "2"}],
                },
                users=[_USER],
                tweets=[
                    {
                        "id": "2",
                        "text": "hi #there $ETH",
                        "entities": {"cashtags": [{"tag": "ETH"}], "hashtags": [{"tag": "there"}]},
                        "author_id": "7",
                        "referenced_tweets": [{"type": "quoted", "id": "3"}],
                    },
                    {
                        "id": "3",
                        "text": "quoted",
                        "referenced_tweets": [{"type": "retweeted", "id": "4"}],
                    },
                ],
            ),
            _FAST,
        ),
        # Not in includes: the author from the RT prefix, known or not.
        (
            _v2({"text": "RT @Ann: hi", "referenced_tweets": [{"type": "retweeted", "id": "2"}]}),
            _FAST,
        ),
        (
            _v2(
                {
                    "text": "RT @ann: hi",
                    "entities": {"mentions": [{"username": "Ann", "id": "7"}]},
                    "referenced_tweets": [{"type": "retweeted", "id": "2"}],
                }
            ),
            _FAST,
        ),
        # An original that retweets in turn: the general way absorbs it.
        (
            _v2(
                {"referenced_tweets": [{"type": "retweeted", "id": "2"}]},
                tweets=[
                    {
                        "id": "2",
                        "text": "x",
                        "referenced_tweets": [{"type": "retweeted", "id": "3"}],
                    },
                    {"id": "3", "text": "deep"},
                ],
            ),
            _GENERAL,
        ),
        # Media by key, linked or not, typed by includes or by the key.
        (
            _v2(
                {
                    "entities": {
                        "urls": [
                            {
                                "url": "https://t.co/a",
                                "expanded_url": "https://x.com/p",
                                "media_key": "7_1",
                            },
                            {"url": "https://t.co/b", "unwound_url": "https://b.example/"},
                        ]
                    },
                    "attachments": {"media_keys": ["3_9", "16_2"]},
                },
                media=[
                    {"media_key": "3_9", "type": "photo"},
                    {"media_key": "16_2", "type": "other"},
                ],
            ),
            _FAST,
        ),
        # A long tweet, mentions resolved by name, replies and conversations.
        (
            _v2(
                {
                    "note_tweet": {"text": "the whole @ann text"},
                    "in_reply_to_user_id": "7",
                    "conversation_id": "5",
                    "referenced_tweets": [
                        {"type": "replied_to", "id": "5"},
                        {"type": "x", "id": "6"},
                    ],
                    "author_id": "8",
                },
                users=[_USER],
            ),
            _FAST,
        ),
        # Places with and without a body, boxes on and off the globe, points.
        (_v2({"geo": {"place_id": "p1"}}), _FAST),
        (
            _v2(
                {
                    "geo": {
                        "place_id": "p1",
                        "coordinates": {"type": "Point", "coordinates": [2.5, 48]},
                    }
                },
                places=[
                    {
                        "id": "p1",
                        "full_name": "Paris",
                        "country_code": "FR",
                        "geo": {"bbox": [2, 48, 3, 49]},
                    }
                ],
            ),
            _FAST,
        ),
        (
            _v2(
                {"geo": {"place_id": "p1"}}, places=[{"id": "p1", "geo": {"bbox": [2, 48, 3, 99]}}]
            ),
            _GENERAL,
        ),
        (_v2({"geo": {"coordinates": {"coordinates": [200, 1]}}}), _GENERAL),
        # Ids that are not decimal, a user with its metrics, a message with a user.
        (_v2({"author_id": "x7"}), _GENERAL),
        (_v2({"referenced_tweets": [{"type": "quoted", "id": "x"}]}), _FAST),
        (
            _v2(
                {"author_id": "7"},
                users=[
                    {
                        **_USER,
                        "verified": True,
                        "public_metrics": {"followers_count": 5, "tweet_count": None},
                    }
                ],
            ),
            _FAST,
        ),
        (orjson.dumps({"data": {"id": "1", "text": "t"}, "user": None}), _GENERAL),
    ],
)
def test_v2_edge_cases_read_alike(raw: bytes, way: bool) -> None:
    fast = cindex.doc_of_json(raw)
    assert (fast is not None) == way
    if fast is not None:
        assert _state(fast) == _general(raw)


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
def test_v11_edge_cases_read_alike(raw: bytes) -> None:
    fast = cindex.doc_of_json(raw)
    if fast is not None:
        assert _state(fast) == _general(raw)


_STATUS = b'"id_str":"1","user":{"id_str":"2","screen_name":"Ann"}'


def _status(extra: bytes) -> bytes:
    return b"{" + _STATUS + b"," + extra + b"}"


@pytest.mark.parametrize(
    ("raw", "way"),
    [
        # Escapes as Twitter writes them, and UTF-8 as it is: read the fast
        # way, to the same text.
        (_status(rb'"text":"a\/b \"q\" \\ \n\t\r\b\f end"'), _FAST),
        (_status(rb'"text":"caf\u00e9 \u20ac \ud83d\ude00 \u0000"'), _FAST),
        (_status(rb'"text":"\u00E9\u00e9","source":"<a href=\"x\">\u00e9</a>"'), _FAST),
        (_status('"text":"caf\u00e9 \U0001f600 \u0633\u0644\u0627\u0645"'.encode()), _FAST),
        # Whitespace anywhere JSON allows it.
        (b' \n{ "id_str" : "1" ,\t"text":"t", "user" : { "id_str":"2" } }\r\n ', _FAST),
        # Ids and counts of 19 digits are integers; 20 digits are left to the general way.
        (_status(b'"text":"t","in_reply_to_status_id":1582427679847895041'), _FAST),
        (_status(b'"text":"t","in_reply_to_status_id":18446744073709551615'), _GENERAL),
        # A long float or a big exponent in a member nobody reads.
        (_status(b'"text":"t","random":0.0009388446238663972,"e":-1.5E+10'), _FAST),
        # A key written with an escape is left to the general way, which reads it as "text".
        (b'{"id_str":"1","te\\u0078t":"t","user":{"id_str":"2"}}', _GENERAL),
        # Deep nesting in a member nobody reads.
        (_status(b'"text":"t","deep":' + b"[" * 80 + b"]" * 80), _GENERAL),
        # The flattened form some archives use: entity lists at the top level.
        (
            b'{"id_str":"1","text":"hi #a @b $C","user":{"id_str":"2"},"hashtags":[{"text":"a"}],'
            b'"user_mentions":[{"screen_name":"b","id":5}],"symbols":null,"urls":[{"url":"u"}],'
            b'"media":[{"type":"photo","url":"m","expanded_url":"e"}],"entities":null}',
            _FAST,
        ),
        (
            b'{"id_str":"1","text":"t","user":{"id_str":"2"},"urls":[],"media":[{"type":"photo"}],'
            b'"extended_entities":{"media":[{"type":"video","url":"v"}]}}',
            _FAST,
        ),
        # A top-level media without the flattened lists is not read.
        (_status(b'"text":"t #x","media":[{"type":"video","url":"v"}]'), _FAST),
        (_status(b'"text":"t","hashtags":[{"text":null}]'), _GENERAL),
        # An old status with its id as a number only.
        (b'{"id":5998833480,"text":"t","user":{"id":37735152}}', _FAST),
        (b'{"id":-1,"text":"t","user":{"id_str":"2"}}', _GENERAL),
        # Not JSON, or not JSON orjson takes: both ways refuse it.
        (_status(b'"text":"a \xff b"'), _GENERAL),
        (_status(b'"text":"t","x":"\xed\xa0\x80"'), _GENERAL),
        (_status(b'"text":"t","x":"\xc0\xaf"'), _GENERAL),
        (_status(b'"text":"t","x":"\xf4\x90\x80\x80"'), _GENERAL),
        (_status(rb'"text":"t","x":"\ud800"'), _GENERAL),
        (_status(rb'"text":"t","x":"\udc00\ud800"'), _GENERAL),
        (_status(rb'"text":"t","x":"\u12g4"'), _GENERAL),
        (_status(rb'"text":"t","x":"\a"'), _GENERAL),
        (_status(b'"text":"t","x":"tab\there"'), _GENERAL),  # a control character
        (_status(b'"text":"t","x":1e400'), _GENERAL),
        (_status(b'"text":"t","x":01'), _GENERAL),
        (_status(b'"text":"t","x":1.'), _GENERAL),
        (_status(b'"text":"t","x":-'), _GENERAL),
        (_status(b'"text":"t","x":NaN'), _GENERAL),
        (_status(b'"text":"t","x":[1,]'), _GENERAL),
        (_status(b'"text":"t","x":{"a":1,}'), _GENERAL),
        (_status(b'"text":"t","x":tru'), _GENERAL),
        (_status(b'"text":"t"') + b"x", _GENERAL),
        (_status(b'"text":"t"') + b"{}", _GENERAL),
        (b"\xef\xbb\xbf" + _status(b'"text":"t"'), _GENERAL),
        (_status(b'"text":"t"')[:-1], _GENERAL),
        (_status(b'"text":"t",'), _GENERAL),
    ],
)
def test_v11_scanner_cases_read_alike(raw: bytes, way: bool) -> None:
    fast = cindex.doc_of_json(raw)
    assert (fast is not None) == way, raw
    if fast is not None:
        assert _state(fast) == _general(raw)


def test_escaped_tweets_read_alike_the_fast_way() -> None:
    # Twitter's own JSON escapes every non-ASCII character and the slash.
    lines = corpus.lines(corpus.V11)[::3]
    fast = 0
    for line in lines:
        escaped = json.dumps(json.loads(line), ensure_ascii=True).replace("/", "\\/")
        fast += _check(escaped.encode())
    assert fast >= 0.95 * len(lines), (fast, len(lines))


def test_byte_damaged_tweets_read_alike() -> None:
    # Bytes flipped, inserted, deleted or cut anywhere: the fast way reads what
    # the general way reads, the same, and refuses what it refuses.
    chance = random.Random(11)
    lines = chance.sample(corpus.lines(corpus.V11), 400)
    alphabet = b'"\\{}[],:0123456789-+.eE \n\tuntrfalsx\x00\x1f\x7f\x80\xbf\xc3\xe2\xed\xf0\xff'
    refused = 0
    for _ in range(6000):
        data = bytearray(chance.choice(lines))
        for _ in range(chance.randint(1, 3)):
            at = chance.randrange(len(data))
            action = chance.random()
            if action < 0.4:
                data[at] = chance.choice(alphabet)
            elif action < 0.7:
                data.insert(at, chance.choice(alphabet))
            elif action < 0.95:
                del data[at]
            else:
                del data[at:]
                break
        raw = bytes(data)
        if cindex.doc_of_json(raw) is None:
            refused += 1
        _check(raw)
    assert 0 < refused < 6000


def test_match_json_answers_as_match() -> None:
    rules = ["news", "#bitcoin", "news lang:en has:links", "-is:retweet love", "from:nasa OR @nasa"]
    compiled: cindex.CRuleIndex[int] = cindex.CRuleIndex()
    pure: PyRuleIndex[int] = PyRuleIndex()
    for number, text in enumerate(rules):
        compiled.add(number, parse_rule(text))
        pure.add(number, parse_rule(text))
    for line in corpus.lines(corpus.V11)[::7] + corpus.lines(corpus.V2)[::3]:
        tweet = Tweet.from_json(line)
        expected = sorted(pure.match(tweet))
        assert sorted(compiled.match_json(line)) == expected
        assert sorted(pure.match_json(line)) == expected
        for index in (compiled, pure):
            tweet_id, matched = index.match_json_id(line)
            assert (tweet_id, sorted(matched)) == (tweet.id, expected)
    with pytest.raises(TweetFormatError):
        compiled.match_json(b'{"delete":{"status":{"id":1}}}')

"""How a match is written for each API shape."""

from __future__ import annotations

import orjson
import pytest

from powertrack.delivery import Delivered, InvalidFieldsError, V2Fields, powertrack_line, v2_line
from powertrack.firehose.v2 import to_v2
from powertrack.matches import MatchedRule, TweetFormat, match_record
from tests.delivery.serving import sample_tweets

RULES = [MatchedRule(9, None), MatchedRule(7, "cats")]


def _delivered(value: bytes) -> Delivered:
    return Delivered(value, 1, "A", 3, 0, 3, 1_700_000_000_000, "CURSOR-token_x")


def _v11() -> tuple[dict[str, object], Delivered]:
    tweet = sample_tweets(1)[0]
    return tweet, _delivered(match_record(orjson.dumps(tweet), TweetFormat.V11, RULES))


def test_powertrack_line_is_the_record_with_root_level_rules() -> None:
    tweet, item = _v11()
    line = powertrack_line(item)
    assert line == item.value
    document = orjson.loads(line)
    assert document["id_str"] == tweet["id_str"]
    assert document["matching_rules"] == [
        {"id": 7, "id_str": "7", "tag": "cats"},
        {"id": 9, "id_str": "9", "tag": None},
    ]


def test_powertrack_cursor_is_the_last_member_and_keeps_the_bytes() -> None:
    _, item = _v11()
    line = powertrack_line(item, include_cursor=True)
    assert line.startswith(item.value[:-1])
    assert line.endswith(b',"cursor":"CURSOR-token_x"}')
    assert orjson.loads(line)["cursor"] == item.cursor


def test_a_v2_record_goes_to_powertrack_as_it_is() -> None:
    message = to_v2(sample_tweets(1)[0])
    item = _delivered(match_record(orjson.dumps(message), TweetFormat.V2, RULES))
    assert powertrack_line(item) == item.value


def test_v2_default_output_is_id_text_and_edit_history() -> None:
    tweet, item = _v11()
    document = orjson.loads(v2_line(item, V2Fields()))
    assert set(document) == {"data", "matching_rules"}
    assert set(document["data"]) == {"id", "text", "edit_history_tweet_ids"}
    assert document["data"]["id"] == tweet["id_str"]
    assert document["matching_rules"] == [{"id": "7", "tag": "cats"}, {"id": "9", "tag": ""}]


def test_v2_fields_and_author_expansion() -> None:
    tweet, item = _v11()
    fields = V2Fields.parse("created_at,lang", "username,public_metrics", "author_id")
    document = orjson.loads(v2_line(item, fields, include_cursor=True))
    user = tweet["user"]
    assert isinstance(user, dict)
    assert set(document["data"]) == {
        "id", "text", "edit_history_tweet_ids", "created_at", "lang", "author_id"
    }  # fmt: skip
    assert document["data"]["author_id"] == user["id_str"]
    (author,) = document["includes"]["users"]
    assert set(author) == {"id", "name", "username", "public_metrics"}
    assert author["username"] == user["screen_name"]
    assert document["cursor"] == item.cursor
    assert list(document)[-1] == "cursor"


def test_v2_record_is_projected_too() -> None:
    message = to_v2(sample_tweets(1)[0])
    item = _delivered(match_record(orjson.dumps(message), TweetFormat.V2, RULES))
    document = orjson.loads(v2_line(item, V2Fields(expand_author=True)))
    assert document["data"]["id"] == message["data"]["id"]
    assert "author_id" in document["data"]
    assert document["includes"]["users"][0]["id"] == message["data"]["author_id"]
    assert document["matching_rules"] == [{"id": "7", "tag": "cats"}, {"id": "9", "tag": ""}]


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(InvalidFieldsError, match=r"tweet\.fields") as caught:
        V2Fields.parse("created_at,bogus", None, None)
    assert caught.value.values == ["bogus"]
    with pytest.raises(InvalidFieldsError, match="expansions"):
        V2Fields.parse(None, None, "author_id,nope")
    assert V2Fields.parse(None, None, "geo.place_id") == V2Fields()

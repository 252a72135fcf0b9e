"""Posting tweets through the API: ``POST /2/tweets`` and ``POST /1.1/statuses/update.json``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from powertrack.api import create_app
from powertrack.firehose.sink import ListTweetSink
from powertrack.settings import Settings
from powertrack.store import SQLiteRuleStore
from powertrack.store.ids import split_rule_id
from powertrack.tweets.model import Tweet
from tests.api.support import ADMIN, ADMIN_TOKEN

V2_POST = "/2/tweets"
V11_POST = "/1.1/statuses/update.json"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass
class TweetApi:
    """The app under test and the sink it publishes to."""

    app: FastAPI
    sink: ListTweetSink

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pt.test") as client:
            return await client.post(url, **kwargs)


Factory = Callable[..., Coroutine[Any, Any, TweetApi]]


def _settings(admin_token: str | None) -> Settings:
    values: dict[str, Any] = {"admin_token": admin_token}
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def make_tweet_api() -> Iterator[Factory]:
    stores: list[SQLiteRuleStore] = []

    async def build(
        admin_token: str | None = ADMIN_TOKEN, sink: ListTweetSink | None = None
    ) -> TweetApi:
        store = SQLiteRuleStore(":memory:")
        stores.append(store)
        await store.migrate()
        settings = _settings(admin_token)
        sink = sink if sink is not None else ListTweetSink()
        return TweetApi(create_app(settings, store, tweet_sink=sink, tweet_worker_id=7), sink)

    yield build
    for store in stores:
        asyncio.run(store.close())


async def test_post_v2_publishes_the_tweet_and_answers_its_id(make_tweet_api: Factory) -> None:
    api = await make_tweet_api()
    text = "Go #Artemis @NASA $RKLB https://nasa.gov"
    answer = await api.post(V2_POST, json={"text": text}, headers=ADMIN)
    assert answer.status_code == 201
    data = answer.json()["data"]
    assert data["text"] == text
    assert data["edit_history_tweet_ids"] == [data["id"]]
    [(key, raw)] = api.sink.sent
    assert str(key) == data["id"]
    assert split_rule_id(key).worker_id == 7
    tweet = Tweet.from_json(raw)
    assert (tweet.id, tweet.text) == (data["id"], text)
    assert tweet.hashtags == ("Artemis",)
    assert [m.screen_name for m in tweet.mentions] == ["NASA"]
    assert tweet.symbols == ("RKLB",)
    assert [u.expanded_url for u in tweet.urls] == ["https://nasa.gov"]
    assert tweet.author.screen_name == "powertrack"


async def test_post_v2_takes_a_reply_an_author_and_a_language(make_tweet_api: Factory) -> None:
    api = await make_tweet_api()
    body = {
        "text": "@powertrack oui",
        "reply": {"in_reply_to_tweet_id": "1664059180470878209"},
        "screen_name": "claire",
        "name": "Claire",
        "lang": "fr",
    }
    answer = await api.post(V2_POST, json=body, headers=ADMIN)
    assert answer.status_code == 201
    tweet = Tweet.from_json(api.sink.sent[0][1])
    assert tweet.in_reply_to_status_id == "1664059180470878209"
    assert (tweet.author.screen_name, tweet.author.name, tweet.lang) == ("claire", "Claire", "fr")


async def test_posted_ids_increase(make_tweet_api: Factory) -> None:
    api = await make_tweet_api()
    ids = []
    for n in range(5):
        answer = await api.post(V2_POST, json={"text": f"tweet {n}"}, headers=ADMIN)
        ids.append(int(answer.json()["data"]["id"]))
    assert ids == sorted(set(ids))


@pytest.mark.parametrize(
    ("body", "parameter"),
    [
        ({"text": ""}, "text"),
        ({"text": "x" * 281}, "text"),
        ({"text": "hi", "media": {"media_ids": ["1"]}}, "media"),
        ({"text": "hi", "reply": {"in_reply_to_tweet_id": "abc"}}, "reply.in_reply_to_tweet_id"),
        ({"text": "hi", "screen_name": "no spaces please"}, "screen_name"),
        ({"text": "hi", "lang": "English"}, "lang"),
    ],
)
async def test_post_v2_refuses_a_malformed_body(
    make_tweet_api: Factory, body: dict[str, Any], parameter: str
) -> None:
    api = await make_tweet_api()
    answer = await api.post(V2_POST, json=body, headers=ADMIN)
    assert answer.status_code == 400
    problem = answer.json()
    assert problem["title"] == "Invalid Request"
    assert parameter in problem["errors"][0]["parameters"]
    assert api.sink.sent == []


async def test_posting_needs_the_admin_token(make_tweet_api: Factory) -> None:
    api = await make_tweet_api()
    for headers in ({}, {"Authorization": "Bearer not-the-admin-token"}):
        v2 = await api.post(V2_POST, json={"text": "hi"}, headers=headers)
        assert v2.status_code == 401
        assert v2.json()["title"] == "Unauthorized"
        v11 = await api.post(V11_POST, data={"status": "hi"}, headers=headers)
        assert v11.status_code == 401
        assert "admin token" in v11.json()["detail"]
    assert api.sink.sent == []


async def test_posting_is_refused_when_no_admin_token_is_configured(
    make_tweet_api: Factory,
) -> None:
    api = await make_tweet_api(admin_token=None)
    answer = await api.post(V2_POST, json={"text": "hi"}, headers=ADMIN)
    assert answer.status_code == 403
    assert api.sink.sent == []


async def test_v11_form_answers_the_published_tweet(make_tweet_api: Factory) -> None:
    api = await make_tweet_api()
    form = {"status": "Hello #world", "in_reply_to_status_id": "123", "lang": "en"}
    answer = await api.post(V11_POST, data=form, headers=ADMIN)
    assert answer.status_code == 200
    tweet = answer.json()
    assert api.sink.tweets() == [tweet]
    assert tweet["text"] == "Hello #world"
    assert tweet["entities"]["hashtags"] == [{"text": "world", "indices": [6, 12]}]
    assert tweet["in_reply_to_status_id"] == 123
    assert tweet["lang"] == "en"
    assert Tweet.from_json(tweet).id == tweet["id_str"]


async def test_v11_takes_query_parameters_too(make_tweet_api: Factory) -> None:
    api = await make_tweet_api()
    answer = await api.post(
        V11_POST, params={"status": "from the query", "screen_name": "q_user"}, headers=ADMIN
    )
    assert answer.status_code == 200
    assert answer.json()["user"]["screen_name"] == "q_user"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"data": {"lang": "en"}}, "status"),
        ({"data": {"status": "hi", "in_reply_to_status_id": "x1"}}, "in_reply_to_status_id"),
        ({"data": {"status": "hi", "user_id": "-4"}}, "user_id"),
        ({"json": {"status": "hi"}}, "x-www-form-urlencoded"),
    ],
)
async def test_v11_refuses_bad_fields(
    make_tweet_api: Factory, kwargs: dict[str, Any], message: str
) -> None:
    api = await make_tweet_api()
    answer = await api.post(V11_POST, headers=ADMIN, **kwargs)
    assert answer.status_code == 400
    assert message in answer.json()["detail"]
    assert api.sink.sent == []


async def test_an_unreachable_broker_answers_503_and_publishes_nothing(
    make_tweet_api: Factory,
) -> None:
    api = await make_tweet_api()
    api.sink.down = True
    v2 = await api.post(V2_POST, json={"text": "hi"}, headers=ADMIN)
    assert v2.status_code == 503
    assert v2.headers["retry-after"] == "5"
    assert "not published" in v2.json()["detail"]
    v11 = await api.post(V11_POST, data={"status": "hi"}, headers=ADMIN)
    assert v11.status_code == 503
    assert "not published" in v11.json()["detail"]
    assert api.sink.sent == []
    assert api.sink.pending == []
    api.sink.down = False
    again = await api.post(V2_POST, json={"text": "hi"}, headers=ADMIN)
    assert again.status_code == 201
    assert len(api.sink.sent) == 1


async def test_without_a_sink_there_is_no_posting_route() -> None:
    store = SQLiteRuleStore(":memory:")
    await store.migrate()
    try:
        app = create_app(_settings(ADMIN_TOKEN), store)
        api = TweetApi(app, ListTweetSink())
        answer = await api.post(V2_POST, json={"text": "hi"}, headers=ADMIN)
        assert answer.status_code == 404
        assert V2_POST not in app.openapi()["paths"]
    finally:
        await store.close()


async def test_the_routes_are_documented(make_tweet_api: Factory) -> None:
    api = await make_tweet_api()
    paths = api.app.openapi()["paths"]
    assert set(paths[V2_POST]["post"]["responses"]) >= {"201", "400", "401", "403", "503"}
    assert "422" not in paths[V2_POST]["post"]["responses"]
    assert "test" in paths[V11_POST]["post"]["description"]

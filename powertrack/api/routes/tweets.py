"""Posting tweets onto the firehose: ``POST /2/tweets`` and ``POST /1.1/statuses/update.json``.

These endpoints inject test and demo traffic, so they take the operator's
admin token rather than a user's credentials. A request may name the author
(``user_id``, ``screen_name``, ``name``); without one the tweet is from the
``powertrack`` user. The router is part of the app only when it is given a
sink to publish to.
"""

from __future__ import annotations

import logging
from typing import Any, Final
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from powertrack.api.deps import AdminAccess
from powertrack.api.errors import ApiError, MalformedRequestError
from powertrack.api.schemas.common import PlainError, V2InvalidRequest, V2Problem
from powertrack.firehose.posted import MAX_TEXT_LENGTH, Author, PostedTweetError, TweetPoster
from powertrack.firehose.sink import PublishError, TweetSink
from powertrack.store.ids import RuleIdGenerator
from powertrack.web.responses import OrjsonResponse

__all__ = ["FirehoseUnavailableError", "create_router"]

log = logging.getLogger(__name__)

FIREHOSE_UNAVAILABLE: Final = (
    "The firehose broker cannot be reached, so the tweet was not published. "
    "Retry with exponential backoff."
)
# A broker restart or leader election usually takes a few seconds.
RETRY_AFTER_S: Final = "5"
_FORM: Final = "application/x-www-form-urlencoded"
_TWEET_ID_PATTERN: Final = r"^[0-9]{1,19}$"
_MAX_TWEET_ID: Final = (1 << 63) - 1


class FirehoseUnavailableError(ApiError):
    """The broker did not take the tweet; nothing was published (503)."""

    status_code = 503


class ReplyIn(BaseModel):
    """The tweet a posted tweet replies to."""

    model_config = ConfigDict(extra="forbid")

    in_reply_to_tweet_id: str = Field(pattern=_TWEET_ID_PATTERN)


class PostTweetIn(BaseModel):
    """The X API v2 body of ``POST /2/tweets``, plus optional author and language."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_TEXT_LENGTH)
    reply: ReplyIn | None = None
    lang: str | None = Field(default=None, description="BCP 47 language code, e.g. en.")
    user_id: str | None = Field(default=None, description="Author id (powertrack extension).")
    screen_name: str | None = Field(
        default=None, description="Author screen name (powertrack extension)."
    )
    name: str | None = Field(
        default=None, description="Author display name (powertrack extension)."
    )


class PostedTweetData(BaseModel):
    """The id and text of a posted tweet."""

    id: str
    text: str
    edit_history_tweet_ids: list[str]


class PostTweetOut(BaseModel):
    """The X API v2 answer to ``POST /2/tweets``."""

    data: PostedTweetData


def create_router(sink: TweetSink, *, worker_id: int = 0) -> APIRouter:
    """The tweet-posting routes, publishing through ``sink``.

    Tweet ids come from a snowflake generator with ``worker_id``; API
    processes publishing at the same time need distinct worker ids, or two
    of them may hand out the same tweet id in the same millisecond.
    """
    poster = TweetPoster(sink, RuleIdGenerator(worker_id))
    router = APIRouter(tags=["posting tweets (test traffic)"], dependencies=[AdminAccess])

    async def publish(
        text: str, author: Author, lang: str | None, reply_to: int | None
    ) -> dict[str, Any]:
        try:
            return await poster.post(text, author=author, lang=lang, in_reply_to_status_id=reply_to)
        except PostedTweetError as exc:
            raise MalformedRequestError(str(exc), {exc.field: []}) from None
        except PublishError as exc:
            log.warning("posted tweet not published: %s", exc)
            raise FirehoseUnavailableError(
                FIREHOSE_UNAVAILABLE, headers={"Retry-After": RETRY_AFTER_S}
            ) from exc

    @router.post(
        "/2/tweets",
        status_code=201,
        response_model=PostTweetOut,
        summary="Post a tweet onto the firehose (admin token; test traffic)",
        responses={
            400: {"model": V2InvalidRequest, "description": "Malformed body or field."},
            401: {"model": V2Problem, "description": "Missing or wrong admin token."},
            403: {"model": V2Problem, "description": "No admin token is configured."},
            503: {"model": V2Problem, "description": "The broker is unreachable; not published."},
        },
    )
    async def post_tweet(body: PostTweetIn) -> Response:
        """Publish a tweet as X API v2 ``POST /2/tweets`` would create it.

        Injects test or demo traffic: it needs the admin token, not a user's.
        The tweet gets a fresh time-ordered id and the entities found in its
        text, and goes onto the firehose as v1.1 native JSON.
        """
        reply_to = _tweet_id(body.reply.in_reply_to_tweet_id) if body.reply else None
        author = _author(body.user_id, body.screen_name, body.name)
        tweet = await publish(body.text, author, body.lang, reply_to)
        tweet_id = tweet["id_str"]
        data = {"id": tweet_id, "text": body.text, "edit_history_tweet_ids": [tweet_id]}
        return OrjsonResponse({"data": data}, status_code=201)

    @router.post(
        "/1.1/statuses/update.json",
        summary="Post a tweet onto the firehose, v1.1 form (admin token; test traffic)",
        responses={
            200: {"description": "The tweet as published (v1.1 native JSON)."},
            400: {"model": PlainError, "description": "A missing or malformed field."},
            401: {"model": PlainError, "description": "Missing or wrong admin token."},
            403: {"model": PlainError, "description": "No admin token is configured."},
            503: {"model": PlainError, "description": "The broker is unreachable; not published."},
        },
    )
    async def update_status(request: Request) -> Response:
        """Publish a tweet as v1.1 ``statuses/update`` would create it; answer the tweet.

        Injects test or demo traffic: it needs the admin token, not a user's.
        Fields come as ``application/x-www-form-urlencoded`` or in the query
        string: ``status`` (the text), and optionally ``in_reply_to_status_id``,
        ``lang``, ``user_id``, ``screen_name`` and ``name``.
        """
        fields = await _form_fields(request)
        status = fields.get("status")
        if not status:
            raise MalformedRequestError("status: missing (the text of the tweet)", {"status": []})
        reply = fields.get("in_reply_to_status_id")
        reply_to = _tweet_id(reply, "in_reply_to_status_id") if reply else None
        author = _author(fields.get("user_id"), fields.get("screen_name"), fields.get("name"))
        tweet = await publish(status, author, fields.get("lang"), reply_to)
        return OrjsonResponse(tweet)

    return router


async def _form_fields(request: Request) -> dict[str, str]:
    fields = dict(request.query_params)
    body = await request.body()
    if not body:
        return fields
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type != _FORM:
        raise MalformedRequestError(f"send the fields as {_FORM}, not {content_type or 'untyped'}")
    try:
        fields.update(parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=False))
    except UnicodeDecodeError:
        raise MalformedRequestError("the form is not UTF-8") from None
    return fields


def _tweet_id(value: str, field: str = "reply.in_reply_to_tweet_id") -> int:
    if not (value.isascii() and value.isdigit() and len(value) <= 19) or not (
        0 < int(value) <= _MAX_TWEET_ID
    ):
        raise MalformedRequestError(f"{field}: {value!r} is not a tweet id", {field: [value]})
    return int(value)


def _author(user_id: str | None, screen_name: str | None, name: str | None) -> Author:
    try:
        return Author.of(user_id, screen_name, name)
    except PostedTweetError as exc:
        raise MalformedRequestError(str(exc), {exc.field: []}) from None

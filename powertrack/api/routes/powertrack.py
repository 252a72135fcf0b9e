"""PowerTrack 2.0 rules: ``/rules/powertrack/accounts/{account}/publishers/twitter/{label}.json``.

Basic authentication with the account name and one of its passwords. ``POST``
adds rules, or with ``?_method=get`` looks rules up by id and with
``?_method=delete`` deletes them: PowerTrack's clients cannot all send a body
with GET or DELETE.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.routing import APIRoute
from starlette.datastructures import MutableHeaders
from starlette.responses import Response

from powertrack.api.deps import PowerTrackStream, Service
from powertrack.api.errors import MalformedRequestError, error_response
from powertrack.api.schemas import powertrack as pt
from powertrack.api.schemas.common import PowerTrackError
from powertrack.api.service import InvalidRulesError
from powertrack.store.errors import RuleCapExceededError
from powertrack.store.models import NewRule
from powertrack.web.responses import OrjsonResponse, sent_now


class JsonBodyRoute(APIRoute):
    """A route that reads its body as JSON whatever ``Content-Type`` says.

    PowerTrack's own examples post rules with ``curl -d``, which labels the body
    ``application/x-www-form-urlencoded``; PowerTrack reads it as JSON anyway.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The FastAPI handler, with the request's content type set to JSON first."""
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            if request.method == "POST":
                MutableHeaders(scope=request.scope)["content-type"] = "application/json"
            return await handler(request)

        return handle


router = APIRouter(
    prefix="/rules/powertrack/accounts/{account}/publishers/twitter",
    tags=["PowerTrack 2.0 rules"],
    route_class=JsonBodyRoute,
)

_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}
_AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": PowerTrackError, "description": "Missing or wrong Basic credentials."},
    404: {
        "model": PowerTrackError,
        "description": "No stream with this account name and label for these credentials "
        "(also when the path names another account).",
    },
    429: {
        "model": PowerTrackError,
        "description": "More rule requests than the account's limit per minute.",
        "headers": _RETRY_AFTER,
    },
    503: {
        "model": PowerTrackError,
        "description": "The rule database is unreachable; nothing was changed.",
        "headers": _RETRY_AFTER,
    },
}
_BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "model": PowerTrackError,
        "description": "Malformed JSON, or a body not of the documented form.",
    },
    413: {"model": PowerTrackError, "description": "Request body over the size limit (5 MB)."},
}


@router.get(
    "/{label}.json",
    response_model=pt.PowerTrackListResponse,
    summary="List a stream's rules",
    responses=_AUTH_ERRORS,
)
async def list_rules(ctx: PowerTrackStream, service: Service) -> Response:
    """Every rule of the stream, oldest first."""
    rules = await service.list_rules(ctx)
    return OrjsonResponse(pt.render_rule_list(rules, sent_now()))


@router.post(
    "/{label}.json",
    status_code=201,
    response_model=pt.PowerTrackAddResponse,
    summary="Add rules; with _method=get look rules up by id; with _method=delete delete rules",
    responses={
        200: {
            "model": pt.PowerTrackListResponse | pt.PowerTrackDeleteResponse,
            "description": "The rules asked for (_method=get), or what was deleted "
            "(_method=delete).",
        },
        422: {
            "model": pt.PowerTrackAddResponse | PowerTrackError,
            "description": "A rule is invalid (each invalid rule with its errors and their "
            "positions), or the rules would exceed the account's rule limit. Nothing was added.",
        },
        **_AUTH_ERRORS,
        **_BODY_ERRORS,
    },
)
async def post_rules(
    request: Request,
    ctx: PowerTrackStream,
    service: Service,
    body: pt.PowerTrackRulesRequest,
    method: Annotated[
        Literal["get", "delete"] | None,
        Query(alias="_method", description="get: look rules up by id; delete: delete rules."),
    ] = None,
) -> Response:
    """Add rules, all or nothing; a rule whose value the stream already has is reported,
    not added again."""
    if method == "get":
        if body.rule_ids is None:
            raise MalformedRequestError(pt.GET_FORMAT_MESSAGE)
        rules = await service.list_rules(ctx, ids=body.rule_ids)
        return OrjsonResponse(pt.render_rule_list(rules, sent_now()))
    if method == "delete":
        if body.rules is None and body.rule_ids is None:
            raise MalformedRequestError(pt.DELETE_FORMAT_MESSAGE)
        values = [rule.value for rule in body.rules or ()]
        result = await service.delete(ctx, ids=body.rule_ids or (), values=values)
        return OrjsonResponse(pt.render_deleted(result, sent_now()))
    if body.rules is None:
        raise MalformedRequestError(pt.ADD_FORMAT_MESSAGE)
    rules_in = [NewRule(rule.value, rule.tag) for rule in body.rules]
    try:
        outcomes = await service.add(ctx, rules_in)
    except InvalidRulesError as exc:
        return OrjsonResponse(pt.render_rejected(exc.checks, sent_now()), status_code=422)
    except RuleCapExceededError as exc:
        return error_response(request.url.path, 422, f"{pt.RULE_CAP_MESSAGE} ({exc})")
    tags = [rule.tag for rule in rules_in]
    return OrjsonResponse(pt.render_added(outcomes, tags, sent_now()), status_code=201)


@router.post(
    "/{label}/validation.json",
    response_model=pt.PowerTrackValidationResponse,
    summary="Check rules without adding them",
    responses={**_AUTH_ERRORS, **_BODY_ERRORS},
)
async def validate_rules(
    ctx: PowerTrackStream, service: Service, body: pt.PowerTrackRulesRequest
) -> Response:
    """Whether each rule is valid, with each error and its position; nothing is added."""
    if body.rules is None:
        raise MalformedRequestError(pt.ADD_FORMAT_MESSAGE)
    checks = await service.validate(ctx, [NewRule(rule.value, rule.tag) for rule in body.rules])
    return OrjsonResponse(pt.render_validation(checks, sent_now()))

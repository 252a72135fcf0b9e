"""X API v2 filtered-stream rules: ``/2/tweets/search/stream/rules``.

A bearer token is bound to one stream, so no path names the account or stream.
The official X SDKs work against these endpoints unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any, Final

from fastapi import APIRouter, Query
from starlette.responses import Response

from powertrack.api.deps import Service, V2Stream
from powertrack.api.errors import MalformedRequestError
from powertrack.api.schemas import v2
from powertrack.api.schemas.common import V2InvalidRequest, V2Problem
from powertrack.api.service import InvalidRulesError
from powertrack.store.errors import RuleCapExceededError
from powertrack.store.models import NewRule
from powertrack.web.responses import OrjsonResponse, sent_now

router = APIRouter(prefix="/2/tweets/search/stream/rules", tags=["X API v2 filtered-stream rules"])

_RULE_ID: Final = re.compile(r"[0-9]{1,19}")
_MAX_RULE_ID: Final = (1 << 63) - 1

_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": V2InvalidRequest, "description": "Malformed JSON or an invalid parameter."},
    401: {"model": V2Problem, "description": "Missing or unknown bearer token."},
    429: {
        "model": V2Problem,
        "description": "More rule requests than the account's limit per minute.",
        "headers": _RETRY_AFTER,
    },
    503: {
        "model": V2Problem,
        "description": "The rule database is unreachable; nothing was changed.",
        "headers": _RETRY_AFTER,
    },
}


def _rule_ids(raw: Sequence[str], parameter: str) -> list[int]:
    bad = [value for value in raw if not _RULE_ID.fullmatch(value) or int(value) > _MAX_RULE_ID]
    if bad:
        raise MalformedRequestError(
            f"The `{parameter}` values must be rule ids (decimal 64-bit integers): {bad}",
            {parameter: bad},
        )
    return [int(value) for value in raw]


@router.get(
    "",
    response_model=v2.V2ListResponse,
    response_model_exclude_none=True,
    summary="List the stream's rules, a page at a time",
    responses=_ERRORS,
)
async def get_rules(
    ctx: V2Stream,
    service: Service,
    ids: Annotated[
        str | None, Query(description="Comma-separated rule ids; omit for all rules.")
    ] = None,
    max_results: Annotated[
        int, Query(ge=1, le=v2.MAX_RESULTS_LIMIT, description="Rules per page.")
    ] = v2.MAX_RESULTS_LIMIT,
    pagination_token: Annotated[
        str | None, Query(description="The `next_token` of the previous page.")
    ] = None,
) -> Response:
    """The stream's rules by id; ``meta.next_token`` is present while more remain."""
    id_list = _rule_ids([part for part in ids.split(",") if part], "ids") if ids else None
    after_id = None
    if pagination_token is not None:
        after_id = v2.decode_page_token(pagination_token)
        if after_id is None:
            raise MalformedRequestError(
                "The `pagination_token` is not one this API issued",
                {"pagination_token": [pagination_token]},
            )
    # One rule more than the page tells whether another page follows.
    rules = await service.list_rules(ctx, ids=id_list, after_id=after_id, limit=max_results + 1)
    page = rules[:max_results]
    next_token = v2.encode_page_token(page[-1].id) if len(rules) > max_results else None
    return OrjsonResponse(v2.render_page(page, next_token, sent_now()))


@router.post(
    "",
    status_code=201,
    response_model=v2.V2UpdateResponse,
    response_model_exclude_none=True,
    summary="Add or delete rules",
    responses={
        200: {
            "model": v2.V2UpdateResponse,
            "description": "Rules deleted, a dry run, or an add whose rules all existed already "
            "(each reported as DuplicateRule).",
        },
        **_ERRORS,
        400: {
            "model": v2.V2UpdateResponse | V2InvalidRequest,
            "description": "An invalid rule (UnprocessableEntity with `details`, or "
            "RuleLengthExceeded), the rule limit exceeded (RulesCapExceeded), malformed JSON or "
            "an invalid parameter. Nothing was changed.",
        },
    },
)
async def update_rules(
    ctx: V2Stream,
    service: Service,
    body: v2.V2UpdateRequest | None = None,
    dry_run: Annotated[
        bool, Query(description="Validate and report the outcome without changing anything.")
    ] = False,
    delete_all: Annotated[
        bool, Query(description="Delete every rule of the stream; send no add or delete.")
    ] = False,
) -> Response:
    """Exactly one of ``add``, ``delete`` and ``?delete_all=true``. An add is all or
    nothing: one invalid rule and none is added."""
    add = body.add if body is not None else None
    delete = body.delete if body is not None else None
    if (add is not None) + (delete is not None) + delete_all != 1:
        raise MalformedRequestError("Exactly one of add, delete or ?delete_all=true must be given")
    if delete_all:
        result = await service.delete_all(ctx, dry_run=dry_run)
        return OrjsonResponse(v2.render_deleted(result, sent_now()))
    if delete is not None:
        ids = _rule_ids(delete.ids or [], "delete.ids")
        values = delete.values or []
        if not ids and not values:
            raise MalformedRequestError("delete must list rule ids or values", {"delete": []})
        result = await service.delete(ctx, ids=ids, values=values, dry_run=dry_run)
        return OrjsonResponse(v2.render_deleted(result, sent_now()))
    if not add:
        raise MalformedRequestError("add must hold at least one rule", {"add": []})
    rules = [NewRule(rule.value, rule.tag) for rule in add]
    try:
        outcomes = await service.add(ctx, rules, dry_run=dry_run)
    except InvalidRulesError as exc:
        return OrjsonResponse(v2.render_rejected(exc.checks, sent_now()), status_code=400)
    except RuleCapExceededError as exc:
        return OrjsonResponse(v2.render_rule_cap(len(rules), str(exc), sent_now()), status_code=400)
    created = not dry_run and any(outcome.created for outcome in outcomes)
    return OrjsonResponse(
        v2.render_added(outcomes, sent_now()), status_code=201 if created else 200
    )


@router.get(
    "/counts",
    response_model=v2.V2CountsResponse,
    summary="Count the rules of the account's streams",
    responses=_ERRORS,
)
async def get_rule_counts(
    ctx: V2Stream,
    service: Service,
    rules_count_fields: Annotated[
        str | None,
        Query(
            alias="rules_count.fields",
            description="Accepted for compatibility; every field is sent.",
        ),
    ] = None,
) -> Response:
    """Rules in this stream and in each of the account's streams, with the caps."""
    counts = await service.counts(ctx)
    return OrjsonResponse(v2.render_counts(ctx, counts, sent_now()))

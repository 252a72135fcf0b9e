"""The X API v2 filtered-stream rules bodies, and their rendering.

Rule ids are strings here, as in the X API. Problem types keep the X API's
``api.twitter.com`` URIs, which clients written against it compare with.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any, Final

from pydantic import BaseModel, Field

from powertrack.api.service import RuleCheck, StreamContext, StreamCount
from powertrack.store.models import DeleteResult, RuleOutcome, StoredRule

PROBLEMS: Final = "https://api.twitter.com/2/problems/"
DUPLICATE_TYPE: Final = PROBLEMS + "duplicate-rules"
INVALID_RULES_TYPE: Final = PROBLEMS + "invalid-rules"
RULE_LENGTH_TYPE: Final = PROBLEMS + "rule-length"
RULE_CAP_TYPE: Final = PROBLEMS + "rule-cap"
INVALID_REQUEST_TYPE: Final = PROBLEMS + "invalid-request"
MAX_RESULTS_LIMIT: Final = 1000


class V2RuleIn(BaseModel):
    """A rule to add."""

    value: str = Field(description="The rule text, at most 2048 characters.")
    tag: str | None = Field(
        default=None, description="Echoed with each match; at most 255 characters."
    )


class V2DeleteIn(BaseModel):
    """Rules to delete, by id and by value."""

    ids: list[str] | None = None
    values: list[str] | None = None


class V2UpdateRequest(BaseModel):
    """Exactly one of ``add`` and ``delete`` (or neither with ``?delete_all=true``)."""

    add: list[V2RuleIn] | None = None
    delete: V2DeleteIn | None = None


class V2Rule(BaseModel):
    """A rule; ``tag`` is absent when the rule has none."""

    id: str
    value: str
    tag: str | None = None


class V2UpdateSummary(BaseModel):
    """Counts of an update: ``created``/``not_created``/``valid``/``invalid`` for an
    add, ``deleted``/``not_deleted`` for a delete."""

    created: int | None = None
    not_created: int | None = None
    valid: int | None = None
    invalid: int | None = None
    deleted: int | None = None
    not_deleted: int | None = None


class V2UpdateMeta(BaseModel):
    """When the answer was sent and what the update did."""

    sent: str
    summary: V2UpdateSummary


class V2RuleProblem(BaseModel):
    """A problem with one submitted rule (``DuplicateRule``, ``UnprocessableEntity``,
    ``RuleLengthExceeded``), a rule to delete that does not exist (``Invalid
    Request``), or the batch as a whole (``RulesCapExceeded``)."""

    title: str
    type: str
    detail: str
    value: str | None = Field(
        default=None, description="The rule text, or the id or value to delete."
    )
    id: str | None = Field(
        default=None, description="The id of the rule already there (DuplicateRule)."
    )
    details: list[str] | None = Field(default=None, description="Each problem of an invalid rule.")
    parameter: str | None = Field(
        default=None, description="``ids`` or ``values`` (Invalid Request)."
    )


class V2UpdateResponse(BaseModel):
    """The answer to ``POST /2/tweets/search/stream/rules``: ``data`` holds the rules
    created (absent when none), ``errors`` the rules not created or not deleted."""

    data: list[V2Rule] | None = None
    meta: V2UpdateMeta
    errors: list[V2RuleProblem] | None = None


class V2ListMeta(BaseModel):
    """When the page was sent, its size, and where the next page starts."""

    sent: str
    result_count: int
    next_token: str | None = None


class V2ListResponse(BaseModel):
    """One page of a stream's rules; ``data`` is absent when there are none."""

    data: list[V2Rule] | None = None
    meta: V2ListMeta


class V2ClientAppCount(BaseModel):
    """Rules of one stream (an X "client app"), named by its label."""

    client_app_id: str
    rule_count: int


class V2CountsData(BaseModel):
    """Rule counts and caps, as strings like the X API's. A stream plays the part of
    an X client app, the account that of a project."""

    cap_per_client_app: str
    cap_per_project: str
    client_app_rules_count: V2ClientAppCount
    project_rules_count: str
    all_project_client_apps: list[V2ClientAppCount]


class V2CountsResponse(BaseModel):
    """The answer to ``GET /2/tweets/search/stream/rules/counts``."""

    data: V2CountsData
    meta: dict[str, str] = Field(description="``sent``: when the answer was sent.")


def render_rule(rule: StoredRule) -> dict[str, Any]:
    """A rule as the X API writes it: id as a string, no tag key when untagged."""
    rendered = {"id": str(rule.id), "value": rule.value}
    if rule.tag is not None:
        rendered["tag"] = rule.tag
    return rendered


def _problem(title: str, type_: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"title": title, "type": type_, "detail": detail} | {
        key: value for key, value in extra.items() if value is not None
    }


def render_added(outcomes: Sequence[RuleOutcome], sent: str) -> dict[str, Any]:
    """The body of an accepted add: the rules created, and a DuplicateRule problem for
    each rule whose value the stream already had."""
    data = [render_rule(outcome.rule) for outcome in outcomes if outcome.created]
    errors = [
        _problem(
            "DuplicateRule",
            DUPLICATE_TYPE,
            "A rule with this value already exists",
            value=outcome.rule.value,
            id=str(outcome.rule.id),
        )
        for outcome in outcomes
        if not outcome.created
    ]
    summary = {
        "created": len(data),
        "not_created": len(errors),
        "valid": len(data),
        "invalid": len(errors),
    }
    body: dict[str, Any] = {"data": data} if data else {}
    body["meta"] = {"sent": sent, "summary": summary}
    if errors:
        body["errors"] = errors
    return body


def render_rejected(checks: Sequence[RuleCheck], sent: str) -> dict[str, Any]:
    """The body of a batch refused for invalid rules: one problem per invalid rule."""
    errors = []
    for check in checks:
        if check.valid:
            continue
        if check.too_long:
            title, type_ = "RuleLengthExceeded", RULE_LENGTH_TYPE
        else:
            title, type_ = "UnprocessableEntity", INVALID_RULES_TYPE
        messages = check.messages
        errors.append(_problem(title, type_, messages[0], value=check.rule.value, details=messages))
    valid = len(checks) - len(errors)
    summary = {"created": 0, "not_created": len(checks), "valid": valid, "invalid": len(errors)}
    return {"meta": {"sent": sent, "summary": summary}, "errors": errors}


def render_rule_cap(submitted: int, detail: str, sent: str) -> dict[str, Any]:
    """The body of a batch refused because the stream would exceed its rule limit."""
    summary = {"created": 0, "not_created": submitted, "valid": submitted, "invalid": 0}
    return {
        "meta": {"sent": sent, "summary": summary},
        "errors": [_problem("RulesCapExceeded", RULE_CAP_TYPE, detail)],
    }


def render_deleted(result: DeleteResult, sent: str) -> dict[str, Any]:
    """The body of a delete: the counts, and a problem for each id or value that
    matched no rule."""
    errors = [
        _problem(
            "Invalid Request",
            INVALID_REQUEST_TYPE,
            "Rule does not exist",
            parameter="ids",
            value=str(rule_id),
        )
        for rule_id in result.missing_ids
    ] + [
        _problem(
            "Invalid Request",
            INVALID_REQUEST_TYPE,
            "Rule does not exist",
            parameter="values",
            value=value,
        )
        for value in result.missing_values
    ]
    summary = {"deleted": len(result.deleted), "not_deleted": len(errors)}
    body: dict[str, Any] = {"meta": {"sent": sent, "summary": summary}}
    if errors:
        body["errors"] = errors
    return body


def render_page(rules: Sequence[StoredRule], next_token: str | None, sent: str) -> dict[str, Any]:
    """One page of rules; no ``data`` key when the page is empty, as in the X API."""
    body: dict[str, Any] = {"data": [render_rule(rule) for rule in rules]} if rules else {}
    meta: dict[str, Any] = {"sent": sent, "result_count": len(rules)}
    if next_token is not None:
        meta["next_token"] = next_token
    body["meta"] = meta
    return body


def render_counts(ctx: StreamContext, counts: Sequence[StreamCount], sent: str) -> dict[str, Any]:
    """Rule counts of the account's streams, the requesting stream first-class."""
    apps = [{"client_app_id": count.stream.label, "rule_count": count.rules} for count in counts]
    own = next(
        (app for app, count in zip(apps, counts, strict=True) if count.stream.id == ctx.stream.id),
        {"client_app_id": ctx.stream.label, "rule_count": 0},
    )
    limit = ctx.account.rule_limit
    return {
        "data": {
            "cap_per_client_app": str(limit),
            "cap_per_project": str(limit * max(1, len(counts))),
            "client_app_rules_count": own,
            "project_rules_count": str(sum(count.rules for count in counts)),
            "all_project_client_apps": apps,
        },
        "meta": {"sent": sent},
    }


def encode_page_token(last_id: int) -> str:
    """The pagination token of the page after rule ``last_id``: base32hex, as X's are."""
    return base64.b32hexencode(last_id.to_bytes(8, "big")).decode().rstrip("=").lower()


def decode_page_token(token: str) -> int | None:
    """The rule id a pagination token continues after, or None if it is not one."""
    padded = token.upper() + "=" * (-len(token) % 8)
    try:
        raw = base64.b32hexdecode(padded)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 8:
        return None
    return int.from_bytes(raw, "big")

"""The PowerTrack 2.0 rules API's request and response bodies, and their rendering.

Responses are built as plain dicts (the rule list of a stream can hold 250,000
rules) and rendered with orjson; the models document the same shapes in the
OpenAPI schema and are exercised by the tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from pydantic import BaseModel, Field

from powertrack.api.service import RuleCheck
from powertrack.store.models import DeleteResult, RuleOutcome, StoredRule

DUPLICATE_MESSAGE: Final = "A rule with this value already exists"
MISSING_MESSAGE: Final = "Rule does not exist"
RULE_CAP_MESSAGE: Final = (
    "Request exceeds account's Rule Limit. Delete rules or contact your account manager to proceed."
)

_RULES_FORMAT: Final = '{"rules":[{"value":"rule1", "tag":"tag1"}, {"value":"rule2"}]}'
_IDS_FORMAT: Final = '{"rule_ids": [rule_id1, rule_id2, rule_id3, rule_id4, rule_id5]}'
ADD_FORMAT_MESSAGE: Final = f"Invalid JSON. The body must be in the format {_RULES_FORMAT}"
GET_FORMAT_MESSAGE: Final = f"Invalid JSON. The body must be in the format {_IDS_FORMAT}"
DELETE_FORMAT_MESSAGE: Final = (
    f"Invalid JSON. The body must be in the format {_RULES_FORMAT} or {_IDS_FORMAT}"
)


class PowerTrackRuleIn(BaseModel):
    """A rule as submitted: its text and an optional tag."""

    value: str = Field(description="The rule text, at most 2048 characters.")
    tag: str | None = Field(
        default=None, description="Echoed with each match; at most 255 characters."
    )


class PowerTrackRulesRequest(BaseModel):
    """``{"rules": [...]}`` to add, validate or delete by value; ``{"rule_ids": [...]}``
    to look up (``_method=get``) or delete (``_method=delete``) by id."""

    rules: list[PowerTrackRuleIn] | None = None
    rule_ids: list[int] | None = None


class PowerTrackRule(BaseModel):
    """An active rule. ``id`` is a 64-bit integer; ``id_str`` is the same id as a string
    for languages whose numbers cannot hold it."""

    value: str
    tag: str | None
    id: int
    id_str: str


class PowerTrackSubmittedRule(BaseModel):
    """A submitted rule that was not added; ``id`` and ``id_str`` are present when it
    matches an existing rule."""

    value: str
    tag: str | None
    id: int | None = None
    id_str: str | None = None


class PowerTrackRuleError(BaseModel):
    """One problem with a rule; ``position`` (1-based, in characters) is absent for
    problems with the tag."""

    message: str
    position: int | None


class PowerTrackAddSummary(BaseModel):
    """How many submitted rules were created."""

    created: int
    not_created: int


class PowerTrackAddDetail(BaseModel):
    """What became of one submitted rule."""

    rule: PowerTrackRule | PowerTrackSubmittedRule
    created: bool
    message: str | None = Field(default=None, description="Why the rule was not created.")
    errors: list[PowerTrackRuleError] | None = Field(
        default=None, description="Each problem of an invalid rule."
    )


class PowerTrackAddResponse(BaseModel):
    """The answer to adding rules: 201 when the batch was accepted (duplicates are
    reported, not added), 422 when any rule is invalid and nothing was added."""

    summary: PowerTrackAddSummary
    detail: list[PowerTrackAddDetail]
    sent: str


class PowerTrackListResponse(BaseModel):
    """A stream's rules (all, or those asked for by id)."""

    rules: list[PowerTrackRule]
    sent: str


class PowerTrackDeleteSummary(BaseModel):
    """How many of the rules asked for were deleted."""

    deleted: int
    not_deleted: int


class PowerTrackDeleteDetail(BaseModel):
    """A rule asked for that was not deleted."""

    rule: PowerTrackSubmittedRule
    deleted: bool
    message: str


class PowerTrackDeleteResponse(BaseModel):
    """The answer to deleting rules; ``detail`` lists only the rules not deleted."""

    summary: PowerTrackDeleteSummary
    detail: list[PowerTrackDeleteDetail]
    sent: str


class PowerTrackValidationSummary(BaseModel):
    """How many submitted rules are valid."""

    valid: int
    not_valid: int


class PowerTrackValidationDetail(BaseModel):
    """Whether one submitted rule is valid, and why not."""

    rule: PowerTrackSubmittedRule
    valid: bool
    message: str | None = None
    errors: list[PowerTrackRuleError] | None = None


class PowerTrackValidationResponse(BaseModel):
    """The answer of the validation endpoint; nothing is added."""

    summary: PowerTrackValidationSummary
    detail: list[PowerTrackValidationDetail]
    sent: str


def render_rule(rule: StoredRule) -> dict[str, Any]:
    """An active rule as PowerTrack writes it."""
    return {"value": rule.value, "tag": rule.tag, "id": rule.id, "id_str": str(rule.id)}


def render_rule_list(rules: Sequence[StoredRule], sent: str) -> dict[str, Any]:
    """The body listing ``rules``."""
    return {"rules": [render_rule(rule) for rule in rules], "sent": sent}


def render_added(
    outcomes: Sequence[RuleOutcome], submitted_tags: Sequence[str | None], sent: str
) -> dict[str, Any]:
    """The body of an accepted add. A duplicate shows the tag submitted with the id of
    the rule already there, as PowerTrack does: tags are not updated."""
    detail: list[dict[str, Any]] = []
    created = 0
    for outcome, tag in zip(outcomes, submitted_tags, strict=True):
        if outcome.created:
            created += 1
            detail.append({"rule": render_rule(outcome.rule), "created": True})
        else:
            rule = render_rule(outcome.rule) | {"tag": tag}
            detail.append({"rule": rule, "created": False, "message": DUPLICATE_MESSAGE})
    return {
        "summary": {"created": created, "not_created": len(outcomes) - created},
        "detail": detail,
        "sent": sent,
    }


def _rule_errors(check: RuleCheck) -> list[dict[str, Any]]:
    return [{"message": message, "position": position} for message, position in check.errors] + [
        {"message": message, "position": None} for message in check.tag_errors
    ]


def render_rejected(checks: Sequence[RuleCheck], sent: str) -> dict[str, Any]:
    """The 422 body of a batch with invalid rules: every invalid rule with its errors."""
    detail = [
        {
            "rule": {"value": check.rule.value, "tag": check.rule.tag},
            "created": False,
            "message": "\n".join(check.messages),
            "errors": _rule_errors(check),
        }
        for check in checks
        if not check.valid
    ]
    return {"summary": {"created": 0, "not_created": len(checks)}, "detail": detail, "sent": sent}


def render_validation(checks: Sequence[RuleCheck], sent: str) -> dict[str, Any]:
    """The body of the validation endpoint."""
    detail: list[dict[str, Any]] = []
    for check in checks:
        item: dict[str, Any] = {"rule": {"value": check.rule.value, "tag": check.rule.tag}}
        if check.valid:
            item["valid"] = True
        else:
            item |= {
                "valid": False,
                "message": "\n".join(check.messages),
                "errors": _rule_errors(check),
            }
        detail.append(item)
    valid = sum(check.valid for check in checks)
    return {
        "summary": {"valid": valid, "not_valid": len(checks) - valid},
        "detail": detail,
        "sent": sent,
    }


def render_deleted(result: DeleteResult, sent: str) -> dict[str, Any]:
    """The body of a delete: the counts, and each id or value that matched no rule."""
    missing = [
        {"rule": {"value": "", "tag": None, "id": rule_id, "id_str": str(rule_id)}}
        for rule_id in result.missing_ids
    ] + [{"rule": {"value": value, "tag": None}} for value in result.missing_values]
    detail = [item | {"deleted": False, "message": MISSING_MESSAGE} for item in missing]
    return {
        "summary": {"deleted": len(result.deleted), "not_deleted": len(detail)},
        "detail": detail,
        "sent": sent,
    }

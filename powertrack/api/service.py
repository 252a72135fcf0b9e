"""What both rules API shapes do: validate, add, delete and list a stream's rules.

The PowerTrack 2.0 and X API v2 routes differ only in how requests and answers
are written; the rules, the limits and the change signal are handled here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from powertrack.api.limits import MovingWindowRateLimiter
from powertrack.coordination.protocol import RuleChangeSignal
from powertrack.rules.parser import MAX_RULE_LENGTH, compile_text, validate_tag
from powertrack.store.models import Account, DeleteResult, NewRule, RuleOutcome, StoredRule, Stream
from powertrack.store.protocol import RuleStore

__all__ = ["InvalidRulesError", "RuleCheck", "RulesService", "StreamContext", "StreamCount"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StreamContext:
    """The authenticated account and the stream a request is about."""

    account: Account
    stream: Stream


@dataclass(frozen=True, slots=True)
class RuleCheck:
    """A submitted rule and its problems: ``errors`` in the rule text as
    ``(message, position)``, ``tag_errors`` in the tag. ``rule`` carries its
    compiled form when the text is valid."""

    rule: NewRule
    errors: tuple[tuple[str, int], ...]
    tag_errors: tuple[str, ...]

    @property
    def valid(self) -> bool:
        """True when the rule may be added."""
        return not self.errors and not self.tag_errors

    @property
    def too_long(self) -> bool:
        """True when the rule text is over the length limit."""
        return len(self.rule.value) > MAX_RULE_LENGTH

    @property
    def messages(self) -> list[str]:
        """Every problem as a sentence, rule-text problems with their position."""
        return [f"{message} (at position {position})" for message, position in self.errors] + list(
            self.tag_errors
        )


@dataclass(frozen=True, slots=True)
class StreamCount:
    """How many rules one of an account's streams holds."""

    stream: Stream
    rules: int


class InvalidRulesError(Exception):
    """A batch held invalid rules, so none of it was added. ``checks`` covers every
    submitted rule, in order."""

    def __init__(self, checks: Sequence[RuleCheck]) -> None:
        invalid = sum(not check.valid for check in checks)
        super().__init__(f"{invalid} of {len(checks)} rules are invalid")
        self.checks = list(checks)


def check_rules(rules: Sequence[NewRule]) -> list[RuleCheck]:
    """Validate each rule and its tag, compiling each valid rule (parsed once)."""
    checks = []
    for rule in rules:
        errors, code = compile_text(rule.value)
        checks.append(
            RuleCheck(
                rule=NewRule(rule.value, rule.tag, code),
                errors=tuple(errors),
                tag_errors=tuple(validate_tag(rule.tag)) if rule.tag is not None else (),
            )
        )
    return checks


class RulesService:
    """Rule operations on behalf of an authenticated account.

    Every public method is one rule request: it counts against the account's
    rate limit (raising :class:`~powertrack.api.limits.RateLimitExceededError`)
    before touching the store. Store errors propagate; a write that raises has
    written nothing. Concurrent writes to one stream need no lock here: the
    store serializes them in its transaction, across API servers too.
    """

    def __init__(
        self,
        store: RuleStore,
        limiter: MovingWindowRateLimiter,
        signal: RuleChangeSignal | None = None,
    ) -> None:
        self.store = store
        self.limiter = limiter
        self.signal = signal

    def _admit(self, ctx: StreamContext) -> None:
        self.limiter.hit(ctx.account.id)

    async def _changed(self) -> None:
        if self.signal is None:
            return
        # The change is committed and filter nodes poll the rule log anyway: a
        # failed signal costs them only latency, so it must not fail the request.
        try:
            await self.signal.notify()
        except Exception:
            log.warning(
                "could not signal a rule change; filter nodes will see it by polling", exc_info=True
            )

    async def validate(self, ctx: StreamContext, rules: Sequence[NewRule]) -> list[RuleCheck]:
        """Check rules without adding them."""
        self._admit(ctx)
        return check_rules(rules)

    async def add(
        self, ctx: StreamContext, rules: Sequence[NewRule], *, dry_run: bool = False
    ) -> list[RuleOutcome]:
        """Add rules to the stream, all or nothing.

        Raises :class:`InvalidRulesError` if any rule is invalid and
        ``RuleCapExceededError`` if the stream would go over the account's rule
        limit; in both cases nothing is added. With ``dry_run`` the outcomes are
        computed and nothing is written.
        """
        self._admit(ctx)
        checks = check_rules(rules)
        if not all(check.valid for check in checks):
            raise InvalidRulesError(checks)
        outcomes = await self.store.add_rules(
            ctx.stream.id,
            [check.rule for check in checks],
            rule_limit=ctx.account.rule_limit,
            dry_run=dry_run,
        )
        if not dry_run and any(outcome.created for outcome in outcomes):
            await self._changed()
        return outcomes

    async def delete(
        self,
        ctx: StreamContext,
        *,
        ids: Sequence[int] = (),
        values: Sequence[str] = (),
        dry_run: bool = False,
    ) -> DeleteResult:
        """Delete the stream's rules with these ids and values."""
        self._admit(ctx)
        result = await self.store.delete_rules(
            ctx.stream.id, ids=ids, values=values, dry_run=dry_run
        )
        if not dry_run and result.deleted:
            await self._changed()
        return result

    async def delete_all(self, ctx: StreamContext, *, dry_run: bool = False) -> DeleteResult:
        """Delete every rule of the stream."""
        self._admit(ctx)
        result = await self.store.delete_all_rules(ctx.stream.id, dry_run=dry_run)
        if not dry_run and result.deleted:
            await self._changed()
        return result

    async def list_rules(
        self,
        ctx: StreamContext,
        *,
        ids: Sequence[int] | None = None,
        after_id: int | None = None,
        limit: int | None = None,
    ) -> list[StoredRule]:
        """The stream's rules by id ascending (see ``RuleStore.get_rules``)."""
        self._admit(ctx)
        return await self.store.get_rules(ctx.stream.id, ids=ids, after_id=after_id, limit=limit)

    async def counts(self, ctx: StreamContext) -> list[StreamCount]:
        """How many rules each of the account's streams holds."""
        self._admit(ctx)
        streams = await self.store.list_streams(ctx.account.id)
        return [StreamCount(stream, await self.store.count_rules(stream.id)) for stream in streams]

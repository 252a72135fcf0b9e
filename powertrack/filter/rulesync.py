"""Keep a filter node's RuleIndex equal to the active rules in the store.

Start-up loads a snapshot: the active rules of the node's streams together
with the ``rule_updates`` log position they correspond to, read in one
transaction. From then on only the log entries after that position are
applied, one at a time, to the live index: no rebuild, no gap (the snapshot
already holds everything up to its position) and no double apply (entries at
or before the position are skipped, adds of a rule already indexed too). A
restarted node simply takes a new snapshot; nothing needs to be persisted.

The log is polled every ``poll_interval`` seconds, and at once whenever the
optional :class:`~powertrack.coordination.protocol.RuleChangeSignal` says it
grew. While the database is unreachable the node keeps matching with the rules
it has and retries with a growing delay, capped at ``max_backoff``, so it
catches up as soon as the database returns.

Rules are indexed in a worker thread so that the event loop never waits on a
large batch; the index lets matching go on meanwhile. A rule stored with its
compiled form (``code``, rules.codec) is loaded from that, without the
grammar; one without it, or of a format version this build does not read, is
parsed from its text. A snapshot's compiled rules are indexed in one
``add_many`` call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
from collections.abc import Collection, Iterable, Sequence
from typing import NamedTuple

from powertrack.aio import cancel_and_wait
from powertrack.coordination.protocol import RuleChangeSignal
from powertrack.index.index import RuleIndex
from powertrack.rules.codec import RuleCodeError
from powertrack.rules.errors import RuleSyntaxError
from powertrack.store.errors import StoreUnavailableError
from powertrack.store.models import RuleUpdate, StoredRule
from powertrack.store.protocol import RuleStore

__all__ = ["RuleInfo", "RuleSync"]

logger = logging.getLogger(__name__)

# When a snapshot's compiled forms cannot all be read at once, they are read
# again in batches of this many (see RuleSync._add_compiled).
_LOAD_BATCH = 20_000


class RuleInfo(NamedTuple):
    """What a match needs besides the rule id: whose stream it is and the rule's tag."""

    stream_id: int
    tag: str | None


class RuleSync:
    """Load a snapshot of the rules of ``stream_ids`` (all streams when None) into
    ``index``, keyed by rule id, then follow the rule log.

    ``page_size`` bounds the log entries read per query; a poll reads pages
    until the log is drained. The signal, if any, is started and stopped by
    the caller (it may be shared).
    """

    def __init__(
        self,
        store: RuleStore,
        index: RuleIndex[int],
        stream_ids: Collection[int] | None = None,
        *,
        signal: RuleChangeSignal | None = None,
        poll_interval: float = 0.25,
        max_backoff: float = 5.0,
        page_size: int = 10_000,
    ) -> None:
        if poll_interval <= 0 or max_backoff <= 0 or page_size <= 0:
            raise ValueError("poll_interval, max_backoff and page_size must be positive")
        self._store = store
        self._index = index
        self._stream_ids = None if stream_ids is None else frozenset(stream_ids)
        self._signal = signal
        self._poll_interval = poll_interval
        self._max_backoff = max_backoff
        self._page_size = page_size
        self._position = -1
        self._info: dict[int, RuleInfo] = {}
        # Applying runs in worker threads; one batch at a time, in log order.
        self._apply_lock = threading.Lock()
        self._poll_lock = asyncio.Lock()
        self._advanced = asyncio.Event()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def position(self) -> int:
        """The log position the index reflects (-1 before :meth:`start`)."""
        return self._position

    @property
    def stream_ids(self) -> frozenset[int] | None:
        """The streams followed, or None for all."""
        return self._stream_ids

    def rule_info(self, rule_id: int) -> RuleInfo | None:
        """The stream and tag of an indexed rule.

        None for a rule no longer indexed: a match computed while the rule was
        being deleted may still name it, and should then be dropped.
        """
        return self._info.get(rule_id)

    async def start(self) -> None:
        """Load the snapshot, then follow the log in the background.

        Raises ``StoreUnavailableError`` if the snapshot cannot be read: with
        no rules at all there is nothing to keep matching with, so the caller
        decides whether to wait for the database.
        """
        if self._tasks:
            return
        snapshot = await self._store.snapshot(self._stream_ids)
        await asyncio.to_thread(self._load, snapshot.rules, snapshot.position)
        self._advance()
        logger.info("Loaded %d rules at log position %d", len(self._info), snapshot.position)
        self._wake.clear()
        self._tasks.append(asyncio.create_task(self._follow(), name="rulesync-poll"))
        if self._signal is not None:
            self._tasks.append(asyncio.create_task(self._listen(), name="rulesync-signal"))

    async def stop(self) -> None:
        """Stop following the log. The index keeps the rules it has."""
        tasks, self._tasks = self._tasks, []
        await cancel_and_wait(*tasks)

    async def poll_once(self) -> int:
        """Apply the log entries after :attr:`position`; return how many were applied.

        An entry counts even when it changes nothing (the add of a rule already
        indexed, the delete of a rule not indexed); one at or before the
        position, should the store hand it out again, is skipped and not
        counted. ``StoreUnavailableError`` propagates; entries applied before
        it are kept.
        """
        async with self._poll_lock:
            applied = 0
            while True:
                updates = await self._store.updates_since(
                    self._position, self._stream_ids, limit=self._page_size
                )
                if not updates:
                    return applied
                before = self._position
                applied += await asyncio.to_thread(self._apply, updates)
                self._advance()
                if len(updates) < self._page_size or self._position == before:
                    return applied

    async def wait_for_position(self, position: int, timeout: float | None = None) -> None:
        """Return once :attr:`position` is at least ``position``; ``TimeoutError`` after
        ``timeout`` seconds."""
        async with asyncio.timeout(timeout):
            while self._position < position:
                # Events are replaced, not cleared, on each advance: every
                # waiter of the old one wakes.
                await self._advanced.wait()

    def _load(self, rules: Sequence[StoredRule], position: int) -> None:
        with self._apply_lock:
            wanted = {rule.id for rule in rules}
            for rule_id in [rule_id for rule_id in self._index if rule_id not in wanted]:
                self._remove(rule_id)
            fresh = [rule for rule in rules if rule.id not in self._index]
            for rule in rules:
                self._info[rule.id] = RuleInfo(rule.stream_id, rule.tag)
            compiled = [rule for rule in fresh if rule.code is not None]
            self._add_compiled(compiled)
            for rule in fresh:
                if rule.code is None:
                    self._add(rule.id, rule.stream_id, rule.value, rule.tag, None)
            self._position = position
            logger.info(
                "Indexed %d new rules: %d stored with compiled forms, %d parsed from text",
                len(fresh),
                len(compiled),
                len(fresh) - len(compiled),
            )

    def _add_compiled(self, rules: Sequence[StoredRule]) -> None:
        # All at once, so the index builds one segment for them. A form this
        # build cannot read (another version, damaged) fails the call: then in
        # batches of _LOAD_BATCH, and rule by rule within a failing batch, each
        # rule falling back to its text.
        try:
            self._index.add_many([(rule.id, rule.code) for rule in rules if rule.code])
        except Exception:
            if len(rules) > _LOAD_BATCH:
                for start in range(0, len(rules), _LOAD_BATCH):
                    self._add_compiled(rules[start : start + _LOAD_BATCH])
            else:
                for rule in rules:
                    self._add(rule.id, rule.stream_id, rule.value, rule.tag, rule.code)

    def _apply(self, updates: Iterable[RuleUpdate]) -> int:
        applied = 0
        with self._apply_lock:
            for update in updates:
                # A replay of what the snapshot or an earlier poll already holds.
                if update.position <= self._position:
                    continue
                if update.op == "add":
                    self._add(
                        update.rule_id, update.stream_id, update.value, update.tag, update.code
                    )
                else:
                    self._remove(update.rule_id)
                self._position = update.position
                applied += 1
        return applied

    def _add(
        self, rule_id: int, stream_id: int, value: str, tag: str | None, code: bytes | None
    ) -> None:
        # Rule ids are never reused and a rule never changes: one indexed
        # under this id is this rule.
        # The info goes in first so that any id the index can return has it.
        self._info[rule_id] = RuleInfo(stream_id, tag)
        if rule_id in self._index:
            return
        try:
            if code is not None:
                try:
                    self._index.add(rule_id, code)
                    return
                except RuleCodeError as exc:
                    logger.info("Parsing rule %d from its text: %s", rule_id, exc)
            self._index.add(rule_id, value)
        except RuleSyntaxError as exc:
            # Stored rules were valid when added; the grammar may have changed since.
            del self._info[rule_id]
            logger.warning("Skipping rule %d of stream %d: %s", rule_id, stream_id, exc)
        except Exception:
            # One rule must not stop the node from following the log.
            del self._info[rule_id]
            logger.exception("Could not index rule %d of stream %d", rule_id, stream_id)

    def _maintain(self) -> None:
        # Key-frequency learning and re-posting are the writer's work, done
        # between polls; matches read the index meanwhile.
        with self._apply_lock:
            moved = self._index.maintain()
        if moved:
            logger.debug("Index maintenance re-posted %d rules", moved)

    def _remove(self, rule_id: int) -> None:
        self._index.discard(rule_id)
        self._info.pop(rule_id, None)

    def _advance(self) -> None:
        advanced, self._advanced = self._advanced, asyncio.Event()
        advanced.set()

    async def _follow(self) -> None:
        failures = 0
        delay = self._poll_interval
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.poll_once()
            except StoreUnavailableError as exc:
                failures += 1
                if failures == 1:
                    logger.warning(
                        "Rule store unavailable, matching with the rules at log position %d "
                        "until it is back: %s",
                        self._position,
                        exc,
                    )
            except Exception:
                failures += 1
                logger.exception("Could not apply rule updates after position %d", self._position)
            else:
                if failures:
                    logger.info(
                        "Rule store back after %d failed polls; at log position %d",
                        failures,
                        self._position,
                    )
                failures = 0
            try:
                await asyncio.to_thread(self._maintain)
            except Exception:
                logger.exception("Index maintenance failed; matching goes on unchanged")
            delay = self._delay(failures)

    def _delay(self, failures: int) -> float:
        if not failures:
            return self._poll_interval
        # Jittered, so that many nodes do not return to a recovering database
        # in step.
        backoff = min(self._max_backoff, self._poll_interval * 2.0 ** min(failures, 32))
        return backoff * random.uniform(0.5, 1.0)

    async def _listen(self) -> None:
        assert self._signal is not None
        try:
            async for _ in self._signal.changes():
                self._wake.set()
        except Exception:
            logger.exception("The rule-change signal failed; following the log by polling alone")

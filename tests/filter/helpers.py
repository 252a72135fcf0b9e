"""A rule store with one account and two streams, for driving a RuleSync."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Collection
from pathlib import Path

from powertrack import Tweet
from powertrack.rules.parser import compile_text
from powertrack.store import (
    NewRule,
    RuleStore,
    RuleUpdate,
    Snapshot,
    SQLiteRuleStore,
    StoreUnavailableError,
)


def tweet(text: str) -> Tweet:
    return Tweet.from_json(
        {"id_str": "1", "text": text, "user": {"id_str": "2", "screen_name": "nasa"}, "lang": "en"}
    )


class Rules:
    """Writes rules the way the API does, through the store."""

    def __init__(self, store: RuleStore, stream: int, other: int) -> None:
        self.store = store
        self.stream = stream
        self.other = other

    async def add(
        self,
        value: str,
        tag: str | None = None,
        *,
        stream: int | None = None,
        code: bytes | None = None,
        compiled: bool = True,
    ) -> int:
        """Add a rule, with its compiled form as the API stores it (``code`` to
        store another one; ``compiled=False`` to store none, as older rows)."""
        stream = self.stream if stream is None else stream
        if code is None and compiled:
            code = compile_text(value)[1]
        [outcome] = await self.store.add_rules(stream, [NewRule(value, tag, code)], rule_limit=1000)
        return outcome.rule.id

    async def delete(self, rule_id: int, *, stream: int | None = None) -> None:
        stream = self.stream if stream is None else stream
        result = await self.store.delete_rules(stream, ids=[rule_id])
        assert len(result.deleted) == 1

    async def position(self) -> int:
        """The log position of the last change."""
        return (await self.store.snapshot()).position


@contextlib.asynccontextmanager
async def rules_in(store: RuleStore) -> AsyncIterator[Rules]:
    await store.migrate()
    try:
        account = await store.create_account("acme", connection_limit=2)
        stream = await store.create_stream(account.id, "prod")
        other = await store.create_stream(account.id, "dev")
        yield Rules(store, stream.id, other.id)
    finally:
        await store.close()


class FlakyStore(SQLiteRuleStore):
    """A SQLite store whose log reads fail with StoreUnavailableError while ``down``."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.down = False
        self.failed_reads = 0

    def _check(self) -> None:
        if self.down:
            self.failed_reads += 1
            raise StoreUnavailableError("database is down (test)")

    async def snapshot(self, stream_ids: Collection[int] | None = None) -> Snapshot:
        self._check()
        return await super().snapshot(stream_ids)

    async def updates_since(
        self, position: int, stream_ids: Collection[int] | None = None, *, limit: int = 10_000
    ) -> list[RuleUpdate]:
        self._check()
        return await super().updates_since(position, stream_ids, limit=limit)


class ReplayingStore(SQLiteRuleStore):
    """A SQLite store that answers every log read with the log's first entry, again."""

    async def updates_since(
        self, position: int, stream_ids: Collection[int] | None = None, *, limit: int = 10_000
    ) -> list[RuleUpdate]:
        return await super().updates_since(-1, stream_ids, limit=1)

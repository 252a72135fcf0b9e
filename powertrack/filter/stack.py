"""The streams of one stack, their topics for one side, and their live rules.

A stack's set of streams changes when an account is moved to another stack
or a stream is created. Each new set gets a new index, loaded and kept live by
its own :class:`RuleSync`; the node matches with the old set until the new
one is loaded, then swaps. Rebuilding is rare and simpler than teaching one
index to take in and drop whole streams.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from powertrack.broker.errors import BrokerError, TopicNameError
from powertrack.broker.protocol import Broker, TopicSpec
from powertrack.broker.topics import Side, match_topic
from powertrack.coordination.protocol import RuleChangeSignal
from powertrack.filter.rulesync import RuleSync
from powertrack.index.index import RuleIndex
from powertrack.store.errors import StoreUnavailableError
from powertrack.store.protocol import RuleStore

__all__ = ["StackRules", "StackView", "settle_heap"]

logger = logging.getLogger(__name__)


def settle_heap() -> None:
    """Keep what is alive now (the rules just loaded) out of the cyclic collector.

    A node's rule index is millions of objects that live as long as the node.
    Left to the collector, each of its full passes walks them all, about
    200 ms at 100k rules, in the middle of matching. Called once, after the
    first load; rules added later are a small part.
    """
    gc.collect()
    gc.freeze()


@dataclass(frozen=True, slots=True)
class StackView:
    """One set of the stack's streams: the index of their rules, the RuleSync
    that keeps it live, and each stream's topic."""

    index: RuleIndex[int]
    sync: RuleSync
    topics: dict[int, str]
    """Stream id to the stream's topic for the side."""
    accounts: dict[int, int] = field(default_factory=dict)
    """Stream id to the id of the stream's account."""

    @property
    def account_ids(self) -> frozenset[int]:
        """The accounts whose streams the view matches."""
        return frozenset(self.accounts.values())


class StackRules:
    """Follows which streams belong to ``stack`` and keeps :attr:`view` matching them.

    Topics are created (``partitions`` each) before a view that publishes to
    them is made current.
    """

    def __init__(
        self,
        store: RuleStore,
        broker: Broker,
        side: Side,
        stack: str,
        *,
        signal: RuleChangeSignal | None = None,
        rule_poll_interval: float = 0.25,
        partitions: int = 1,
        replication_factor: int = 1,
    ) -> None:
        self._store = store
        self._broker = broker
        self._side = side
        self._stack = stack
        self._signal = signal
        self._rule_poll_interval = rule_poll_interval
        self._partitions = partitions
        self._replication_factor = replication_factor
        self._view: StackView | None = None
        self._account_names: dict[int, str] = {}
        self._topics_made: set[str] = set()

    @property
    def view(self) -> StackView:
        """The current streams and rules; :meth:`refresh` must have succeeded once."""
        if self._view is None:
            raise RuntimeError("refresh() the stack's rules first")
        return self._view

    async def refresh(self) -> bool:
        """Look at the stack's streams; load a new view if they changed. Return whether
        they did."""
        view = await self.load()
        if view is None:
            return False
        await self.swap(view)
        return True

    async def load(self) -> StackView | None:
        """Look at the stack's streams; if they changed, load and return a view of them
        (its rules live, its topics created) without making it current."""
        streams = await self._store.list_streams(stack=self._stack)
        wanted: dict[int, str] = {}
        accounts: dict[int, int] = {}
        for stream in streams:
            name = await self._account_name(stream.account_id)
            try:
                wanted[stream.id] = match_topic(self._side, name, stream.label)
            except TopicNameError as exc:
                logger.error("Stream %d is not matched, it has no topic: %s", stream.id, exc)
                continue
            accounts[stream.id] = stream.account_id
        if self._view is not None and wanted == self._view.topics:
            return None
        await self.ensure_topics(wanted.values())
        index: RuleIndex[int] = RuleIndex()
        sync = RuleSync(
            self._store,
            index,
            wanted,
            signal=self._signal,
            poll_interval=self._rule_poll_interval,
        )
        await sync.start()
        return StackView(index, sync, wanted, accounts)

    async def swap(self, view: StackView) -> None:
        """Make ``view`` (from :meth:`load`) current and stop the one it replaces."""
        old, self._view = self._view, view
        logger.info(
            "Stack %s side %s: matching %d streams", self._stack, self._side, len(view.topics)
        )
        if old is not None:
            await old.sync.stop()

    async def follow(self, interval: float) -> None:
        """:meth:`refresh` every ``interval`` seconds until cancelled."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.refresh()
            except (StoreUnavailableError, BrokerError) as exc:
                # The current view goes on matching until the next look succeeds.
                logger.warning("Could not refresh the streams of stack %s: %s", self._stack, exc)

    async def stop(self) -> None:
        """Stop following the rule log; the last view keeps its rules."""
        if self._view is not None:
            await self._view.sync.stop()

    async def ensure_topics(self, names: Iterable[str]) -> None:
        """Create those of ``names`` this object has not made sure of yet."""
        missing = sorted(set(names) - self._topics_made)
        if not missing:
            return
        await self._broker.ensure_topics(
            [TopicSpec(name, self._partitions, self._replication_factor) for name in missing]
        )
        self._topics_made.update(missing)

    async def _account_name(self, account_id: int) -> str:
        # Account names never change, so they are read once.
        name = self._account_names.get(account_id)
        if name is None:
            name = (await self._store.get_account_by_id(account_id)).name
            self._account_names[account_id] = name
        return name

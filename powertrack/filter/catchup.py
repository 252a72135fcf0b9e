"""A node's part in handing moved accounts over: cuts, starts and catch-ups.

A catch-up matches a range of one firehose partition again for one account.

The reader belongs to no consumer group: it neither joins the stack's group
(which would take partitions from the main loop) nor commits anything. Its
progress is not recorded; a catch-up that does not finish is run again from
its first offset (filter/handoff.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from typing import Any

from powertrack.broker.clients import kafka_reader
from powertrack.broker.producer import Producer
from powertrack.broker.reader import Reader, TopicPartition
from powertrack.filter.config import FilterConfig, FilterCounters
from powertrack.filter.handoff import Handoff, start_offset
from powertrack.filter.publisher import publish_all
from powertrack.filter.records import Publish, match_publishes, match_streams, parse_tweet
from powertrack.filter.stack import StackView
from powertrack.store.errors import StoreError
from powertrack.store.models import MovePartition, StackMove
from powertrack.store.protocol import RuleStore
from powertrack.tweets.errors import TweetFormatError

__all__ = ["HandoffRunner", "read_range"]

logger = logging.getLogger(__name__)

_STORE_RETRY_S = 1.0


class HandoffRunner:
    """Records one node's cuts and starts and runs its catch-ups, at most one per
    (move, partition).

    ``producer`` returns the node's started producer; ``view`` returns the stack's
    current view, whose rules a catch-up matches with. ``cut_offset(p, first)``
    flushes and commits ``p`` and returns the first offset of it the node has
    not matched (``first`` if it has matched none since it was assigned ``p``),
    or None if some publish is still unacknowledged. ``position(p)`` is at least
    the next offset of ``p`` the node's main loop will match.
    """

    def __init__(
        self,
        config: FilterConfig,
        bootstrap: str,
        store: RuleStore,
        handoff: Handoff,
        producer: Callable[[], Producer | None],
        view: Callable[[], StackView],
        counters: FilterCounters,
        cut_offset: Callable[[int, int | None], Awaitable[int | None]],
        position: Callable[[int], Awaitable[int]],
    ) -> None:
        self._config = config
        self._bootstrap = bootstrap
        self._store = store
        self._handoff = handoff
        self._producer = producer
        self._view = view
        self._counters = counters
        self._cut_offset = cut_offset
        self._position = position
        self._running: dict[tuple[int, int], asyncio.Task[None]] = {}

    async def hand_over(self, partition: int, first: int | None) -> bool:
        """Record what the node owes the handoffs on ``partition`` before it matches it
        from offset ``first`` (None: between batches); False if it cannot yet."""
        handoff, side = self._handoff, self._config.side
        present = self._view().account_ids
        due = handoff.cuts_due(partition, present)
        if due:
            cut = await self._cut_offset(partition, first)
            if cut is None:
                return first is None
            for move in due:
                recorded = await self._store.record_cut(move.id, side, partition, cut)
                handoff.learn(move.id, MovePartition(side, partition, recorded, None, False))
        for move, cut in handoff.starts_due(partition, present):
            if first is None:
                first = await self._position(partition)
            start = start_offset(cut, first)
            handoff.learn(move.id, await self._store.record_start(move.id, side, partition, start))
        for move, progress in handoff.catchups_due(partition, present):
            self.ensure(move, progress)
        return True

    def ensure(self, move: StackMove, progress: MovePartition) -> None:
        """Run the catch-up of ``progress.partition`` unless it is running."""
        key = (move.id, progress.partition)
        if key in self._running:
            return
        task = asyncio.create_task(self._run(move, progress), name="filter-catchup")
        self._running[key] = task
        task.add_done_callback(lambda done: self._done(key, done))

    async def finish(self, partitions: Collection[int] | None = None) -> None:
        """Wait for the catch-ups of ``partitions`` (all when None), cancelling those
        still running after the flush timeout."""
        tasks = [
            task
            for (_, partition), task in self._running.items()
            if partitions is None or partition in partitions
        ]
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=self._config.flush_timeout)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    def _done(self, key: tuple[int, int], task: asyncio.Task[None]) -> None:
        self._running.pop(key, None)
        if not task.cancelled() and task.exception() is not None:
            # Left not done in the store: the next hand-over runs it again.
            logger.warning("Catch-up of move %d on firehose %d failed: %r", *key, task.exception())

    async def _run(self, move: StackMove, progress: MovePartition) -> None:
        partition, start = progress.partition, progress.start
        if start is None:
            return
        logger.info(
            "Catching up account %d on firehose %d, offsets %d to %d",
            move.account_id,
            partition,
            progress.cut,
            start,
        )
        async for records in read_range(
            self._bootstrap,
            self._config.firehose_topic,
            partition,
            progress.cut,
            start,
            client_id=f"{self._config.client_id}-catchup",
            max_batch=self._config.max_batch,
        ):
            rules = self._view()
            publishes = [p for r in records for p in _publishes(rules, r, move.account_id)]
            await self._publish(publishes)
        while True:
            try:
                await self._store.finish_catchup(move.id, self._config.side, partition)
                break
            except StoreError as exc:
                logger.warning("Could not record a finished catch-up, retrying: %s", exc)
                await asyncio.sleep(_STORE_RETRY_S)
        self._handoff.learn(move.id, dataclasses.replace(progress, catchup_done=True))

    async def _publish(self, publishes: list[Publish]) -> None:
        # Every publish is acknowledged before the catch-up is recorded done.
        self._counters.matches += len(publishes)
        while publishes:
            producer = self._producer()
            if producer is None:
                raise RuntimeError("the node's producer is not started")
            failed = await publish_all(producer, publishes)
            self._counters.published += len(publishes) - len(failed)
            self._counters.publish_retries += len(failed)
            if failed:
                await asyncio.sleep(min(self._config.max_retry_delay, 0.5))
            publishes = failed


def _publishes(rules: StackView, record: Any, account: int) -> list[Publish]:
    try:
        document, tweet = parse_tweet(record.value)
    except TweetFormatError:
        # The main loop sent it to the dead letters when it first read it.
        return []
    by_stream = {
        stream: matched
        for stream, matched in match_streams(rules, tweet).items()
        if rules.accounts.get(stream) == account
    }
    # Marked: these reach the topic after newer matches of the same partition.
    return match_publishes(rules, record, document, tweet, by_stream, catch_up=True)


async def read_range(
    bootstrap: str,
    topic: str,
    partition: int,
    first: int,
    end: int,
    *,
    client_id: str,
    max_batch: int = 500,
    reader: Reader | None = None,
) -> AsyncIterator[list[Any]]:
    """Yield the records of ``topic``'s ``partition`` at offsets ``[first, end)``,
    in offset order, a batch at a time, read with ``reader`` (default: a
    :class:`KafkaReader` of ``bootstrap``), which is started and stopped here."""
    if first >= end:
        return
    consumer = reader or kafka_reader(bootstrap, client_id=client_id, max_poll_records=max_batch)
    await consumer.start()
    try:
        tp = TopicPartition(topic, partition)
        consumer.assign([tp])
        consumer.seek(tp, first)
        while True:
            batch = await consumer.getmany(tp, timeout_ms=500)
            records = [r for r in batch.get(tp, []) if r.offset < end]
            if records:
                yield records
            # A position at or past the end, not the last record seen, ends the
            # range: offsets may be missing (compaction, transaction markers).
            if await consumer.position(tp) >= end:
                return
    finally:
        await consumer.stop()

"""A filter node: firehose topic -> match -> per-customer topics, at least once.

A node of side S and stack K consumes the firehose in the consumer group
``powertrack.S.K``: the nodes of one side and stack share the firehose
partitions, and each side and stack sees every tweet once. Every tweet is
matched against the rules of the stack's streams and published, once per
matching stream, to that stream's topic for the side.

Delivery is at least once. The order, and why:

1. A batch is read from the firehose; each message is parsed and matched,
   and the offset tracker is told how many acknowledgements the message
   awaits. Then the batch's records go to the publisher
   (filter/publisher.py), which sends them in one batch per topic partition.
2. Acknowledgements arrive per batch and in any order; the tracker turns them
   into the highest offset per partition with every earlier publish
   acknowledged.
3. Only that offset is committed, after the batch and at most every
   ``commit_interval`` seconds. A node killed at any point therefore restarts
   from an offset whose matches are all stored: it repeats work (duplicates,
   which a consumer drops by tweet id), it never skips a match.
4. On a rebalance the revoked partitions' in-flight publishes are awaited
   (producer flush) and what is done is committed, before another node takes
   them over, so it repeats as little as possible.
5. On stop: stop fetching, flush the producer (every in-flight send is
   acknowledged or has failed), commit, leave the group, close.

A message that is not a tweet goes to the dead-letter topic with the error in
its headers; it is counted and the node goes on. A batch that fails after
the producer's own retries is sent again, whole, with a growing delay, until
it is acknowledged or the node stops: its offsets are not committed meanwhile.

With ``metrics`` the node also counts into Prometheus (powertrack/metrics.py).

The node never needs idempotent producers, transactions or
``offsets_for_times``: the embedded broker has none of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from powertrack.aio import cancel_and_wait
from powertrack.broker.clients import kafka_group_consumer, kafka_producer
from powertrack.broker.errors import BrokerError
from powertrack.broker.group import (
    CommitError,
    GroupConsumer,
    OnAssigned,
    OnRevoked,
)
from powertrack.broker.producer import Producer
from powertrack.broker.protocol import Broker
from powertrack.broker.reader import TopicPartition
from powertrack.coordination.protocol import RuleChangeSignal
from powertrack.filter.catchup import HandoffRunner
from powertrack.filter.config import FilterConfig, FilterCounters
from powertrack.filter.handoff import Handoff
from powertrack.filter.offsets import OffsetTracker
from powertrack.filter.publisher import Publisher
from powertrack.filter.records import Publish, match_publishes, match_streams, parse_tweet
from powertrack.filter.stack import StackRules, StackView, settle_heap
from powertrack.index.index import log_implementation
from powertrack.matches import dead_letter_headers
from powertrack.metrics import Metrics, NodeMetrics
from powertrack.store.errors import StoreError
from powertrack.store.protocol import RuleStore
from powertrack.tweets.errors import TweetFormatError

__all__ = ["FilterConfig", "FilterCounters", "FilterNode"]

logger = logging.getLogger(__name__)

# Tweets matched between two yields to the event loop: a few milliseconds.
_YIELD_EVERY = 50

# The consumer's records and partitions, untyped.
_Record = Any
_Batch = dict[Any, list[Any]]


class FilterNode:
    """Consumes the firehose, matches and publishes; see the module docstring.

    ``broker`` must be started. ``signal``, if given, is started and stopped by
    the caller; it wakes the rule log followers when rules change.
    ``producer`` (unstarted; the node starts and stops it) replaces the
    aiokafka producer made for ``broker``, and ``consumers`` (given the
    node's revoke and assign callbacks) the aiokafka group consumer: a memory
    producer and consumer run a node without a broker.
    """

    def __init__(
        self,
        config: FilterConfig,
        store: RuleStore,
        broker: Broker,
        signal: RuleChangeSignal | None = None,
        metrics: Metrics | None = None,
        producer: Producer | None = None,
        consumers: Callable[[OnRevoked, OnAssigned], GroupConsumer] | None = None,
    ) -> None:
        self.config = config
        self.counters = FilterCounters()
        self.metrics = NodeMetrics(metrics, config.side, config.stack)
        self._broker = broker
        self._store = store
        self._handoff = Handoff(config.side, config.stack)
        # Partitions whose handoff state was read since they were assigned.
        self._checked: set[int] = set()
        self._stack = StackRules(
            store,
            broker,
            config.side,
            config.stack,
            signal=signal,
            rule_poll_interval=config.rule_poll_interval,
            partitions=config.match_partitions,
            replication_factor=config.replication_factor,
        )
        self._tracker: OffsetTracker[int] = OffsetTracker()
        self._consumer: Any = None
        self._consumers = consumers
        self._producer: Producer | None = producer
        self._publisher: Publisher | None = None
        # Held while a batch is handed to the producer, so that a revoke never
        # commits around a message that is read but not yet published.
        self._batch_lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._acked = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._last_commit = time.monotonic()
        self._runner = HandoffRunner(
            config,
            broker.bootstrap_servers,
            store,
            self._handoff,
            lambda: self._producer,
            lambda: self._stack.view,
            self.counters,
            self._cut_offset,
            self._position,
        )

    @property
    def stream_ids(self) -> frozenset[int]:
        """The streams whose rules the node matches now."""
        return frozenset(self._stack.view.topics)

    @property
    def assignment(self) -> frozenset[int]:
        """The firehose partitions the node reads now."""
        if self._consumer is None:
            return frozenset()
        return frozenset(tp.partition for tp in self._consumer.assignment())

    # lifecycle

    async def start(self) -> None:
        """Load the stack's rules, create its topics, connect and join the group."""
        log_implementation(logger)
        await self._stack.refresh()
        settle_heap()
        await self._read_moves()
        await self._stack.ensure_topics([self.config.dead_letters])
        client_id = f"{self.config.client_id}-{self.config.side}-{self.config.stack}"
        if self._producer is None:
            self._producer = kafka_producer(
                self._broker.bootstrap_servers,
                client_id=client_id,
                idempotent=self._broker.capabilities.idempotent_producer,
            )
        await self._producer.start()
        self._publisher = Publisher(
            self._producer,
            self._tracker,
            self.config,
            self.counters,
            self.metrics,
            self._acked.set,
        )
        if self._consumers is None:
            self._consumer = kafka_group_consumer(
                self._broker.bootstrap_servers,
                self.config.firehose_topic,
                self.config.group,
                on_revoked=self._revoked,
                on_assigned=self._assigned,
                client_id=client_id,
                max_poll_records=self.config.max_batch,
                fetch_max_wait_ms=self.config.fetch_max_wait_ms,
                session_timeout_ms=self.config.session_timeout_ms,
                heartbeat_interval_ms=self.config.heartbeat_interval_ms,
            )
        else:
            self._consumer = self._consumers(self._revoked, self._assigned)
        try:
            await self._consumer.start()
        except BaseException:
            await self._producer.stop()
            raise
        self._spawn(self._follow(), "filter-streams")
        view, topic = (lambda: self._stack.view), self.config.firehose_topic
        self._spawn(self.metrics.sample(self._consumer, topic, view, self._store), "metrics")
        logger.info(
            "Filter node side %s stack %s: %s as group %s",
            self.config.side,
            self.config.stack,
            self.config.firehose_topic,
            self.config.group,
        )

    async def run(self) -> None:
        """Consume, match and publish until :meth:`stop`, then drain, flush, commit, close."""
        if self._consumer is None:
            raise RuntimeError("start() the node before run()")
        try:
            while not self._stopping.is_set():
                batch = await self._next_batch()
                if batch:
                    async with self._batch_lock:
                        await self._handle_batch(batch)
                await self._wait_for_room()
                if time.monotonic() - self._last_commit >= self.config.commit_interval:
                    await self._commit()
        finally:
            await self._shutdown()

    def stop(self) -> None:
        """Ask the node to stop; :meth:`run` then shuts down and returns.

        Only sets a flag: safe to call from a signal handler.
        """
        self._stopping.set()

    async def _next_batch(self) -> _Batch:
        fetch = asyncio.ensure_future(self._consumer.getmany(timeout_ms=500))
        stopping = asyncio.ensure_future(self._stopping.wait())
        await asyncio.wait([fetch, stopping], return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not fetch.done():
            # Records not yet returned are not consumed: the group's next
            # reader of the partition fetches them again.
            await cancel_and_wait(fetch)
            return {}
        batch: _Batch = fetch.result()
        return batch

    async def _shutdown(self) -> None:
        await cancel_and_wait(*self._tasks)
        # A catch-up cut short is run again, from its start, by the next owner.
        await self._runner.finish()
        try:
            # Flush, then commit: a commit may only cover acknowledged publishes.
            if self._publisher is not None:
                await self._flush()
                await self._commit()
                await self._publisher.close()
        finally:
            if self._consumer is not None:
                await self._consumer.stop()
            if self._producer is not None:
                await self._producer.stop()
            await self._stack.stop()
        logger.info("Filter node stopped: %s", self.counters)

    def _spawn(self, coroutine: Any, name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # the stack's streams and the handoff of moved accounts (filter/handoff.py)

    async def _follow(self) -> None:
        while True:
            await asyncio.sleep(self.config.streams_interval)
            try:
                await self._refresh()
            except (StoreError, BrokerError) as exc:
                # The current view goes on matching until the next look succeeds.
                logger.warning("Could not refresh stack %s: %s", self.config.stack, exc)

    async def _refresh(self) -> None:
        # Streams before moves: a stream seen moved has its move visible too.
        view = await self._stack.load()
        try:
            moves = await self._store.list_moves(stack=self.config.stack, latest=True)
            async with self._batch_lock:
                self._handoff.update(moves)
                if view is not None:
                    # Safe at once: a partition's cut is recorded before any of
                    # its records is matched with a view that lacks the account.
                    await self._stack.swap(view)
                    view = None
                for partition in self.assignment:
                    await self._runner.hand_over(partition, None)
        finally:
            if view is not None:
                await view.sync.stop()

    async def _read_moves(self) -> None:
        self._handoff.update(await self._store.list_moves(stack=self.config.stack, latest=True))

    async def _position(self, partition: int) -> int:
        tp = TopicPartition(self.config.firehose_topic, partition)
        return int(await self._consumer.position(tp))

    async def _cut_offset(self, partition: int, first: int | None) -> int | None:
        # Nothing matched since the assignment: the cut is where reading starts.
        if partition not in self._tracker.partitions():
            return first
        await self._flush()
        if self._tracker.in_flight(partition):
            return None
        await self._commit([partition])
        return self._tracker.safe_offset(partition)

    async def _handle_batch(self, batch: _Batch) -> None:
        rules = self._stack.view
        assigned = self._consumer.assignment()
        unchecked = {tp.partition for tp in assigned} - self._checked
        try:
            if unchecked & {tp.partition for tp in batch}:
                # Another node may have recorded a handoff while this one did
                # not own the partition.
                await self._read_moves()
                self._checked |= unchecked
        except StoreError as exc:
            logger.warning("Could not read stack moves, reading the batch again: %s", exc)
            await self._rewind(batch, list(batch))
            return
        # All of the batch's records are published together: one producer
        # batch per match topic partition, not one per firehose partition.
        publishes: list[Publish] = []
        matched = 0
        for tp, records in batch.items():
            # A partition revoked while this batch waited for the lock
            # belongs to another node now, which reads from the last commit.
            if tp not in assigned or not records:
                continue
            if self._handoff.accounts:
                # A handoff may flush and commit: what is matched goes out first.
                await self._publish(publishes)
                publishes = []
                if not await self._may_match(tp, records[0].offset):
                    await self._rewind(batch, [tp])
                    continue
            for record in records:
                publishes += self._publishes(rules, record)
                matched += 1
                if matched % _YIELD_EVERY == 0:
                    # Let the loop serve others (under `powertrack up`, the
                    # API and the streams) between slices of a large batch.
                    await asyncio.sleep(0)
        await self._publish(publishes)

    async def _publish(self, publishes: list[Publish]) -> None:
        if publishes:
            assert self._publisher is not None
            await self._publisher.publish(publishes)

    async def _may_match(self, tp: Any, first: int) -> bool:
        try:
            return await self._runner.hand_over(tp.partition, first)
        except (StoreError, BrokerError) as exc:
            logger.warning(
                "Could not hand over firehose %d, reading it again: %s", tp.partition, exc
            )
            return False

    async def _rewind(self, batch: _Batch, partitions: list[Any]) -> None:
        for tp in partitions:
            if batch.get(tp):
                self._consumer.seek(tp, batch[tp][0].offset)
        await asyncio.sleep(0.5)

    def _publishes(self, rules: StackView, record: _Record) -> list[Publish]:
        partition, offset = record.partition, record.offset
        try:
            document, tweet = parse_tweet(record.value)
        except TweetFormatError as exc:
            return self._dead_letter(record, str(exc))
        self.counters.tweets += 1
        try:
            by_stream = match_streams(rules, tweet)
        except Exception as exc:
            # One tweet the matcher cannot handle must not stop the node.
            logger.exception("Could not match firehose %d@%d", partition, offset)
            return self._dead_letter(record, f"could not match: {type(exc).__name__}: {exc}")
        if by_stream and self._handoff.accounts:
            gate = self._handoff
            by_stream = {
                stream: matched
                for stream, matched in by_stream.items()
                if gate.serves(rules.accounts[stream], partition, offset)
            }
        publishes = match_publishes(rules, record, document, tweet, by_stream)
        self.counters.matches += len(publishes)
        self.metrics.tweet(record.timestamp, len(publishes))
        self._track(partition, offset, len(publishes))
        return publishes

    def _dead_letter(self, record: _Record, error: str) -> list[Publish]:
        partition, offset = record.partition, record.offset
        self.counters.dead_letters += 1
        self.metrics.dead_letter()
        logger.warning("Firehose %d@%d goes to the dead letters: %s", partition, offset, error)
        headers = dead_letter_headers(error, partition, offset)
        value = record.value if record.value is not None else b""
        dead = Publish(
            self.config.dead_letters, value, record.key, headers, partition, offset, False
        )
        self._track(partition, offset, 1)
        return [dead]

    def _track(self, partition: int, offset: int, publishes: int) -> None:
        try:
            self._tracker.read(partition, offset, publishes)
        except ValueError:
            # The consumer went back (its position was reset): what was
            # tracked for the partition no longer says what is done.
            logger.warning("Firehose partition %d rewound to %d", partition, offset)
            self._tracker.forget([partition])
            self._tracker.read(partition, offset, publishes)

    async def _wait_for_room(self) -> None:
        while self._tracker.in_flight() > self.config.max_in_flight and not self._stopping.is_set():
            self._acked.clear()
            # Short waits: a stop must not wait for a broker that is down.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.5):
                    await self._acked.wait()

    async def _flush(self) -> None:
        if self._publisher is None:
            return
        try:
            async with asyncio.timeout(self.config.flush_timeout):
                await self._publisher.flush()
        except TimeoutError:
            logger.warning(
                "%d publishes unacknowledged after %.0f s; their tweets will be matched again",
                self._tracker.in_flight(),
                self.config.flush_timeout,
            )

    async def _commit(self, partitions: Iterable[int] | None = None) -> None:
        self._last_commit = time.monotonic()
        offsets = self._tracker.to_commit()
        if partitions is not None:
            wanted = set(partitions)
            offsets = {p: o for p, o in offsets.items() if p in wanted}
        if not offsets:
            return
        topic = self.config.firehose_topic
        try:
            await self._consumer.commit({TopicPartition(topic, p): o for p, o in offsets.items()})
        except CommitError as exc:
            # Typically a rebalance under way: the partitions' new owners
            # start from the last successful commit, repeating some matches.
            logger.warning("Could not commit firehose offsets %s: %s", offsets, exc)
            return
        self._tracker.committed(offsets)
        self.counters.commits += 1

    async def _revoked(self, revoked: Sequence[Any]) -> None:
        partitions = [tp.partition for tp in revoked if tp.topic == self.config.firehose_topic]
        async with self._batch_lock:
            await self._flush()
            await self._commit(partitions)
            self._tracker.forget(partitions)
            self._checked.difference_update(partitions)
            # Finished here, the catch-up is not run again by the next owner.
            await self._runner.finish(partitions)

    def _assigned(self, assigned: Sequence[Any]) -> None:
        # Reading resumes from the committed offsets: forget what was tracked.
        partitions = [tp.partition for tp in assigned]
        self._tracker.forget(partitions)
        self._checked.difference_update(partitions)

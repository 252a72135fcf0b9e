"""A filter node's publishing: match records in batches, acknowledged per batch.

The node hands the publisher all the records of one firehose batch at once.
They are grouped by topic and partition, in the order they came (so one
partition's records keep the firehose's order), and each group goes to the
producer as one batch: one produce request for many records, no Python await
per record. When the broker acknowledges a batch, every firehose message it
carried a record of is acknowledged in the node's ``OffsetTracker``; only
then can its offset be committed (filter/node.py). A batch that fails is
sent again, whole, with a growing delay, until it is acknowledged or the node
stops; meanwhile its messages' offsets stay uncommitted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from powertrack.broker.errors import ProduceError
from powertrack.broker.producer import OutRecord, Producer, default_partition
from powertrack.filter.config import FilterConfig, FilterCounters
from powertrack.filter.offsets import OffsetTracker
from powertrack.filter.records import Publish
from powertrack.metrics import NodeMetrics

__all__ = ["Publisher", "by_partition", "by_topic", "publish_all"]

logger = logging.getLogger(__name__)


def by_topic(publishes: Sequence[Publish]) -> dict[str, list[Publish]]:
    """``publishes`` grouped by topic, each group in the order given."""
    groups: dict[str, list[Publish]] = {}
    for publish in publishes:
        group = groups.get(publish.topic)
        if group is None:
            groups[publish.topic] = [publish]
        else:
            group.append(publish)
    return groups


def by_partition(group: list[Publish], partitions: int) -> dict[int, list[Publish]]:
    """One topic's ``group`` split by the partition each key goes to, in order."""
    if partitions == 1:
        return {0: group}
    parts: dict[int, list[Publish]] = {}
    for publish in group:
        hashed = publish.key_hash
        partition = (
            default_partition(publish.key, partitions) if hashed is None else hashed % partitions
        )
        part = parts.get(partition)
        if part is None:
            parts[partition] = [publish]
        else:
            part.append(publish)
    return parts


def _records(group: list[Publish]) -> list[OutRecord]:
    return [OutRecord(p.value, p.key, p.headers) for p in group]


async def publish_all(producer: Producer, publishes: Sequence[Publish]) -> list[Publish]:
    """Send ``publishes`` in per-partition batches and wait for them all; return
    those that were not stored (to send again)."""
    sent: list[tuple[list[Publish], asyncio.Future[None]]] = []
    failed: list[Publish] = []
    for topic, group in by_topic(publishes).items():
        try:
            count = await producer.partitions(topic)
        except ProduceError as exc:
            logger.warning("Could not publish to %s: %s", topic, exc)
            failed += group
            continue
        for partition, part in by_partition(group, count).items():
            for publish in part:
                publish.attempts += 1
            try:
                sent.append((part, await producer.send_batch(topic, partition, _records(part))))
            except ProduceError as exc:
                logger.warning("Could not publish to %s[%d]: %s", topic, partition, exc)
                failed += part
    if sent:
        await asyncio.wait([future for _, future in sent])
    for part, future in sent:
        if future.cancelled() or future.exception() is not None:
            failed += part
    return failed


class Publisher:
    """Sends a node's :class:`Publish` records through ``producer`` in batches.

    ``acknowledged`` is called after each acknowledged batch (the node wakes
    a loop waiting for room). Retries are tasks of the publisher's own;
    :meth:`close` cancels them.
    """

    def __init__(
        self,
        producer: Producer,
        tracker: OffsetTracker[int],
        config: FilterConfig,
        counters: FilterCounters,
        metrics: NodeMetrics,
        acknowledged: Callable[[], None],
    ) -> None:
        self.producer = producer
        self._tracker = tracker
        self._config = config
        self._counters = counters
        self._metrics = metrics
        self._acknowledged = acknowledged
        self._partition_counts: dict[str, int] = {}
        self._retries: set[asyncio.Task[None]] = set()
        self._closing = False

    async def publish(self, publishes: Sequence[Publish]) -> None:
        """Queue ``publishes`` (already counted in the tracker) in per-partition batches."""
        for topic, group in by_topic(publishes).items():
            count = await self._partitions(topic, group)
            if count is None:
                continue
            for partition, part in by_partition(group, count).items():
                await self._send(topic, partition, part)

    async def flush(self) -> None:
        """Wait until every queued batch is acknowledged or has failed."""
        await self.producer.flush()

    async def close(self) -> None:
        """Stop retrying: unacknowledged records stay uncommitted for the next owner."""
        self._closing = True
        tasks = list(self._retries)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _partitions(self, topic: str, group: list[Publish]) -> int | None:
        count = self._partition_counts.get(topic)
        if count is not None:
            return count
        try:
            count = await self.producer.partitions(topic)
        except ProduceError as exc:
            for publish in group:
                publish.attempts += 1
            self._failed(topic, -1, group, exc)
            return None
        self._partition_counts[topic] = count
        return count

    async def _send(self, topic: str, partition: int, group: list[Publish]) -> None:
        for publish in group:
            publish.attempts += 1
        try:
            future = await self.producer.send_batch(topic, partition, _records(group))
        except ProduceError as exc:
            self._failed(topic, partition, group, exc)
            return
        future.add_done_callback(lambda done: self._delivered(topic, partition, group, done))

    def _delivered(
        self, topic: str, partition: int, group: list[Publish], future: asyncio.Future[None]
    ) -> None:
        if future.cancelled():
            self._failed(topic, partition, group, ProduceError("the send was cancelled"))
            return
        error = future.exception()
        if error is not None:
            self._failed(topic, partition, group, error)
            return
        acknowledge = self._tracker.acknowledge
        matches = 0
        for publish in group:
            acknowledge(publish.partition, publish.offset)
            matches += publish.match
        if matches:
            self._counters.published += matches
            self._metrics.published(topic, matches)
        self._acknowledged()

    def _failed(
        self, topic: str, partition: int, group: list[Publish], error: BaseException
    ) -> None:
        # The offsets stay uncommitted until the batch is stored, so a node
        # that stops now leaves its tweets for the next one to match again.
        self._counters.publish_retries += len(group)
        first = group[0]
        logger.warning(
            "Publish of %d record(s) to %s[%d] (firehose %d@%d...) failed (attempt %d), "
            "retrying: %s",
            len(group),
            topic,
            partition,
            first.partition,
            first.offset,
            first.attempts,
            error,
        )
        if self._closing:
            return
        self._partition_counts.pop(topic, None)
        task = asyncio.create_task(self._retry(topic, group), name="filter-retry")
        self._retries.add(task)
        task.add_done_callback(self._retries.discard)

    async def _retry(self, topic: str, group: list[Publish]) -> None:
        attempts = max(p.attempts for p in group)
        await asyncio.sleep(min(self._config.max_retry_delay, 0.1 * 2 ** min(attempts, 16)))
        await self.publish(group)

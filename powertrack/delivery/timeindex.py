"""Finding the end of a partition, and the offset of a time in it, on any broker.

The end offset a broker reports is taken as a lower bound: Tansu answers the
first offset of the last record batch plus one, however many records that
batch holds. :func:`offset_bounds` reads from the offset before the reported end
to the last record there is, which costs Kafka one record and gives the true
end on both.

Kafka answers "the first offset whose record timestamp is at or after T" with
ListOffsets by timestamp. The embedded Tansu broker ignores the timestamp and
answers the log start, so there the offset is found by binary search over
``[beginning, end)``, reading one record per step.

The binary search assumes timestamps grow with the offset. In a match topic
they grow only nearly: several filter nodes publish to it, each stamping
records when it sends them, so neighbouring records can be out of order by the
nodes' send delays and clock skew (tens to hundreds of ms). The search then
lands within that disorder of the exact answer; a caller that needs "nothing
at or after T is skipped" searches for ``T - tolerance`` and drops the records
earlier than ``T`` itself.
"""

from __future__ import annotations

from typing import Any, Final

from powertrack.broker.reader import TopicPartition
from powertrack.delivery.records import DeliveryError

__all__ = ["offset_bounds", "offset_for_time"]

# One fetch of a record known to exist; the broker answers at once, so this
# only bounds a broker that stopped answering.
_PROBE_TIMEOUT_MS: Final = 2_000
_PROBE_ATTEMPTS: Final = 3


async def offset_bounds(
    consumer: Any, tp: Any, *, probe_timeout_ms: int = _PROBE_TIMEOUT_MS
) -> tuple[int, int]:
    """The first offset ``tp`` still holds, and the offset its next record will get.

    ``consumer`` is a started ``Reader`` with ``tp`` assigned; its
    position is moved."""
    reported = int((await consumer.end_offsets([tp]))[tp])
    beginning = int((await consumer.beginning_offsets([tp]))[tp])
    if reported <= beginning:
        return beginning, reported
    consumer.seek(tp, reported - 1)
    batch = await consumer.getmany(tp, timeout_ms=probe_timeout_ms)
    records = batch.get(tp, [])
    return beginning, max(reported, records[-1].offset + 1) if records else reported


async def offset_for_time(
    consumer: Any,
    topic: str,
    partition: int,
    ts_ms: int,
    *,
    use_offsets_for_times: bool = False,
    probe_timeout_ms: int = _PROBE_TIMEOUT_MS,
) -> int:
    """The first offset of ``topic``/``partition`` whose record timestamp is ``>= ts_ms``.

    The end offset (:func:`offset_bounds`) if there is none. ``consumer`` is a
    started ``Reader`` with the partition assigned; its position is
    moved, and the caller seeks where it wants to read next.
    """
    tp = TopicPartition(topic, partition)
    if use_offsets_for_times:
        found = await consumer.offsets_for_times({tp: ts_ms})
        answer = found.get(tp)
        if answer is not None:
            return int(answer.offset)
        return (await offset_bounds(consumer, tp, probe_timeout_ms=probe_timeout_ms))[1]
    low, high = await offset_bounds(consumer, tp, probe_timeout_ms=probe_timeout_ms)
    while low < high:
        middle = (low + high) // 2
        record = await _first_record_from(consumer, tp, middle, probe_timeout_ms)
        if record is None or record.timestamp >= ts_ms:
            high = middle
        else:
            # Offsets between ``middle`` and the record's hold no record
            # (compaction, transaction markers), so they are all "before".
            low = int(record.offset) + 1
    return low


async def _first_record_from(consumer: Any, tp: Any, offset: int, timeout_ms: int) -> Any:
    for _ in range(_PROBE_ATTEMPTS):
        consumer.seek(tp, offset)
        batch = await consumer.getmany(tp, timeout_ms=timeout_ms, max_records=1)
        records = batch.get(tp, [])
        # A fetch started before the seek can still deliver an earlier offset.
        if records and records[0].offset >= offset:
            return records[0]
        if not records and offset >= int((await consumer.end_offsets([tp]))[tp]):
            return None
    raise DeliveryError(f"{tp.topic}: no record could be read at offset {offset}")

"""Finding a time's offset on the embedded broker, which has no offsets_for_times."""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition  # type: ignore[import-untyped, unused-ignore]

from powertrack.delivery import offset_for_time
from tests.delivery.support import Match, create_topics, new_account, publish

BASE = 1_700_000_000_000


async def test_binary_search_finds_the_first_record_at_or_after_a_time(
    kafka_bootstrap: str,
) -> None:
    topic = (await create_topics(kafka_bootstrap, new_account()))["A"]
    await publish(kafka_bootstrap, topic, [Match(i, 0, i, BASE + i * 1000) for i in range(40)])
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, 0)])
        cases = {BASE - 5: 0, BASE: 0, BASE + 1: 1, BASE + 17_000: 17, BASE + 17_500: 18}
        cases |= {BASE + 39_000: 39, BASE + 39_001: 40, BASE + 10**9: 40}
        for ts, expected in cases.items():
            assert await offset_for_time(consumer, topic, 0, ts) == expected, ts
    finally:
        await consumer.stop()


async def test_an_empty_partition_answers_its_end(kafka_bootstrap: str) -> None:
    topic = (await create_topics(kafka_bootstrap, new_account()))["A"]
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, 0)])
        assert await offset_for_time(consumer, topic, 0, BASE) == 0
    finally:
        await consumer.stop()


class _ListOffsetsByTime:
    """A consumer whose broker answers ListOffsets by timestamp."""

    def __init__(self, answer: int | None) -> None:
        self.answer = answer

    async def offsets_for_times(self, query: dict[Any, int]) -> dict[Any, Any]:
        tp = next(iter(query))
        return {tp: None if self.answer is None else type("Found", (), {"offset": self.answer})}

    async def end_offsets(self, tps: list[Any]) -> dict[Any, int]:
        return dict.fromkeys(tps, 99)

    async def beginning_offsets(self, tps: list[Any]) -> dict[Any, int]:
        return dict.fromkeys(tps, 0)

    def seek(self, tp: Any, offset: int) -> None:
        self.position = offset

    async def getmany(self, tp: Any, timeout_ms: int) -> dict[Any, list[Any]]:
        # The last record is the one before the reported end (Kafka's answer).
        return {tp: [type("Record", (), {"offset": 98})]} if self.position == 98 else {}


@pytest.mark.parametrize(("answer", "expected"), [(12, 12), (None, 99)])
async def test_offsets_for_times_is_used_where_the_broker_has_it(
    answer: int | None, expected: int
) -> None:
    consumer = _ListOffsetsByTime(answer)
    found = await offset_for_time(consumer, "t", 0, BASE, use_offsets_for_times=True)
    assert found == expected

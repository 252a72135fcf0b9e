"""``KafkaBroker``'s own behaviour: an external cluster that may not answer."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from powertrack.broker import (
    NO_CAPABILITIES,
    BrokerError,
    BrokerUnavailableError,
    KafkaBroker,
    TansuBroker,
    TopicSpec,
    _admin,
)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_a_dead_bootstrap_address_fails_quickly() -> None:
    broker = KafkaBroker(f"127.0.0.1:{_closed_port()}", wait_timeout=0.5)
    started = time.monotonic()

    with pytest.raises(BrokerUnavailableError, match=r"No Kafka broker answered(.|\n)*0.5 s"):
        await broker.start()

    assert time.monotonic() - started < 3
    with pytest.raises(BrokerError, match="not been started"):
        _ = broker.capabilities


async def test_start_waits_for_a_cluster_that_comes_up_late() -> None:
    tansu = TansuBroker(_closed_port())
    broker = KafkaBroker(tansu.bootstrap_servers, wait_timeout=10)

    async def start_tansu_later() -> None:
        await asyncio.sleep(0.5)
        await tansu.start()

    try:
        await asyncio.gather(broker.start(), start_tansu_later())
        assert broker.capabilities == NO_CAPABILITIES
    finally:
        await tansu.stop()


async def test_a_cluster_without_topics_is_probed_again_once_it_has_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    probed: list[str] = []
    probe = _admin.probe_offsets_for_times

    async def counting_probe(bootstrap: str, topic: str, partition: int, timeout: float) -> bool:
        probed.append(topic)
        return await probe(bootstrap, topic, partition, timeout)

    monkeypatch.setattr(_admin, "probe_offsets_for_times", counting_probe)
    tansu = TansuBroker()
    await tansu.start()
    try:
        broker = KafkaBroker(tansu.bootstrap_servers)
        await broker.start()
        assert probed == []

        await broker.ensure_topics([TopicSpec("first", 1)])
        await broker.ensure_topics([TopicSpec("second", 1)])

        assert probed == ["first"]
        assert broker.capabilities == NO_CAPABILITIES
        assert await broker.list_topics() == {"first", "second"}
    finally:
        await tansu.stop()


def test_an_empty_address_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        KafkaBroker(" ")

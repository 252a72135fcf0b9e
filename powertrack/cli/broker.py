"""``powertrack broker``: run the embedded Tansu broker until interrupted."""

from __future__ import annotations

import asyncio
import logging
import signal

import typer

from powertrack.aio import cancel_and_wait
from powertrack.broker import (
    SIDES,
    BrokerError,
    TansuBroker,
    TopicSpec,
    deadletter_topic,
    firehose_topic,
)
from powertrack.settings import Settings

__all__ = ["run_broker"]

log = logging.getLogger(__name__)


async def serve_broker(settings: Settings, port: int, ready: asyncio.Event | None = None) -> None:
    """Start Tansu on ``port``, create the firehose and dead-letter topics, and
    run until SIGINT or SIGTERM. Its data lives in memory and goes with it."""
    broker = TansuBroker(port, generations=settings.embedded_generations())
    await broker.start()
    janitor = (
        asyncio.create_task(broker.janitor().run()) if broker.generations is not None else None
    )
    try:
        await broker.ensure_topics(
            [TopicSpec(firehose_topic(settings.firehose_topic), settings.firehose_partitions)]
            + [TopicSpec(deadletter_topic(side), 1) for side in SIDES]
        )
        typer.echo(
            f"broker ready: POWERTRACK_KAFKA_BOOTSTRAP={broker.bootstrap_servers} "
            f"(topic {settings.firehose_topic}, {settings.firehose_partitions} partitions)",
            err=True,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        if ready is not None:
            ready.set()
        await stop.wait()
    finally:
        if janitor is not None:
            await cancel_and_wait(janitor)
        await broker.stop()


def run_broker(settings: Settings, port: int) -> int:
    """Entry point of ``powertrack broker``; returns the exit status."""
    try:
        asyncio.run(serve_broker(settings, port))
    except BrokerError as error:
        log.error("the embedded broker failed: %s", error)
        return 1
    return 0

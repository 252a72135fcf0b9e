"""``powertrack api``: serve the Rules API with the configured store and signal."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn

from powertrack.api import create_app
from powertrack.broker import BrokerError, KafkaBroker
from powertrack.coordination import (
    LocalRuleChangeSignal,
    RuleChangeSignal,
    ZooKeeperRuleChangeSignal,
)
from powertrack.firehose.sink import TweetSink, firehose_sink
from powertrack.settings import Settings
from powertrack.store import RuleStore, StoreUnavailableError, open_store, wait_until_ready
from powertrack.store.ids import MAX_WORKER_ID

log = logging.getLogger(__name__)


def make_signal(settings: Settings) -> RuleChangeSignal:
    """ZooKeeper when configured (several processes), else an in-process signal."""
    if settings.zookeeper_hosts:
        return ZooKeeperRuleChangeSignal(settings.zookeeper_hosts, root=settings.zookeeper_root)
    return LocalRuleChangeSignal()


@asynccontextmanager
async def api_services(
    settings: Settings, *, migrate: bool
) -> AsyncIterator[tuple[RuleStore, RuleChangeSignal]]:
    """Open the store (migrating it when asked) and start the signal; close both after."""
    store = open_store(settings.database_url)
    try:
        await wait_until_ready(store, settings.database_wait_timeout)
        if migrate:
            await store.migrate()
        signal = make_signal(settings)
        await signal.start()
        try:
            yield store, signal
        finally:
            await signal.stop()
    finally:
        await store.close()


async def serve_api(settings: Settings, *, migrate: bool) -> None:
    """Serve the API until interrupted. With a Kafka bootstrap configured, the API
    also takes posted tweets (``POST /2/tweets``) onto the firehose."""
    async with contextlib.AsyncExitStack() as stack:
        store, signal = await stack.enter_async_context(api_services(settings, migrate=migrate))
        sink: TweetSink | None = None
        if settings.kafka_bootstrap:
            broker = KafkaBroker(settings.kafka_bootstrap)
            await broker.start()
            stack.push_async_callback(broker.stop)
            sink = await stack.enter_async_context(
                firehose_sink(
                    broker, settings.firehose_topic, partitions=settings.firehose_partitions
                )
            )
        app = create_app(
            settings, store, signal, sink, tweet_worker_id=random.randrange(MAX_WORKER_ID + 1)
        )
        config = uvicorn.Config(
            app,
            host=settings.api_host,
            port=settings.api_port,
            log_level=settings.log_level.lower(),
            # powertrack's own logging configuration, so uvicorn's lines are JSON too.
            log_config=None,
        )
        await uvicorn.Server(config).serve()


def run_api(settings: Settings, *, migrate: bool | None) -> int:
    """Entry point of ``powertrack api``; returns the exit status."""
    if migrate is None:
        # The embedded SQLite file belongs to this process, so migrating it is
        # safe; a shared MySQL is migrated once, deliberately, by `db migrate`.
        migrate = settings.database_url.startswith("sqlite:")
    try:
        asyncio.run(serve_api(settings, migrate=migrate))
    except StoreUnavailableError as error:
        log.error("the rule store is unavailable: %s", error)
        return 1
    except BrokerError as error:
        log.error("the Kafka broker is unavailable: %s", error)
        return 1
    return 0


async def migrate_store(settings: Settings) -> int:
    """Apply the schema migrations; return the schema version."""
    store = open_store(settings.database_url)
    try:
        await wait_until_ready(store, settings.database_wait_timeout)
        return await store.migrate()
    finally:
        await store.close()

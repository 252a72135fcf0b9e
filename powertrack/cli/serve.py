"""``powertrack api``: serve the Rules API with the configured store and signal."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
import signal
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn

from powertrack.api import create_app
from powertrack.broker import Broker, BrokerError, KafkaBroker
from powertrack.coordination import (
    CoordinationError,
    LeaseManager,
    LocalLeaseManager,
    LocalRuleChangeSignal,
    LocalSideRegistry,
    RuleChangeSignal,
    SideRegistry,
    ZooKeeperLeaseManager,
    ZooKeeperRuleChangeSignal,
    ZooKeeperSideRegistry,
)
from powertrack.delivery.connection import DeliveryConfig
from powertrack.delivery.feed import FeedOptions, MatchFeed
from powertrack.delivery.services import DeliveryServices
from powertrack.firehose.sink import TweetSink, firehose_sink
from powertrack.metrics import Check, Metrics, broker_check, connected_check
from powertrack.settings import Settings
from powertrack.store import (
    RuleStore,
    StoreUnavailableError,
    migrate_when_ready,
    open_store,
    wait_until_ready,
)
from powertrack.store.ids import MAX_WORKER_ID

log = logging.getLogger(__name__)


def make_leases(settings: Settings) -> LeaseManager:
    """Connection leases in ZooKeeper when configured (every server shares the
    limits), else in-process (one server)."""
    if settings.zookeeper_hosts:
        return ZooKeeperLeaseManager(
            settings.zookeeper_hosts,
            root=settings.zookeeper_root,
            session_timeout=settings.zookeeper_session_timeout,
        )
    return LocalLeaseManager()


def make_sides(settings: Settings) -> SideRegistry:
    """Side liveness in ZooKeeper when configured, else in-process."""
    if settings.zookeeper_hosts:
        return ZooKeeperSideRegistry(
            settings.zookeeper_hosts,
            root=settings.zookeeper_root,
            session_timeout=settings.zookeeper_session_timeout,
        )
    return LocalSideRegistry()


def delivery_config(settings: Settings) -> DeliveryConfig:
    """The streaming connections' tunables from the settings."""
    return DeliveryConfig(
        keepalive_seconds=settings.stream_keepalive_seconds,
        buffer_records=settings.stream_buffer_records,
        full_buffer_seconds=settings.stream_full_buffer_seconds,
        slow_grace_seconds=settings.stream_slow_grace_seconds,
    )


def feed_options(settings: Settings) -> FeedOptions:
    """The match feed's tunables from the settings."""
    return FeedOptions(
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        inbound_records=settings.stream_buffer_records,
    )


@contextlib.contextmanager
def on_stop_signals(handler: Callable[[], None]) -> Iterator[None]:
    """Call ``handler`` from the running loop on SIGINT or SIGTERM while the block runs."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, handler)
    try:
        yield
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def make_signal(settings: Settings) -> RuleChangeSignal:
    """ZooKeeper when configured (several processes), else an in-process signal."""
    if settings.zookeeper_hosts:
        return ZooKeeperRuleChangeSignal(
            settings.zookeeper_hosts,
            root=settings.zookeeper_root,
            session_timeout=settings.zookeeper_session_timeout,
        )
    return LocalRuleChangeSignal()


@asynccontextmanager
async def api_services(
    settings: Settings, *, migrate: bool
) -> AsyncIterator[tuple[RuleStore, RuleChangeSignal]]:
    """Open the store (migrating it when asked) and start the signal; close both after."""
    store = open_store(settings.database_url)
    try:
        if migrate:
            await migrate_when_ready(store, settings.database_wait_timeout)
        else:
            await wait_until_ready(store, settings.database_wait_timeout)
        signal = make_signal(settings)
        await signal.start()
        try:
            yield store, signal
        finally:
            await signal.stop()
    finally:
        await store.close()


async def start_delivery(
    stack: contextlib.AsyncExitStack,
    settings: Settings,
    broker: Broker,
    metrics: Metrics | None = None,
) -> tuple[TweetSink, DeliveryServices]:
    """On a started ``broker``: the firehose sink for posted tweets and what the
    streaming endpoints need (match feed, leases and side registry, started); ``stack``
    closes them all."""
    sink = await stack.enter_async_context(
        firehose_sink(broker, settings.firehose_topic, partitions=settings.firehose_partitions)
    )
    leases = make_leases(settings)
    await leases.start()
    stack.push_async_callback(leases.stop)
    sides = make_sides(settings)
    await sides.start()
    stack.push_async_callback(sides.stop)
    feed = MatchFeed(
        broker.bootstrap_servers,
        capabilities=broker.capabilities,
        options=feed_options(settings),
    )
    await feed.start()
    stack.push_async_callback(feed.stop)
    delivery = DeliveryServices(
        feed,
        leases,
        sides,
        config=dataclasses.replace(delivery_config(settings), metrics=metrics),
    )
    return sink, delivery


async def serve_api(settings: Settings, *, migrate: bool) -> None:
    """Serve the API until interrupted. With a Kafka bootstrap configured, the API
    also serves the customers' streams and takes posted tweets (``POST /2/tweets``)
    onto the firehose.

    ``/readyz`` checks the store, the broker (when configured) and the
    ZooKeeper session (when configured); ``/metrics`` serves this process's
    metrics."""
    metrics = Metrics(process=True)
    async with contextlib.AsyncExitStack() as stack:
        store, signal = await stack.enter_async_context(api_services(settings, migrate=migrate))
        sink: TweetSink | None = None
        delivery: DeliveryServices | None = None
        readiness: dict[str, Check] = {}
        if isinstance(signal, ZooKeeperRuleChangeSignal):
            zookeeper = signal
            readiness["zookeeper"] = connected_check(lambda: zookeeper.connected, "ZooKeeper")
        if settings.kafka_bootstrap:
            broker = KafkaBroker(settings.kafka_bootstrap)
            await broker.start()
            stack.push_async_callback(broker.stop)
            readiness["broker"] = broker_check(broker)
            sink, delivery = await start_delivery(stack, settings, broker, metrics)
        app = create_app(
            settings,
            store,
            signal,
            sink,
            tweet_worker_id=random.randrange(MAX_WORKER_ID + 1),
            delivery=delivery,
            metrics=metrics,
            readiness=readiness,
        )
        config = uvicorn.Config(
            app,
            host=settings.api_host,
            port=settings.api_port,
            log_level=settings.log_level.lower(),
            # powertrack's own logging configuration, so uvicorn's lines are JSON too.
            log_config=None,
            timeout_graceful_shutdown=settings.api_shutdown_grace_seconds,
        )
        await uvicorn.Server(config).serve()


def run_service(main: Coroutine[Any, Any, None]) -> int:
    """Run a long-lived service until it returns: exit status 0, or 1 with one clear
    log line when the rule store, the broker or ZooKeeper cannot be reached."""
    try:
        asyncio.run(main)
    except StoreUnavailableError as error:
        log.error("the rule store is unavailable: %s", error)
        return 1
    except BrokerError as error:
        log.error("the Kafka broker is unavailable: %s", error)
        return 1
    except CoordinationError as error:
        log.error("ZooKeeper is unavailable: %s", error)
        return 1
    return 0


def run_api(settings: Settings, *, migrate: bool | None) -> int:
    """Entry point of ``powertrack api``; returns the exit status."""
    if migrate is None:
        # The embedded SQLite file belongs to this process, so migrating it is
        # safe; a shared MySQL is migrated once, deliberately, by `db migrate`.
        migrate = settings.database_url.startswith("sqlite:")
    return run_service(serve_api(settings, migrate=migrate))


async def migrate_store(settings: Settings) -> int:
    """Apply the schema migrations; return the schema version."""
    store = open_store(settings.database_url)
    try:
        return await migrate_when_ready(store, settings.database_wait_timeout)
    finally:
        await store.close()

"""``powertrack filter``: run one filter node of a side and stack until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket

from powertrack.broker import DEFAULT_FIREHOSE_TOPIC, KafkaBroker, Side
from powertrack.broker.protocol import Broker
from powertrack.cli.serve import make_signal, on_stop_signals, run_service
from powertrack.coordination import (
    RuleChangeSignal,
    SideRegistry,
    ZooKeeperRuleChangeSignal,
    ZooKeeperSideRegistry,
)
from powertrack.filter.node import FilterConfig, FilterNode
from powertrack.filter.ops_server import ops_server
from powertrack.metrics import Check, Metrics, broker_check, connected_check
from powertrack.settings import Settings
from powertrack.store import RuleStore, open_store, wait_until_ready

__all__ = ["node_checks", "node_id", "run_filter", "serve_filter"]

log = logging.getLogger(__name__)


def node_id() -> str:
    """A name for this filter node no other node has: host, process and a random part."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"


async def serve_filter(
    settings: Settings,
    config: FilterConfig,
    bootstrap: str,
    sides: SideRegistry | None = None,
    *,
    metrics_port: int | None = None,
    metrics_host: str = "127.0.0.1",
) -> None:
    """Run a filter node with the configured store and signal until SIGTERM or SIGINT.

    The signal handlers only ask the node to stop: it then finishes the batch
    in hand, waits for its publishes, commits and leaves the group.

    With ``sides`` (started and stopped by the caller) the node registers as a
    live node of its side once it has started, and deregisters when it stops,
    so streams read the other side's topic while this side has no live node.

    With ``metrics_port`` the node serves ``/metrics``, ``/healthz`` and
    ``/readyz`` on ``metrics_host``:``metrics_port`` while it runs.
    """
    # The handlers go in first: a SIGTERM while the node is still connecting
    # must stop it cleanly too, not kill the process with the default action.
    stop_asked = asyncio.Event()
    nodes: list[FilterNode] = []

    def ask_stop() -> None:
        stop_asked.set()
        for started in nodes:
            started.stop()

    with on_stop_signals(ask_stop):
        log.info("Filter node side %s stack %s starting", config.side, config.stack)
        await _serve_filter(
            settings, config, bootstrap, sides, metrics_port, metrics_host, nodes, stop_asked
        )


async def _serve_filter(
    settings: Settings,
    config: FilterConfig,
    bootstrap: str,
    sides: SideRegistry | None,
    metrics_port: int | None,
    metrics_host: str,
    nodes: list[FilterNode],
    stop_asked: asyncio.Event,
) -> None:
    broker = KafkaBroker(bootstrap)
    await broker.start()
    store = open_store(settings.database_url)
    try:
        await wait_until_ready(store, settings.database_wait_timeout)
        rule_signal = make_signal(settings)
        await rule_signal.start()
        try:
            metrics = Metrics(process=True) if metrics_port is not None else None
            node = FilterNode(config, store, broker, rule_signal, metrics)
            nodes.append(node)
            if stop_asked.is_set():
                node.stop()
            name = node_id()
            async with contextlib.AsyncExitStack() as ops:
                if metrics is not None and metrics_port is not None:
                    checks = node_checks(store, broker, rule_signal)
                    server = ops_server(metrics_port, metrics, checks, host=metrics_host)
                    await ops.enter_async_context(server)
                await _run_node(node, config.side, name, sides)
        finally:
            await rule_signal.stop()
    finally:
        await store.close()
        await broker.stop()


async def _run_node(node: FilterNode, side: Side, name: str, sides: SideRegistry | None) -> None:
    await node.start()
    if sides is not None:
        await sides.register(side, name)
    try:
        await node.run()
    finally:
        if sides is not None:
            await sides.deregister(side, name)


def node_checks(store: RuleStore, broker: Broker, signal: RuleChangeSignal) -> dict[str, Check]:
    """A filter node's readiness: its rule store, its broker and, when it uses it, ZooKeeper."""
    checks: dict[str, Check] = {"rule_store": store.ping, "broker": broker_check(broker)}
    if isinstance(signal, ZooKeeperRuleChangeSignal):
        checks["zookeeper"] = connected_check(lambda: signal.connected, "ZooKeeper")
    return checks


def run_filter(
    settings: Settings,
    side: Side,
    stack: str,
    *,
    bootstrap: str,
    firehose_topic: str = DEFAULT_FIREHOSE_TOPIC,
    group_id: str | None = None,
    metrics_port: int | None = None,
    metrics_host: str = "127.0.0.1",
) -> int:
    """Entry point of ``powertrack filter --side SIDE --stack STACK``; returns the exit status.

    ``bootstrap`` is the Kafka cluster's ``host:port[,...]``: a filter node
    joins a cluster other processes share, it never runs one of its own.
    With ``metrics_port`` the node serves its metrics and probes on
    ``metrics_host``:``metrics_port``.
    """
    config = FilterConfig(
        side=side,
        stack=stack,
        group_id=group_id,
        rule_poll_interval=settings.rule_poll_interval,
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        firehose_topic=firehose_topic,
    )

    async def main() -> None:
        # Side liveness only means something shared: in ZooKeeper, where the
        # API servers watch it. Without ZooKeeper streams read their preferred side.
        if not settings.zookeeper_hosts:
            await serve_filter(
                settings, config, bootstrap, metrics_port=metrics_port, metrics_host=metrics_host
            )
            return
        sides = ZooKeeperSideRegistry(
            settings.zookeeper_hosts,
            root=settings.zookeeper_root,
            session_timeout=settings.zookeeper_session_timeout,
        )
        await sides.start()
        try:
            await serve_filter(
                settings,
                config,
                bootstrap,
                sides,
                metrics_port=metrics_port,
                metrics_host=metrics_host,
            )
        finally:
            await sides.stop()

    return run_service(main())

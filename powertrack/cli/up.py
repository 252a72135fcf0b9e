"""``powertrack up``: the whole system in one process, for trying it out.

On the embedded defaults it starts the Tansu broker, opens the SQLite rule
store, and runs the API (rules and streams), a filter node of Side A and one of
Side B, and a firehose of synthetic tweets, with in-process rule-change
signal, connection leases and side registry. Set ``POWERTRACK_KAFKA_BOOTSTRAP``,
``POWERTRACK_DATABASE_URL`` or ``POWERTRACK_ZOOKEEPER_HOSTS`` and the same
command runs against Kafka, MySQL and ZooKeeper instead.

It creates (or reuses) a ``demo`` account with a ``prod`` stream holding the
bundled sample rules, and prints fresh demo credentials. Ctrl-C stops it:
the firehose stops, the filter nodes flush and commit, then the API and the
broker stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import typer
import uvicorn
from pydantic import SecretStr

from powertrack.accounts.credentials import issue_credential
from powertrack.api import create_app
from powertrack.broker import SIDES, TansuBroker, TopicSpec, deadletter_topic, open_broker
from powertrack.cli.serve import make_signal, on_stop_signals, start_delivery
from powertrack.filter.config import FilterConfig
from powertrack.filter.node import FilterNode
from powertrack.firehose.generate import generate
from powertrack.rules.parser import compile_text
from powertrack.samples import sample_rules_path
from powertrack.settings import Settings
from powertrack.store import NotFoundError, RuleStore, migrate_when_ready, open_store
from powertrack.store.ids import MAX_WORKER_ID, RuleIdGenerator
from powertrack.store.models import NewRule

__all__ = ["DEMO_ACCOUNT", "DEMO_LABEL", "Demo", "ensure_demo", "run_up"]

log = logging.getLogger(__name__)

DEMO_ACCOUNT = "demo"
DEMO_LABEL = "prod"
DEMO_CONNECTIONS = 5


@dataclass(frozen=True, slots=True)
class Demo:
    """The demo customer's credentials, fresh for this run."""

    account: str
    label: str
    password: str
    token: str
    rules: int


def _sample_rules() -> list[NewRule]:
    rules = []
    for line in sample_rules_path().read_bytes().splitlines():
        if line.strip():
            record = orjson.loads(line)
            _, code = compile_text(record["value"])
            rules.append(NewRule(record["value"], record.get("tag"), code))
    return rules


async def ensure_demo(store: RuleStore) -> Demo:
    """The demo account and stream with the sample rules, created on first use;
    a new password and token each time (secrets are only ever shown once)."""
    try:
        account = await store.get_account(DEMO_ACCOUNT)
    except NotFoundError:
        account = await store.create_account(DEMO_ACCOUNT, connection_limit=DEMO_CONNECTIONS)
    try:
        stream = await store.get_stream(account.id, DEMO_LABEL)
    except NotFoundError:
        stream = await store.create_stream(account.id, DEMO_LABEL)
    # Rules already there come back as duplicates, not errors.
    await store.add_rules(stream.id, _sample_rules(), rule_limit=account.rule_limit)
    _, password = await issue_credential(store, "basic", account.id, None)
    _, token = await issue_credential(store, "bearer", account.id, stream.id)
    return Demo(DEMO_ACCOUNT, DEMO_LABEL, password, token, await store.count_rules(stream.id))


def banner(settings: Settings, demo: Demo, admin_token: str, generated_token: bool) -> str:
    """What a newcomer needs to use the running system."""
    url = f"http://{settings.api_host}:{settings.api_port}"
    pt_rules = (
        f"{url}/rules/powertrack/accounts/{demo.account}/publishers/twitter/{demo.label}.json"
    )
    pt_stream = (
        f"{url}/stream/powertrack/accounts/{demo.account}/publishers/twitter/{demo.label}.json"
    )
    admin_line = (
        f"  admin token (this run only): {admin_token}"
        if generated_token
        else "  admin token: POWERTRACK_ADMIN_TOKEN"
    )
    return "\n".join(
        [
            "",
            "powertrack is up",
            f"  API and streams: {url}   (OpenAPI: {url}/docs)",
            f"  broker: {settings.kafka_bootstrap}   rule store: {settings.database_url}",
            f"  demo account: {demo.account}, stream {demo.label} with {demo.rules} rules",
            f"  password: {demo.password}",
            f"  bearer token: {demo.token}",
            admin_line,
            "",
            "Stream the demo's matches (X API v2 shape):",
            f"  powertrack stream --url {url} --token {demo.token}",
            f'  curl -N -H "Authorization: Bearer {demo.token}" {url}/2/tweets/search/stream',
            "PowerTrack 2.0 shape:",
            f"  curl -N -u {demo.account}:{demo.password} {pt_stream}",
            "Add a rule:",
            f"  curl -u {demo.account}:{demo.password} "
            f'-d \'{{"rules": [{{"value": "coffee lang:en", "tag": "coffee"}}]}}\' {pt_rules}',
            "",
            "Ctrl-C stops everything.",
            "",
        ]
    )


class _Parts:
    """The parts of ``powertrack up``, each a task of one TaskGroup.

    A part that fails, or ends while nothing asked it to, sets ``stop``: the
    others then stop in their usual order (firehose, filter nodes, API), and
    :meth:`check` raises the first part's error once they have.
    """

    def __init__(self, stop: asyncio.Event) -> None:
        self._stop = stop
        self._failures: list[BaseException] = []

    def run(self, group: asyncio.TaskGroup, name: str, work: Awaitable[Any]) -> asyncio.Task[None]:
        """Start ``work`` in ``group`` as the part called ``name``."""
        return group.create_task(self._watch(name, work), name=name)

    def check(self) -> None:
        """Raise the first failed part's error, if one failed."""
        if self._failures:
            raise self._failures[0]

    async def _watch(self, name: str, work: Awaitable[Any]) -> None:
        try:
            await work
        # uvicorn raises SystemExit when it cannot listen.
        except (Exception, SystemExit) as error:
            log.error("the %s failed, stopping everything: %r", name, error)
            self._failures.append(error)
        else:
            if not self._stop.is_set():
                log.error("the %s stopped on its own, stopping everything", name)
                self._failures.append(RuntimeError(f"the {name} stopped on its own"))
        finally:
            self._stop.set()


class _QuietServer(uvicorn.Server):
    """uvicorn without its own signal handling: ``powertrack up`` stops the API
    itself, after the filter nodes, and must not be interrupted half-way."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def run_up(
    settings: Settings,
    *,
    rate: float,
    ready: Callable[[str], Awaitable[None] | None] | None = None,
) -> None:
    """Run everything until SIGINT or SIGTERM."""
    generated_token = settings.admin_token is None
    admin_token = (
        secrets.token_urlsafe(24)
        if settings.admin_token is None
        else settings.admin_token.get_secret_value()
    )
    stop = asyncio.Event()
    async with contextlib.AsyncExitStack() as stack:
        stack.enter_context(on_stop_signals(stop.set))
        broker = open_broker(settings.kafka_bootstrap, generations=settings.embedded_generations())
        await broker.start()
        stack.push_async_callback(broker.stop)
        settings = settings.model_copy(
            update={
                "kafka_bootstrap": broker.bootstrap_servers,
                "admin_token": SecretStr(admin_token),
            }
        )
        await broker.ensure_topics([TopicSpec(deadletter_topic(side), 1) for side in SIDES])

        store = open_store(settings.database_url)
        stack.push_async_callback(store.close)
        await migrate_when_ready(store, settings.database_wait_timeout)
        demo = await ensure_demo(store)

        rule_signal = make_signal(settings)
        await rule_signal.start()
        stack.push_async_callback(rule_signal.stop)
        sink, delivery = await start_delivery(stack, settings, broker)
        sides = delivery.sides
        app = create_app(
            settings,
            store,
            rule_signal,
            sink,
            tweet_worker_id=random.randrange(MAX_WORKER_ID + 1),
            delivery=delivery,
        )
        server = _QuietServer(
            uvicorn.Config(
                app,
                host=settings.api_host,
                port=settings.api_port,
                log_config=None,
                log_level=logging.getLogger().getEffectiveLevel(),
                timeout_graceful_shutdown=settings.api_shutdown_grace_seconds,
            )
        )
        nodes = [
            FilterNode(
                FilterConfig(
                    side=side,
                    firehose_topic=settings.firehose_topic,
                    rule_poll_interval=settings.rule_poll_interval,
                    fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
                ),
                store,
                broker,
                rule_signal,
            )
            for side in SIDES
        ]
        parts = _Parts(stop)
        try:
            async with asyncio.TaskGroup() as group:
                try:
                    for node in nodes:
                        await node.start()
                        await sides.register(node.config.side, f"up-{node.config.side}")
                        parts.run(group, f"filter node {node.config.side}", node.run())
                    parts.run(group, "API", server.serve())
                    if isinstance(broker, TansuBroker) and broker.generations is not None:
                        parts.run(group, "broker retention", broker.janitor().run(stop))
                    while not server.started and not stop.is_set():
                        await asyncio.sleep(0.05)
                    # A part that failed while starting: stop before the firehose.
                    parts.check()
                    firehose = parts.run(
                        group,
                        "firehose",
                        generate(
                            sink,
                            ids=RuleIdGenerator(random.randrange(MAX_WORKER_ID + 1)),
                            rate=rate,
                            stop=stop,
                        ),
                    )
                    typer.echo(banner(settings, demo, admin_token, generated_token))
                    if ready is not None:
                        announced = ready(demo.token)
                        if announced is not None:
                            await announced
                    await stop.wait()
                    typer.echo("stopping: firehose, filter nodes, API, broker", err=True)
                    # The nodes flush what the firehose sent before they stop.
                    await asyncio.wait([firehose])
                finally:
                    stop.set()
                    for node in nodes:
                        node.stop()
                    server.should_exit = True
        finally:
            for node in nodes:
                with contextlib.suppress(Exception):
                    await sides.deregister(node.config.side, f"up-{node.config.side}")
        parts.check()

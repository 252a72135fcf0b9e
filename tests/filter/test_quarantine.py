"""Quarantine end to end on a real broker: an account moved to a stack of its own and
back while tweets flow, with no match lost or repeated."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from powertrack import Tweet
from powertrack.broker import Broker, TopicSpec
from powertrack.filter.config import FilterConfig
from powertrack.samples import sample_rules_path
from powertrack.store import NewRule, RuleStore, SQLiteRuleStore, StackMove
from tests.filter.pipeline import (
    FIREHOSE_PARTITIONS,
    SESSION_TIMEOUT_MS,
    StreamSpec,
    produce,
    read_topic,
    received,
    running,
    sample_tweets,
    wait_for,
)
from tests.filter.test_node import _start_node


@dataclass
class World:
    token: str
    firehose: str
    acme: StreamSpec
    other: StreamSpec
    acme_id: int
    quarantine: str
    produced: int = 0
    moves: list[StackMove] = field(default_factory=list)

    def config(self, stack: str) -> FilterConfig:
        return FilterConfig(
            side="A",
            stack=stack,
            firehose_topic=self.firehose,
            group_id=f"powertrack.A.{stack}.{self.token}",
            dead_letter_topic=f"deadletter-A-{self.token}",
            session_timeout_ms=SESSION_TIMEOUT_MS,
            heartbeat_interval_ms=SESSION_TIMEOUT_MS // 6,
            commit_interval=0.2,
            streams_interval=0.3,
        )


async def _world(store: RuleStore, broker: Broker) -> World:
    await store.migrate()
    token = uuid.uuid4().hex[:10]
    specs: list[StreamSpec] = []
    ids: list[int] = []
    for name in ("acme", "other"):
        account = await store.create_account(f"{name}_{token}", connection_limit=1)
        stream = await store.create_stream(account.id, "prod")
        specs.append(StreamSpec(stream.id, account.name, "prod", "main"))
        ids.append(account.id)
    rules = [orjson.loads(line) for line in sample_rules_path().read_bytes().splitlines()]
    for position, rule in enumerate(rules):
        spec = specs[position % 2]
        [outcome] = await store.add_rules(
            spec.id, [NewRule(rule["value"], rule["tag"])], rule_limit=1000
        )
        spec.rules[outcome.rule.id] = rule["value"]
    firehose = f"firehose-{token}"
    await broker.ensure_topics([TopicSpec(firehose, FIREHOSE_PARTITIONS)])
    return World(token, firehose, specs[0], specs[1], ids[0], f"q-acme_{token}")


async def _feed(broker: Broker, world: World, tweets: Sequence[bytes], pause: float) -> None:
    for start in range(0, len(tweets), 50):
        burst = tweets[start : start + 50]
        await produce(broker, world.firehose, burst)
        world.produced += len(burst)
        await asyncio.sleep(pause)


async def _move(store: RuleStore, world: World, stack: str) -> StackMove:
    move = await store.move_account(
        world.acme_id, stack, partitions=FIREHOSE_PARTITIONS, sides=("A",)
    )
    world.moves.append(move)
    return move


async def _complete(store: RuleStore, move: StackMove) -> bool:
    [now] = [m for m in await store.list_moves(move.account_id) if m.id == move.id]
    return now.complete


async def _check(
    broker: Broker,
    world: World,
    tweets: Sequence[bytes],
    store: RuleStore,
    *,
    crashed: bool = False,
) -> int:
    """Assert every expected match arrived, once unless a node ``crashed``; return
    how many of the last account's tweets came more than once."""
    world.moves = await store.list_moves(world.acme_id)
    for spec in (world.acme, world.other):
        expected = spec.expected(tweets)
        assert expected, f"the sample rules match nothing for {spec.account}"

        async def arrived(spec: StreamSpec = spec, expected: Any = expected) -> bool:
            matches, _ = received(await read_topic(broker.bootstrap_servers, spec.topic("A")))
            return bool(matches == expected)

        try:
            await wait_for(arrived, 20, f"every match of {spec.account}")
        except AssertionError:
            matches, _ = received(await read_topic(broker.bootstrap_servers, spec.topic("A")))
            missing = sorted(set(expected) - set(matches))
            extra = sorted(set(matches) - set(expected))
            where = {Tweet.from_json(raw).id: n for n, raw in enumerate(tweets)}
            numbers = [where[t] for t in missing][:40]
            raise AssertionError(
                f"{spec.account}: {len(missing)} missing (tweets {numbers}),"
                f" {len(extra)} unexpected; moves {world.moves}"
            ) from None
    # Late duplicates would come after the matches: give them time to show.
    await asyncio.sleep(1.0)
    repeated: dict[str, int] = {}
    for spec in (world.acme, world.other):
        matches, copies = received(await read_topic(broker.bootstrap_servers, spec.topic("A")))
        assert matches == spec.expected(tweets), spec.account
        repeated = {tweet: n for tweet, n in copies.items() if n > 1}
        if not crashed:
            assert not repeated, f"{spec.account}: {len(repeated)} tweets delivered more than once"
    return len(repeated)


async def test_quarantine_and_release_mid_stream_lose_and_repeat_nothing(
    broker: Broker, tmp_path: Path
) -> None:
    store = SQLiteRuleStore(tmp_path / "rules.db")
    world = await _world(store, broker)
    tweets = sample_tweets(1500)
    async with (
        running(world.config("main"), store, broker) as main,
        running(world.config(world.quarantine), store, broker) as quarantine,
    ):
        await wait_for(lambda: main.assignment and quarantine.assignment, 20, "assignments")
        feeding = asyncio.create_task(_feed(broker, world, tweets, 0.2))
        await wait_for(lambda: world.produced >= 300, 20, "the first tweets")
        away = await _move(store, world, world.quarantine)
        await wait_for(lambda: _complete(store, away), 20, "the quarantine's handoff")
        assert world.acme.id in quarantine.stream_ids
        assert world.acme.id not in main.stream_ids
        released_at = world.produced
        back = await _move(store, world, "main")
        await wait_for(lambda: _complete(store, back), 20, "the release's handoff")
        assert not feeding.done(), "the feed ended before the release: slow it down"
        await feeding
        assert world.acme.id in main.stream_ids
        await _check(broker, world, tweets, store)
    assert 300 <= released_at < len(tweets)
    print(f"quarantined at {world.moves[0]}, released after {released_at} tweets")
    await store.close()


async def test_an_old_node_killed_before_its_cut_loses_nothing(
    broker: Broker, tmp_path: Path
) -> None:
    database = tmp_path / "rules.db"
    store = SQLiteRuleStore(database)
    world = await _world(store, broker)
    tweets = sample_tweets(900)
    bootstrap = broker.bootstrap_servers
    # The killed node's session must end before its successor can take over.
    main_config = dataclasses.replace(world.config("main"), streams_interval=30.0)
    first = _start_node(main_config, bootstrap, database)
    try:
        async with running(world.config(world.quarantine), store, broker) as quarantine:
            await wait_for(lambda: quarantine.assignment, 20, "an assignment")
            feeding = asyncio.create_task(_feed(broker, world, tweets, 0.1))
            await wait_for(
                lambda: read_topic(bootstrap, world.acme.topic("A")), 20, "acme's first matches"
            )
            away = await _move(store, world, world.quarantine)
            # The old node, refreshing only every 30 s, has recorded no cut yet.
            first.kill()
            first.wait(10)
            [pending] = await store.list_moves(world.acme_id)
            assert pending.progress == ()
            started = time.monotonic()
            second = _start_node(
                dataclasses.replace(main_config, streams_interval=0.3), bootstrap, database
            )
            try:
                await wait_for(lambda: _complete(store, away), 30, "the handoff after the restart")
                await feeding
                # What the killed node published after its last commit is
                # published again, by its successor or by the catch-up.
                repeated = await _check(broker, world, tweets, store, crashed=True)
            finally:
                second.terminate()
                second.wait(20)
            took = time.monotonic() - started
            print(f"handed over {took:.1f} s after the restart; {repeated} repeats")
    finally:
        if first.poll() is None:
            first.kill()
    await store.close()

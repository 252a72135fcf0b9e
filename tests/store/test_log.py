"""Contract: snapshots and the rule log, alone and under concurrent writers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from powertrack.store import NewRule, RuleStore, RuleUpdate, Snapshot, StoredRule
from powertrack.store.ids import split_rule_id
from tests.store.conftest import Backend
from tests.store.test_rules import new_stream

LIMIT = 100_000


def replay(rules: Iterable[StoredRule], updates: Iterable[RuleUpdate]) -> list[StoredRule]:
    """``rules`` with ``updates`` applied, by id: what a filter node does."""
    state = {rule.id: rule for rule in rules}
    for update in updates:
        if update.op == "add":
            assert update.rule_id not in state
            # An add is logged at the instant the rule was created.
            state[update.rule_id] = StoredRule(
                update.rule_id, update.stream_id, update.value, update.tag, update.at
            )
        else:
            assert state.pop(update.rule_id).value == update.value
    return sorted(state.values(), key=lambda rule: rule.id)


async def read_log(store: RuleStore, after: int = 0, *, page: int = 10_000) -> list[RuleUpdate]:
    log: list[RuleUpdate] = []
    while batch := await store.updates_since(after, limit=page):
        log += batch
        after = batch[-1].position
    return log


async def test_an_empty_store_is_at_position_zero(store: RuleStore) -> None:
    assert await store.snapshot() == Snapshot(rules=(), position=0)
    assert await store.updates_since(0) == []


async def test_snapshot_plus_later_updates_is_the_later_snapshot(store: RuleStore) -> None:
    prod = await new_stream(store, label="prod")
    dev = await new_stream(store, label="dev")
    elsewhere = await new_stream(store, account="globex")
    await store.add_rules(prod.id, [NewRule(v) for v in ("a", "b", "c")], rule_limit=LIMIT)
    await store.add_rules(dev.id, [NewRule("a", "dev")], rule_limit=LIMIT)
    earlier = await store.snapshot([prod.id, dev.id])
    assert earlier.position == 4
    assert [(r.stream_id, r.value) for r in earlier.rules] == [
        (prod.id, "a"),
        (prod.id, "b"),
        (prod.id, "c"),
        (dev.id, "a"),
    ]

    await store.delete_rules(prod.id, values=["b"])
    await store.add_rules(prod.id, [NewRule("b", "again"), NewRule("d")], rule_limit=LIMIT)
    await store.add_rules(elsewhere.id, [NewRule("x")], rule_limit=LIMIT)
    await store.delete_all_rules(dev.id)
    await store.add_rules(dev.id, [NewRule("🐈")], rule_limit=LIMIT)
    later = await store.snapshot([prod.id, dev.id])

    updates = await store.updates_since(earlier.position, [prod.id, dev.id])
    assert all(u.stream_id != elsewhere.id for u in updates)
    assert [u.position for u in updates] == sorted({u.position for u in updates})
    assert replay(earlier.rules, updates) == list(later.rules)
    # Paging through the log gives the same entries.
    paged: list[RuleUpdate] = []
    position = earlier.position
    while batch := await store.updates_since(position, [prod.id, dev.id], limit=2):
        assert len(batch) <= 2
        paged += batch
        position = batch[-1].position
    assert paged == updates
    # And the whole log from zero rebuilds the whole store.
    everything = await store.snapshot()
    assert replay((), await read_log(store)) == list(everything.rules)
    assert everything.position == later.position == len(await read_log(store))
    assert {r.stream_id for r in everything.rules} == {prod.id, dev.id, elsewhere.id}
    assert (await store.snapshot([])).rules == ()


async def test_concurrent_writers_commit_a_dense_log_in_order(
    backend: Backend, store: RuleStore
) -> None:
    # Two more stores on the same database act as other nodes, each with its
    # own connections and its own rule id worker.
    nodes = [store, backend.open(), backend.open()]
    streams = [await new_stream(store, label=f"s{i}") for i in range(6)]
    rounds = 12
    writers_done = asyncio.Event()
    snapshots: list[Snapshot] = []
    polls_with_news = 0

    async def writer(node: RuleStore, stream_id: int) -> None:
        for i in range(rounds):
            batch = [NewRule(f"{stream_id} rule {i} {j}", f"t{j}") for j in range(3)]
            await node.add_rules(stream_id, batch, rule_limit=LIMIT)
            if i % 3 == 2:
                await node.delete_rules(stream_id, values=[f"{stream_id} rule {i - 1} 0"])
            if i == rounds - 4:
                await node.delete_all_rules(stream_id)

    async def poller(reader: RuleStore) -> list[RuleUpdate]:
        nonlocal polls_with_news
        seen: list[RuleUpdate] = []
        position = 0
        while True:
            finished = writers_done.is_set()
            batch = await reader.updates_since(position, limit=50)
            for update in batch:
                # Dense and in order: nothing can commit behind what was seen.
                assert update.position == position + 1, (position, update.position)
                position = update.position
            seen += batch
            polls_with_news += bool(batch)
            if len(snapshots) < 20:
                snapshots.append(await reader.snapshot())
            if finished and not batch:
                return seen
            await asyncio.sleep(0)

    reader = backend.open()
    polling = asyncio.create_task(poller(reader))
    await asyncio.gather(
        *(writer(nodes[n % len(nodes)], stream.id) for n, stream in enumerate(streams))
    )
    writers_done.set()
    seen = await polling

    log = await read_log(store)
    assert seen == log
    assert [u.position for u in log] == list(range(1, len(log) + 1))
    adds_per_stream = rounds * 3
    assert sum(u.op == "add" for u in log) == adds_per_stream * len(streams)
    assert polls_with_news > 1, "the poller should have read the log while it grew"
    # Every snapshot taken mid-flight is exactly the log replayed to its position.
    assert len({s.position for s in snapshots}) > 1
    for snap in snapshots:
        assert replay((), log[: snap.position]) == list(snap.rules)
    final = await store.snapshot()
    assert replay((), log) == list(final.rules)
    for stream in streams:
        active = [r for r in final.rules if r.stream_id == stream.id]
        assert await store.count_rules(stream.id) == len(active)
    # Rule ids are unique, and each node's ids rise with log position.
    add_ids = [u.rule_id for u in log if u.op == "add"]
    assert len(set(add_ids)) == len(add_ids)
    by_worker: dict[int, list[int]] = {}
    for rule_id in add_ids:
        by_worker.setdefault(split_rule_id(rule_id).worker_id, []).append(rule_id)
    assert len(by_worker) == len(nodes)
    for ids in by_worker.values():
        assert ids == sorted(ids)


async def test_concurrent_adds_to_one_stream_never_duplicate(store: RuleStore) -> None:
    stream = await new_stream(store)
    values = [f"v{i}" for i in range(20)]
    results = await asyncio.gather(
        *(
            store.add_rules(stream.id, [NewRule(v) for v in values], rule_limit=LIMIT)
            for _ in range(6)
        )
    )
    created = [o.rule for outcomes in results for o in outcomes if o.created]
    assert sorted(r.value for r in created) == sorted(values)
    assert await store.count_rules(stream.id) == 20
    for outcomes in results:
        assert [o.rule.value for o in outcomes] == values
        assert {o.rule.id for o in outcomes} == {r.id for r in created}


async def test_concurrent_adds_respect_the_rule_limit(store: RuleStore) -> None:
    stream = await new_stream(store)
    attempts = [[NewRule(f"{n}-{i}") for i in range(4)] for n in range(8)]
    results = await asyncio.gather(
        *(store.add_rules(stream.id, batch, rule_limit=10) for batch in attempts),
        return_exceptions=True,
    )
    succeeded = [r for r in results if isinstance(r, list)]
    assert len(succeeded) == 2
    assert await store.count_rules(stream.id) == 8


async def test_rules_and_their_log_entries_keep_their_compiled_forms(store: RuleStore) -> None:
    stream = await new_stream(store)
    code = b'[1, ["k", "mars"]]'
    [with_code, without] = await store.add_rules(
        stream.id, [NewRule("mars", code=code), NewRule("moon")], rule_limit=LIMIT
    )
    assert with_code.rule.code == code
    assert without.rule.code is None
    assert [r.code for r in await store.get_rules(stream.id)] == [code, None]
    assert [r.code for r in (await store.snapshot()).rules] == [code, None]
    await store.delete_rules(stream.id, values=["mars"])
    log = await read_log(store)
    assert [(u.op, u.value, u.code) for u in log] == [
        ("add", "mars", code),
        ("add", "moon", None),
        ("delete", "mars", None),
    ]

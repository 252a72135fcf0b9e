"""Contract: adding, deleting and reading rules."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from powertrack.store import (
    NewRule,
    NotFoundError,
    RuleCapExceededError,
    RuleStore,
    StoredRule,
    Stream,
)
from tests.store.conftest import Backend

LIMIT = 1_000


async def new_stream(store: RuleStore, account: str = "acme", label: str = "prod") -> Stream:
    try:
        owner = await store.get_account(account)
    except NotFoundError:
        owner = await store.create_account(account, connection_limit=2)
    return await store.create_stream(owner.id, label)


async def add(store: RuleStore, stream_id: int, values: Iterable[str]) -> list[StoredRule]:
    """Add rules with these values and no tags; return the rules."""
    outcomes = await store.add_rules(stream_id, [NewRule(v) for v in values], rule_limit=LIMIT)
    return [outcome.rule for outcome in outcomes]


def log_size(backend: Backend) -> tuple[int, int, int]:
    """Rows in ``rules``, rows in ``rule_updates``, and the log head, read directly."""
    [(rules,)] = backend.query("SELECT COUNT(*) FROM rules")
    [(updates,)] = backend.query("SELECT COUNT(*) FROM rule_updates")
    [(head,)] = backend.query("SELECT position FROM log_head")
    return rules, updates, head


async def test_added_rules_are_stored_and_logged(backend: Backend, store: RuleStore) -> None:
    stream = await new_stream(store)
    outcomes = await store.add_rules(
        stream.id, [NewRule("cat has:media", "cats"), NewRule("dog")], rule_limit=LIMIT
    )
    assert [o.created for o in outcomes] == [True, True]
    cat, dog = (o.rule for o in outcomes)
    assert (cat.stream_id, cat.value, cat.tag) == (stream.id, "cat has:media", "cats")
    assert dog.tag is None
    assert cat.id < dog.id
    assert await store.get_rules(stream.id) == [cat, dog]
    assert await store.count_rules(stream.id) == 2
    log = await store.updates_since(0)
    assert [(u.position, u.op, u.rule_id, u.value, u.tag) for u in log] == [
        (1, "add", cat.id, "cat has:media", "cats"),
        (2, "add", dog.id, "dog", None),
    ]
    assert log_size(backend) == (2, 2, 2)


async def test_a_value_already_active_is_not_added_again(store: RuleStore) -> None:
    stream = await new_stream(store)
    [first] = await store.add_rules(stream.id, [NewRule("cat", "one")], rule_limit=LIMIT)
    again = await store.add_rules(
        stream.id, [NewRule("cat", "two"), NewRule("dog")], rule_limit=LIMIT
    )
    assert again[0].created is False
    assert again[0].rule == first.rule  # the existing rule, with its own tag
    assert again[1].created is True
    assert await store.count_rules(stream.id) == 2
    assert [u.value for u in await store.updates_since(0)] == ["cat", "dog"]


async def test_a_value_repeated_in_one_request_is_created_once(store: RuleStore) -> None:
    stream = await new_stream(store)
    outcomes = await store.add_rules(
        stream.id,
        [NewRule("cat", "first"), NewRule("dog"), NewRule("cat", "second"), NewRule("cat")],
        rule_limit=LIMIT,
    )
    assert [o.created for o in outcomes] == [True, True, False, False]
    assert outcomes[2].rule == outcomes[3].rule == outcomes[0].rule
    assert outcomes[0].rule.tag == "first"
    assert await store.count_rules(stream.id) == 2


async def test_the_same_value_in_two_streams_is_two_rules(store: RuleStore) -> None:
    prod, dev = await new_stream(store, label="prod"), await new_stream(store, label="dev")
    [a] = await store.add_rules(prod.id, [NewRule("cat")], rule_limit=LIMIT)
    [b] = await store.add_rules(dev.id, [NewRule("cat")], rule_limit=LIMIT)
    assert a.created
    assert b.created
    assert a.rule.id != b.rule.id


async def test_values_compare_exactly(store: RuleStore) -> None:
    stream = await new_stream(store)
    values = ["cafe", "Cafe", "CAFE", "café", "cafe\u0301", "cafe ", " cafe", "cafe\t"]
    outcomes = await store.add_rules(stream.id, [NewRule(v) for v in values], rule_limit=LIMIT)
    assert all(o.created for o in outcomes)
    assert [r.value for r in await store.get_rules(stream.id)] == values
    again = await store.add_rules(stream.id, [NewRule(v) for v in values], rule_limit=LIMIT)
    assert not any(o.created for o in again)


async def test_unicode_and_emoji_round_trip(backend: Backend, store: RuleStore) -> None:
    stream = await new_stream(store)
    values = [
        "🐈 OR 😺 lang:ja",
        '"日本語のルール" -東京',
        "مرحبا has:geo",
        "👩🏽‍💻 contains:🧑‍🚀",
        "𝓯𝓪𝓷𝓬𝔂 \U0010fffd",
        "😀" * 2048,  # the longest rule: 8 KiB of utf8mb4
    ]
    tags = ["🏷️", "標籤", None, "t" * 255, "é", "x"]
    await store.add_rules(
        stream.id, [NewRule(v, t) for v, t in zip(values, tags, strict=True)], rule_limit=LIMIT
    )
    for rule, value, tag in zip(await store.get_rules(stream.id), values, tags, strict=True):
        assert (rule.value, rule.tag) == (value, tag)
    reopened = backend.open()
    assert [r.value for r in (await reopened.snapshot()).rules] == values
    assert [u.tag for u in await reopened.updates_since(0)] == tags


async def test_exceeding_the_rule_limit_adds_nothing(backend: Backend, store: RuleStore) -> None:
    stream = await new_stream(store)
    await store.add_rules(stream.id, [NewRule("a"), NewRule("b")], rule_limit=3)
    before = log_size(backend)
    with pytest.raises(RuleCapExceededError) as caught:
        await store.add_rules(
            stream.id, [NewRule("c"), NewRule("a"), NewRule("d"), NewRule("c")], rule_limit=3
        )
    assert (caught.value.limit, caught.value.current, caught.value.adding) == (3, 2, 2)
    assert log_size(backend) == before
    assert [r.value for r in await store.get_rules(stream.id)] == ["a", "b"]
    # Up to the limit exactly is allowed, and duplicates cost nothing.
    outcomes = await store.add_rules(
        stream.id, [NewRule("a"), NewRule("c"), NewRule("c")], rule_limit=3
    )
    assert [o.created for o in outcomes] == [False, True, False]
    [at_limit] = await store.add_rules(stream.id, [NewRule("b")], rule_limit=3)
    assert not at_limit.created


async def test_dry_run_adds_report_outcomes_and_write_nothing(
    backend: Backend, store: RuleStore
) -> None:
    stream = await new_stream(store)
    [cat] = await store.add_rules(stream.id, [NewRule("cat")], rule_limit=LIMIT)
    before = log_size(backend)
    outcomes = await store.add_rules(
        stream.id,
        [NewRule("cat"), NewRule("dog", "d"), NewRule("dog")],
        rule_limit=LIMIT,
        dry_run=True,
    )
    assert [o.created for o in outcomes] == [False, True, False]
    assert outcomes[0].rule == cat.rule
    assert outcomes[1].rule.id > cat.rule.id
    assert outcomes[1].rule.tag == "d"
    assert outcomes[2].rule == outcomes[1].rule
    assert log_size(backend) == before
    assert await store.get_rules(stream.id) == [cat.rule]
    with pytest.raises(RuleCapExceededError):
        await store.add_rules(stream.id, [NewRule("x"), NewRule("y")], rule_limit=2, dry_run=True)
    [real] = await store.add_rules(stream.id, [NewRule("dog")], rule_limit=LIMIT)
    assert real.created
    assert real.rule.id != outcomes[1].rule.id


async def test_deleting_by_id_and_by_value(backend: Backend, store: RuleStore) -> None:
    stream = await new_stream(store)
    other = await new_stream(store, label="other")
    tagged = [NewRule(v, f"t{v}") for v in "abcd"]
    a, b, c, d = (o.rule for o in await store.add_rules(stream.id, tagged, rule_limit=LIMIT))
    [foreign] = await store.add_rules(other.id, [NewRule("a")], rule_limit=LIMIT)
    result = await store.delete_rules(
        stream.id, ids=[c.id, 12345, a.id, foreign.rule.id, c.id], values=["a", "d", "zzz", "B"]
    )
    assert result.deleted == (c, a, d)
    assert result.missing_ids == (12345, foreign.rule.id)
    assert result.missing_values == ("zzz", "B")
    assert await store.get_rules(stream.id) == [b]
    assert await store.get_rules(other.id) == [foreign.rule]
    log = await store.updates_since(5)
    assert [(u.position, u.op, u.rule_id, u.value, u.tag) for u in log] == [
        (6, "delete", c.id, "c", "tc"),
        (7, "delete", a.id, "a", "ta"),
        (8, "delete", d.id, "d", "td"),
    ]
    nothing = await store.delete_rules(stream.id, ids=[a.id], values=["c"])
    assert nothing.deleted == ()
    assert nothing.missing_ids == (a.id,)
    assert log_size(backend)[2] == 8


async def test_dry_run_deletes_write_nothing(backend: Backend, store: RuleStore) -> None:
    stream = await new_stream(store)
    rules = await add(store, stream.id, ["a", "b"])
    before = log_size(backend)
    result = await store.delete_rules(stream.id, values=["a", "x"], dry_run=True)
    assert (result.deleted, result.missing_values) == ((rules[0],), ("x",))
    everything = await store.delete_all_rules(stream.id, dry_run=True)
    assert everything.deleted == tuple(rules)
    assert log_size(backend) == before
    assert await store.get_rules(stream.id) == rules


async def test_delete_all_empties_one_stream(store: RuleStore) -> None:
    stream = await new_stream(store)
    other = await new_stream(store, label="other")
    rules = await add(store, stream.id, "xyz")
    [kept] = await store.add_rules(other.id, [NewRule("x")], rule_limit=LIMIT)
    result = await store.delete_all_rules(stream.id)
    assert result.deleted == tuple(rules)
    assert await store.count_rules(stream.id) == 0
    assert await store.get_rules(other.id) == [kept.rule]
    log = await store.updates_since(4)
    assert [(u.op, u.rule_id) for u in log] == [("delete", r.id) for r in rules]
    assert (await store.delete_all_rules(stream.id)).deleted == ()


async def test_a_deleted_value_added_again_gets_a_new_id(store: RuleStore) -> None:
    stream = await new_stream(store)
    [first] = await store.add_rules(stream.id, [NewRule("cat")], rule_limit=LIMIT)
    await store.delete_rules(stream.id, values=["cat"])
    [second] = await store.add_rules(stream.id, [NewRule("cat")], rule_limit=LIMIT)
    assert second.created
    assert second.rule.id > first.rule.id


async def test_writes_to_a_missing_stream_are_refused(store: RuleStore) -> None:
    with pytest.raises(NotFoundError, match="777"):
        await store.add_rules(777, [NewRule("cat")], rule_limit=LIMIT)
    with pytest.raises(NotFoundError):
        await store.delete_rules(777, ids=[1])
    with pytest.raises(NotFoundError):
        await store.delete_all_rules(777)
    assert await store.updates_since(0) == []


async def test_get_rules_filters_orders_and_pages(store: RuleStore) -> None:
    stream = await new_stream(store)
    other = await new_stream(store, label="other")
    rules = await add(store, stream.id, [f"r{i}" for i in range(10)])
    [foreign] = await store.add_rules(other.id, [NewRule("r0")], rule_limit=LIMIT)
    ids = [r.id for r in rules]
    assert ids == sorted(ids)
    assert await store.get_rules(stream.id, limit=3) == rules[:3]
    assert await store.get_rules(stream.id, after_id=ids[2], limit=3) == rules[3:6]
    assert await store.get_rules(stream.id, after_id=ids[-1]) == []
    wanted = [ids[7], ids[1], 999, foreign.rule.id, ids[4], ids[1]]
    assert await store.get_rules(stream.id, ids=wanted) == [rules[1], rules[4], rules[7]]
    assert await store.get_rules(stream.id, ids=wanted, after_id=ids[1], limit=1) == [rules[4]]
    assert await store.get_rules(stream.id, ids=[]) == []
    assert await store.get_rules(12345) == []
    assert await store.count_rules(stream.id) == 10
    assert await store.count_rules(other.id) == 1


async def test_many_rules_in_one_request(store: RuleStore) -> None:
    stream = await new_stream(store)
    values = [f"rule number {i}" for i in range(1_200)]
    outcomes = await store.add_rules(stream.id, [NewRule(v) for v in values], rule_limit=5_000)
    ids = [o.rule.id for o in outcomes]
    assert ids == sorted(set(ids))
    again = await store.add_rules(stream.id, [NewRule(v) for v in values], rule_limit=5_000)
    assert not any(o.created for o in again)
    assert len(await store.get_rules(stream.id, ids=ids)) == 1_200
    result = await store.delete_rules(stream.id, ids=ids[:700], values=values[500:])
    assert len(result.deleted) == 1_200
    assert await store.count_rules(stream.id) == 0

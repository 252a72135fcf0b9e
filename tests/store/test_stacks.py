"""Contract: every stream belongs to one stack of filter nodes, ``main`` by default."""

from __future__ import annotations

import pytest

from powertrack.store import NewRule, NotFoundError, RuleStore
from powertrack.store.models import DEFAULT_STACK
from tests.store.conftest import Backend


async def test_new_streams_are_on_the_main_stack(store: RuleStore) -> None:
    acme = await store.create_account("acme", connection_limit=1)
    prod = await store.create_stream(acme.id, "prod")
    assert prod.stack == DEFAULT_STACK == "main"
    assert (await store.get_stream_by_id(prod.id)).stack == "main"
    assert await store.list_streams(stack="main") == [prod]
    assert await store.list_streams(stack="other") == []


async def test_an_account_moves_with_all_its_streams(backend: Backend, store: RuleStore) -> None:
    acme = await store.create_account("acme", connection_limit=1)
    globex = await store.create_account("globex", connection_limit=1)
    prod = await store.create_stream(acme.id, "prod")
    dev = await store.create_stream(acme.id, "dev")
    other = await store.create_stream(globex.id, "prod")

    moved = await store.set_account_stack(acme.id, "big-customers")

    assert [(s.id, s.stack) for s in moved] == [
        (prod.id, "big-customers"),
        (dev.id, "big-customers"),
    ]
    assert await store.list_streams(stack="big-customers") == moved
    assert await store.list_streams(stack="main") == [other]
    assert await store.list_streams(acme.id, stack="main") == []
    assert await store.list_streams(globex.id, stack="main") == [other]
    assert await store.list_streams() == [*moved, other]
    assert await store.get_stream(acme.id, "dev") == moved[1]
    # Another connection, as a filter node would have, sees the move.
    assert await backend.open().list_streams(stack="big-customers") == moved

    back = await store.set_account_stack(acme.id, "main")
    assert [s.stack for s in back] == ["main", "main"]
    assert await store.list_streams(stack="big-customers") == []


async def test_an_account_without_streams_moves_nothing(store: RuleStore) -> None:
    acme = await store.create_account("acme", connection_limit=1)
    assert await store.set_account_stack(acme.id, "other") == []


async def test_moving_a_missing_account_or_to_a_bad_name_is_refused(store: RuleStore) -> None:
    acme = await store.create_account("acme", connection_limit=1)
    await store.create_stream(acme.id, "prod")
    with pytest.raises(NotFoundError, match="424242"):
        await store.set_account_stack(424242, "other")
    for bad in ("", "x" * 65):
        with pytest.raises(ValueError, match="stack"):
            await store.set_account_stack(acme.id, bad)
    assert [s.stack for s in await store.list_streams()] == ["main"]
    assert [s.stack for s in await store.set_account_stack(acme.id, "x" * 64)] == ["x" * 64]


async def test_rules_stay_with_a_stream_that_moves(store: RuleStore) -> None:
    acme = await store.create_account("acme", connection_limit=1)
    prod = await store.create_stream(acme.id, "prod")
    await store.add_rules(prod.id, [NewRule("nasa")], rule_limit=10)
    await store.set_account_stack(acme.id, "other")
    streams = await store.list_streams(stack="other")
    snapshot = await store.snapshot([s.id for s in streams])
    assert [r.value for r in snapshot.rules] == ["nasa"]

"""Contract: accounts, streams and credentials."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from powertrack.store import (
    DEFAULT_RULE_LIMIT,
    AlreadyExistsError,
    NotFoundError,
    RuleStore,
)


def recent(when: datetime) -> bool:
    return when.tzinfo is UTC and abs(datetime.now(UTC) - when) < timedelta(minutes=1)


async def test_accounts_are_created_read_and_listed(store: RuleStore) -> None:
    acme = await store.create_account("acme", connection_limit=2)
    globex = await store.create_account("Globex 🌐", connection_limit=1, rule_limit=10)
    assert acme.rule_limit == DEFAULT_RULE_LIMIT
    assert (globex.name, globex.connection_limit, globex.rule_limit) == ("Globex 🌐", 1, 10)
    assert recent(acme.created_at)
    assert await store.get_account("acme") == acme
    assert await store.get_account_by_id(globex.id) == globex
    assert await store.list_accounts() == [acme, globex]
    assert acme.id < globex.id


async def test_account_names_are_unique_and_exact(store: RuleStore) -> None:
    await store.create_account("acme", connection_limit=2)
    with pytest.raises(AlreadyExistsError, match="acme"):
        await store.create_account("acme", connection_limit=5)
    other = await store.create_account("ACME", connection_limit=1)
    assert (await store.get_account("ACME")).id == other.id
    assert len(await store.list_accounts()) == 2


async def test_missing_accounts_are_not_found(store: RuleStore) -> None:
    with pytest.raises(NotFoundError, match="nobody"):
        await store.get_account("nobody")
    with pytest.raises(NotFoundError, match="424242"):
        await store.get_account_by_id(424242)
    with pytest.raises(NotFoundError):
        await store.create_stream(424242, "prod")
    assert await store.list_accounts() == []


async def test_streams_are_created_read_and_listed(store: RuleStore) -> None:
    acme = await store.create_account("acme", connection_limit=2)
    globex = await store.create_account("globex", connection_limit=2)
    prod = await store.create_stream(acme.id, "prod")
    dev = await store.create_stream(acme.id, "dev")
    other = await store.create_stream(globex.id, "prod")
    assert (prod.account_id, prod.label) == (acme.id, "prod")
    assert recent(prod.created_at)
    assert await store.get_stream(acme.id, "dev") == dev
    assert await store.get_stream(globex.id, "prod") == other
    assert await store.get_stream_by_id(prod.id) == prod
    assert await store.list_streams() == [prod, dev, other]
    assert await store.list_streams(acme.id) == [prod, dev]
    assert await store.list_streams(globex.id) == [other]


async def test_stream_labels_are_unique_per_account(store: RuleStore) -> None:
    acme = await store.create_account("acme", connection_limit=2)
    await store.create_stream(acme.id, "prod")
    with pytest.raises(AlreadyExistsError, match="prod"):
        await store.create_stream(acme.id, "prod")
    assert len(await store.list_streams(acme.id)) == 1


async def test_missing_streams_are_not_found(store: RuleStore) -> None:
    acme = await store.create_account("acme", connection_limit=2)
    with pytest.raises(NotFoundError, match="prod"):
        await store.get_stream(acme.id, "prod")
    with pytest.raises(NotFoundError, match="99"):
        await store.get_stream_by_id(99)


async def test_credentials_round_trip(store: RuleStore) -> None:
    acme = await store.create_account("acme", connection_limit=2)
    prod = await store.create_stream(acme.id, "prod")
    salt, digest = bytes(range(16)), b"\x00\xff" * 16
    basic = await store.add_credential(
        key_id="acme",
        kind="basic",
        account_id=acme.id,
        stream_id=None,
        salt=salt,
        secret_hash=digest,
    )
    bearer = await store.add_credential(
        key_id="tok_1",
        kind="bearer",
        account_id=acme.id,
        stream_id=prod.id,
        salt=b"s",
        secret_hash=b"h",
    )
    assert await store.find_credential("acme") == basic
    assert await store.find_credential("tok_1") == bearer
    assert (basic.salt, basic.secret_hash, basic.stream_id) == (salt, digest, None)
    assert (bearer.kind, bearer.stream_id) == ("bearer", prod.id)
    assert recent(bearer.created_at)
    assert await store.find_credential("nope") is None


async def test_credential_key_ids_are_unique(store: RuleStore) -> None:
    acme = await store.create_account("acme", connection_limit=2)
    await store.add_credential(
        key_id="k", kind="basic", account_id=acme.id, stream_id=None, salt=b"1", secret_hash=b"1"
    )
    with pytest.raises(AlreadyExistsError):
        await store.add_credential(
            key_id="k",
            kind="basic",
            account_id=acme.id,
            stream_id=None,
            salt=b"2",
            secret_hash=b"2",
        )
    found = await store.find_credential("k")
    assert found is not None
    assert found.salt == b"1"


async def test_credentials_need_the_account_and_its_own_stream(store: RuleStore) -> None:
    acme = await store.create_account("acme", connection_limit=2)
    globex = await store.create_account("globex", connection_limit=2)
    theirs = await store.create_stream(globex.id, "prod")
    with pytest.raises(NotFoundError):
        await store.add_credential(
            key_id="a", kind="basic", account_id=999, stream_id=None, salt=b"", secret_hash=b""
        )
    with pytest.raises(NotFoundError):
        await store.add_credential(
            key_id="b",
            kind="bearer",
            account_id=acme.id,
            stream_id=theirs.id,
            salt=b"",
            secret_hash=b"",
        )
    assert await store.find_credential("a") is None
    assert await store.find_credential("b") is None

"""Issuing and verifying credentials against a real store."""

from __future__ import annotations

import pytest

from powertrack.accounts import is_valid_name
from powertrack.accounts.credentials import (
    hash_secret,
    issue_credential,
    split_presented,
    verify_basic,
    verify_bearer,
)
from powertrack.store import SQLiteRuleStore


async def _store() -> SQLiteRuleStore:
    store = SQLiteRuleStore(":memory:")
    await store.migrate()
    return store


async def test_bearer_token_verifies_and_is_stored_only_hashed() -> None:
    store = await _store()
    account = await store.create_account("acme", connection_limit=1)
    stream = await store.create_stream(account.id, "prod")
    credential, presented = await issue_credential(store, "bearer", account.id, stream.id)

    key_id, secret = presented.split(".", 1)
    assert key_id == credential.key_id
    assert key_id.startswith("pt")
    assert len(key_id) == 18
    stored = await store.find_credential(key_id)
    assert stored is not None
    assert secret.encode() not in stored.secret_hash + stored.salt
    assert stored.secret_hash == hash_secret(stored.salt, secret)
    assert len(stored.salt) == 16

    verified = await verify_bearer(store, presented)
    assert verified is not None
    assert verified.stream_id == stream.id
    await store.close()


async def test_wrong_or_malformed_secrets_do_not_verify() -> None:
    store = await _store()
    account = await store.create_account("acme", connection_limit=1)
    stream = await store.create_stream(account.id, "prod")
    _, token = await issue_credential(store, "bearer", account.id, stream.id)
    _, password = await issue_credential(store, "basic", account.id, None)
    key_id, secret = token.split(".", 1)

    for presented in (
        f"{key_id}.{secret[:-1]}x",
        f"pt0000000000000000.{secret}",
        key_id,
        "",
        ".",
        token + "x" * 300,
    ):
        assert await verify_bearer(store, presented) is None
    # A basic password is not a bearer token, and the reverse.
    assert await verify_bearer(store, password) is None
    assert await verify_basic(store, "acme", token) is None
    assert await verify_basic(store, "acme", password) == account
    assert await verify_basic(store, "other", password) is None
    await store.close()


async def test_two_issues_give_different_secrets() -> None:
    store = await _store()
    account = await store.create_account("acme", connection_limit=1)
    _, first = await issue_credential(store, "basic", account.id, None)
    _, second = await issue_credential(store, "basic", account.id, None)
    assert first != second
    assert await verify_basic(store, "acme", first) == account
    assert await verify_basic(store, "acme", second) == account
    await store.close()


async def test_kind_and_stream_must_agree() -> None:
    store = await _store()
    account = await store.create_account("acme", connection_limit=1)
    with pytest.raises(ValueError, match="bearer"):
        await issue_credential(store, "bearer", account.id, None)
    with pytest.raises(ValueError, match="basic"):
        await issue_credential(store, "basic", account.id, 1)
    await store.close()


def test_split_presented() -> None:
    assert split_presented("ptabc.s3cr.et") == ("ptabc", "s3cr.et")
    assert split_presented("nodot") is None
    assert split_presented(".secret") is None
    assert split_presented("key.") is None


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("acme", True),
        ("A_b-9", True),
        ("x" * 64, True),
        ("", False),
        ("x" * 65, False),
        ("a.b", False),
        ("a/b", False),
        ("a b", False),
        ("é", False),
    ],
)
def test_names(name: str, valid: bool) -> None:
    assert is_valid_name(name) is valid

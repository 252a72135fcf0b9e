"""Issuing and verifying credentials: stream bearer tokens and account passwords.

A client presents ``<key_id>.<secret>``. The key id is public: it finds the
stored credential. The secret is stored only as a salted hash and compared in
constant time, so a copy of the database does not let anyone authenticate.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final

from powertrack.store.errors import NotFoundError
from powertrack.store.models import Account, Credential, CredentialKind
from powertrack.store.protocol import RuleStore

__all__ = [
    "KEY_ID_PREFIX",
    "hash_secret",
    "issue_credential",
    "split_presented",
    "verify_basic",
    "verify_bearer",
]

KEY_ID_PREFIX: Final = "pt"
_KEY_ID_HEX_BYTES: Final = 8
_SECRET_BYTES: Final = 32
_SALT_BYTES: Final = 16
_SEPARATOR: Final = "."
# Presented strings longer than this are refused before any lookup, so that a
# client cannot make the server hash megabytes per request.
_MAX_PRESENTED_LENGTH: Final = 256

# Hashed when the key id matches nothing, so that an unknown key id costs the
# same work as a wrong secret.
_DUMMY_SALT: Final = bytes(_SALT_BYTES)
_DUMMY_HASH: Final = hashlib.sha256(b"").digest()


def hash_secret(salt: bytes, secret: str) -> bytes:
    """HMAC-SHA256 of ``secret`` keyed with ``salt``.

    A single fast hash is enough here: the secret is 256 random bits, not a
    password a person chose, so no dictionary or brute-force search can reach
    it and a slow key-derivation function would only cost CPU on every request.
    """
    return hmac.new(salt, secret.encode("utf-8"), hashlib.sha256).digest()


def split_presented(presented: str) -> tuple[str, str] | None:
    """``(key_id, secret)`` of a presented credential string, or None if malformed."""
    if len(presented) > _MAX_PRESENTED_LENGTH:
        return None
    key_id, separator, secret = presented.partition(_SEPARATOR)
    if not separator or not key_id or not secret:
        return None
    return key_id, secret


async def issue_credential(
    store: RuleStore, kind: CredentialKind, account_id: int, stream_id: int | None
) -> tuple[Credential, str]:
    """Create a credential; return it and the string to give the client, once.

    ``bearer`` credentials must name a stream; ``basic`` ones belong to the
    account and must not. The returned string is not stored anywhere.
    """
    if (kind == "bearer") != (stream_id is not None):
        raise ValueError("a bearer credential needs a stream; a basic one must not have one")
    key_id = KEY_ID_PREFIX + secrets.token_hex(_KEY_ID_HEX_BYTES)
    secret = secrets.token_urlsafe(_SECRET_BYTES)
    salt = secrets.token_bytes(_SALT_BYTES)
    credential = await store.add_credential(
        key_id=key_id,
        kind=kind,
        account_id=account_id,
        stream_id=stream_id,
        salt=salt,
        secret_hash=hash_secret(salt, secret),
    )
    return credential, f"{key_id}{_SEPARATOR}{secret}"


async def _verify(store: RuleStore, presented: str, kind: CredentialKind) -> Credential | None:
    parts = split_presented(presented)
    if parts is None:
        return None
    key_id, secret = parts
    credential = await store.find_credential(key_id)
    if credential is None:
        hmac.compare_digest(hash_secret(_DUMMY_SALT, secret), _DUMMY_HASH)
        return None
    matches = hmac.compare_digest(hash_secret(credential.salt, secret), credential.secret_hash)
    if not matches or credential.kind != kind:
        return None
    return credential


async def verify_bearer(store: RuleStore, presented: str) -> Credential | None:
    """The stream bearer credential ``presented`` proves, or None."""
    credential = await _verify(store, presented, "bearer")
    if credential is None or credential.stream_id is None:
        return None
    return credential


async def verify_basic(store: RuleStore, account_name: str, password: str) -> Account | None:
    """The account whose name and Basic-auth password these are, or None."""
    credential = await _verify(store, password, "basic")
    if credential is None:
        return None
    try:
        account = await store.get_account_by_id(credential.account_id)
    except NotFoundError:
        return None
    if not hmac.compare_digest(account.name.encode(), account_name.encode()):
        return None
    return account

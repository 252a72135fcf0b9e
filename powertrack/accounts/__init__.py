"""Customer accounts and their credentials: who may change which stream's rules."""

from __future__ import annotations

from powertrack.accounts.credentials import (
    hash_secret,
    issue_credential,
    split_presented,
    verify_basic,
    verify_bearer,
)
from powertrack.accounts.names import NAME_PATTERN, is_valid_name

__all__ = [
    "NAME_PATTERN",
    "hash_secret",
    "is_valid_name",
    "issue_credential",
    "split_presented",
    "verify_basic",
    "verify_bearer",
]

"""Bodies of the admin API, which creates accounts, streams and credentials."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from powertrack.accounts.names import NAME_PATTERN
from powertrack.store.models import DEFAULT_RULE_LIMIT, Account, Stream


class AccountIn(BaseModel):
    """A new account."""

    name: str = Field(pattern=NAME_PATTERN, description="Letters, digits, '_' and '-'; 1 to 64.")
    connections: int = Field(ge=1, description="Stream connections bought.")
    rule_limit: int = Field(default=DEFAULT_RULE_LIMIT, ge=1, description="Rules per stream.")


class StreamIn(BaseModel):
    """A new stream of an account."""

    label: str = Field(pattern=NAME_PATTERN, description="Letters, digits, '_' and '-'; 1 to 64.")


class AccountOut(BaseModel):
    """An account and the labels of its streams."""

    id: int
    name: str
    connections: int
    rule_limit: int
    created_at: datetime
    streams: list[str]

    @classmethod
    def of(cls, account: Account, streams: list[Stream]) -> AccountOut:
        """The public view of ``account``."""
        return cls(
            id=account.id,
            name=account.name,
            connections=account.connection_limit,
            rule_limit=account.rule_limit,
            created_at=account.created_at,
            streams=[stream.label for stream in streams],
        )


class StreamOut(BaseModel):
    """A stream."""

    id: int
    account: str
    label: str
    created_at: datetime

    @classmethod
    def of(cls, account: Account, stream: Stream) -> StreamOut:
        """The public view of ``stream``."""
        return cls(
            id=stream.id, account=account.name, label=stream.label, created_at=stream.created_at
        )


class BasicAuth(BaseModel):
    """Basic-auth credentials for the PowerTrack 2.0 API. The password is shown only
    in this answer: only its salted hash is stored."""

    username: str
    password: str


class AccountCreated(BaseModel):
    """A new account and its first Basic-auth password."""

    account: AccountOut
    basic_auth: BasicAuth


class AccountList(BaseModel):
    """Every account."""

    accounts: list[AccountOut]


class StreamCreated(BaseModel):
    """A new stream."""

    stream: StreamOut


class TokenCreated(BaseModel):
    """A bearer token for one stream (the X API v2 shape), shown only in this answer."""

    token: str
    stream: str
    account: str


class PasswordCreated(BaseModel):
    """Another Basic-auth password for an account, shown only in this answer."""

    basic_auth: BasicAuth

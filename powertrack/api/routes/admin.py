"""The admin API: accounts, streams and credentials. Every route needs the admin token.

Secrets are returned once, in the answer that creates them; the store keeps only
their salted hashes.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import APIRouter

from powertrack.accounts.credentials import issue_credential
from powertrack.api.deps import AdminAccess, ApiState, State
from powertrack.api.errors import ConflictError, NotFoundError
from powertrack.api.schemas.admin import (
    AccountCreated,
    AccountIn,
    AccountList,
    AccountOut,
    BasicAuth,
    PasswordCreated,
    StreamCreated,
    StreamIn,
    StreamOut,
    TokenCreated,
)
from powertrack.api.schemas.common import PlainError
from powertrack.store import errors as store_errors
from powertrack.store.models import Account, Stream

ADMIN_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": PlainError, "description": "Missing or wrong admin token."},
    403: {"model": PlainError, "description": "No admin token is configured on the server."},
    503: {
        "model": PlainError,
        "description": "The database is unreachable; nothing was changed.",
    },
}
"""The errors every admin endpoint may answer."""

router = APIRouter(
    prefix="/admin", tags=["admin"], dependencies=[AdminAccess], responses=ADMIN_RESPONSES
)

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": PlainError, "description": "No such account or stream."}
}
_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": PlainError, "description": "The name or label is taken."}
}


async def account_named(state: ApiState, name: str) -> Account:
    """The account called ``name``; 404 when there is none."""
    try:
        return await state.store.get_account(name)
    except store_errors.NotFoundError:
        raise NotFoundError(f"No account named {name!r}") from None


async def _stream(state: ApiState, account: Account, label: str) -> Stream:
    try:
        return await state.store.get_stream(account.id, label)
    except store_errors.NotFoundError:
        raise NotFoundError(f"Account {account.name!r} has no stream labelled {label!r}") from None


@router.post(
    "/accounts",
    status_code=201,
    response_model=AccountCreated,
    summary="Create an account and its first Basic-auth password",
    responses=_CONFLICT,
)
async def create_account(body: AccountIn, state: State) -> AccountCreated:
    """Create an account; the password in the answer is not shown again."""
    try:
        account = await state.store.create_account(
            body.name, connection_limit=body.connections, rule_limit=body.rule_limit
        )
    except store_errors.AlreadyExistsError:
        raise ConflictError(f"An account named {body.name!r} already exists") from None
    _, password = await issue_credential(state.store, "basic", account.id, None)
    return AccountCreated(
        account=AccountOut.of(account, []),
        basic_auth=BasicAuth(username=account.name, password=password),
    )


@router.get("/accounts", response_model=AccountList, summary="List accounts")
async def list_accounts(state: State) -> AccountList:
    """Every account with the labels of its streams."""
    accounts = await state.store.list_accounts()
    streams: defaultdict[int, list[Stream]] = defaultdict(list)
    for stream in await state.store.list_streams():
        streams[stream.account_id].append(stream)
    return AccountList(
        accounts=[AccountOut.of(account, streams[account.id]) for account in accounts]
    )


@router.post(
    "/accounts/{name}/streams",
    status_code=201,
    response_model=StreamCreated,
    summary="Create a stream (a rule set) for an account",
    responses=_NOT_FOUND | _CONFLICT,
)
async def create_stream(name: str, body: StreamIn, state: State) -> StreamCreated:
    """Create a stream with its own, empty, rule set."""
    account = await account_named(state, name)
    try:
        stream = await state.store.create_stream(account.id, body.label)
    except store_errors.AlreadyExistsError:
        raise ConflictError(
            f"Account {name!r} already has a stream labelled {body.label!r}"
        ) from None
    return StreamCreated(stream=StreamOut.of(account, stream))


@router.post(
    "/accounts/{name}/streams/{label}/tokens",
    status_code=201,
    response_model=TokenCreated,
    summary="Create a bearer token for one stream",
    responses=_NOT_FOUND,
)
async def create_token(name: str, label: str, state: State) -> TokenCreated:
    """Create a bearer token for the X API v2 endpoints; it is not shown again."""
    account = await account_named(state, name)
    stream = await _stream(state, account, label)
    _, token = await issue_credential(state.store, "bearer", account.id, stream.id)
    return TokenCreated(token=token, stream=stream.label, account=account.name)


@router.post(
    "/accounts/{name}/passwords",
    status_code=201,
    response_model=PasswordCreated,
    summary="Create another Basic-auth password for an account",
    responses=_NOT_FOUND,
)
async def create_password(name: str, state: State) -> PasswordCreated:
    """Create a password for the PowerTrack 2.0 endpoints; it is not shown again.
    Earlier passwords stay valid."""
    account = await account_named(state, name)
    _, password = await issue_credential(state.store, "basic", account.id, None)
    return PasswordCreated(basic_auth=BasicAuth(username=account.name, password=password))

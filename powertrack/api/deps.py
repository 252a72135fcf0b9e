"""Typed dependencies: the application's services and who is asking.

An account reaches only its own streams: a path naming another account, or a
label the account does not have, answers 404 exactly as a stream that does not
exist, so a client cannot learn which other accounts or streams exist.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Request
from fastapi.security import (
    HTTPAuthorizationCredentials,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
)

from powertrack.accounts.credentials import verify_basic, verify_bearer
from powertrack.api.errors import AdminDisabledError, AuthenticationError, NotFoundError
from powertrack.api.service import RulesService, StreamContext
from powertrack.settings import Settings
from powertrack.store import errors as store_errors
from powertrack.store.protocol import RuleStore

__all__ = [
    "AdminAccess",
    "ApiState",
    "PowerTrackStream",
    "Service",
    "State",
    "V2Stream",
]

BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="powertrack"'}
BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}
STREAM_NOT_FOUND = "No stream with this account name and label is available to these credentials"


@dataclass(frozen=True, slots=True)
class ApiState:
    """What every request handler shares; kept on ``app.state.powertrack``."""

    settings: Settings
    store: RuleStore
    service: RulesService


def get_state(request: Request) -> ApiState:
    """The application's shared state."""
    return cast(ApiState, request.app.state.powertrack)


State = Annotated[ApiState, Depends(get_state)]


def get_service(state: State) -> RulesService:
    """The rules service."""
    return state.service


Service = Annotated[RulesService, Depends(get_service)]

_basic = HTTPBasic(
    auto_error=False,
    scheme_name="PowerTrackBasic",
    realm="powertrack",
    description="The account name and one of its passwords (PowerTrack 2.0 API).",
)
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="StreamBearer",
    description="A bearer token bound to one stream (X API v2 shape).",
)
_admin = HTTPBearer(
    auto_error=False,
    scheme_name="AdminToken",
    description="The operator's admin token (setting POWERTRACK_ADMIN_TOKEN).",
)


async def powertrack_stream(
    account: str,
    label: str,
    state: State,
    credentials: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
) -> StreamContext:
    """The stream named by the path, if the Basic credentials are its account's."""
    if credentials is None:
        raise AuthenticationError(
            "Authentication required: send the account name and password with HTTP Basic "
            "authentication",
            headers=BASIC_CHALLENGE,
        )
    owner = await verify_basic(state.store, credentials.username, credentials.password)
    if owner is None:
        raise AuthenticationError(
            "Authentication failed: wrong account name or password", headers=BASIC_CHALLENGE
        )
    if owner.name != account:
        raise NotFoundError(STREAM_NOT_FOUND)
    try:
        stream = await state.store.get_stream(owner.id, label)
    except store_errors.NotFoundError:
        raise NotFoundError(STREAM_NOT_FOUND) from None
    return StreamContext(owner, stream)


PowerTrackStream = Annotated[StreamContext, Depends(powertrack_stream)]


async def v2_stream(
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> StreamContext:
    """The stream the bearer token is bound to."""
    # The X API answers every authentication failure with the same bare problem.
    failure = AuthenticationError("Unauthorized", headers=BEARER_CHALLENGE)
    if credentials is None:
        raise failure
    credential = await verify_bearer(state.store, credentials.credentials)
    if credential is None or credential.stream_id is None:
        raise failure
    try:
        stream = await state.store.get_stream_by_id(credential.stream_id)
        account = await state.store.get_account_by_id(stream.account_id)
    except store_errors.NotFoundError:
        raise failure from None
    return StreamContext(account, stream)


V2Stream = Annotated[StreamContext, Depends(v2_stream)]


async def require_admin(
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_admin)],
) -> None:
    """Refuse the request unless it carries the configured admin token."""
    expected = state.settings.admin_token
    if expected is None:
        raise AdminDisabledError(
            "The admin API is disabled: set POWERTRACK_ADMIN_TOKEN on the API server to enable it"
        )
    presented = credentials.credentials if credentials is not None else ""
    if not hmac.compare_digest(presented.encode(), expected.get_secret_value().encode()):
        raise AuthenticationError(
            "Admin authentication failed: send Authorization: Bearer <admin token>",
            headers=BEARER_CHALLENGE,
        )


AdminAccess = Depends(require_admin)
"""Put in a router's ``dependencies`` to make every route admin-only."""

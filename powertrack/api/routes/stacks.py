"""The admin API's stack moves: an account moved, live, to another stack of filter
nodes (a quarantine stack of its own, or back to ``main``). Admin token only.

The move is recorded and the account's streams moved in one transaction; the
filter nodes of both stacks then hand the account over (filter/handoff.py).
A node of the target stack must run on each side for the account to receive
matches there.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from powertrack.api.deps import AdminAccess, State
from powertrack.api.errors import ConflictError
from powertrack.api.routes.admin import ADMIN_RESPONSES, account_named
from powertrack.api.schemas.common import PlainError
from powertrack.api.schemas.stacks import MoveIn, MoveList, MoveOut
from powertrack.store import errors as store_errors

router = APIRouter(
    prefix="/admin", tags=["admin"], dependencies=[AdminAccess], responses=ADMIN_RESPONSES
)

_MOVE_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": PlainError, "description": "No such account."},
    409: {
        "model": PlainError,
        "description": "The account's previous move is not handed over yet, it is already "
        "on that stack, or it has no streams.",
    },
}


@router.post(
    "/accounts/{name}/stack",
    response_model=MoveOut,
    summary="Move an account's streams to another stack, live",
    responses=_MOVE_RESPONSES,
)
async def move_account(name: str, body: MoveIn, state: State) -> MoveOut:
    """Move every stream of the account to ``stack``; no match is lost or repeated."""
    account = await account_named(state, name)
    try:
        move = await state.store.move_account(
            account.id,
            body.stack,
            partitions=state.settings.firehose_partitions,
            sides=body.sides,
        )
    except (store_errors.MoveInProgressError, ValueError) as exc:
        raise ConflictError(str(exc)) from None
    return MoveOut.of(account.name, move)


@router.get("/moves", response_model=MoveList, summary="List moves between stacks")
async def list_moves(state: State, account: str | None = None) -> MoveList:
    """Every move (of one account, when given), oldest first, with its handoff's progress."""
    account_id = None
    if account is not None:
        account_id = (await account_named(state, account)).id
    moves = await state.store.list_moves(account_id)
    names = {a.id: a.name for a in await state.store.list_accounts()}
    return MoveList(moves=[MoveOut.of(names.get(m.account_id, "?"), m) for m in moves])

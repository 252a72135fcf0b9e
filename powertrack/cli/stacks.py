"""``powertrack stacks``: move an account to another stack of filter nodes, live.

``quarantine ACCOUNT`` moves it to ``q-ACCOUNT``, a stack of its own;
``quarantine ACCOUNT --back`` (or ``release ACCOUNT``) moves it back to
``main``; ``move ACCOUNT STACK`` moves it anywhere. Nodes of the target stack
(``powertrack filter --stack STACK``) must run on each side for the account to
receive matches there. The commands call the API's admin endpoints.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import typer

from powertrack.broker.topics import SIDES
from powertrack.cli.admin import AdminCommandError, admin_request, print_json
from powertrack.settings import Settings
from powertrack.store.models import DEFAULT_STACK, MAX_STACK_LENGTH

__all__ = ["quarantine_stack", "stacks_app"]

QUARANTINE_PREFIX = "q-"

stacks_app = typer.Typer(
    help="Stacks of filter nodes: move an account to one of its own and back, live.",
    no_args_is_help=True,
)

_SidesOption = Annotated[
    list[str] | None,
    typer.Option(
        "--side",
        help="A side whose handoff must finish before the account may move again (repeat).",
    ),
]


def quarantine_stack(account: str) -> str:
    """The stack an account is quarantined on; ``ValueError`` if the name is too long."""
    stack = f"{QUARANTINE_PREFIX}{account}"
    if len(stack) > MAX_STACK_LENGTH:
        raise ValueError(
            f"the quarantine stack {stack!r} would be over {MAX_STACK_LENGTH} characters: "
            f"use `powertrack stacks move {account} STACK` with a shorter name"
        )
    return stack


def _call(method: str, path: str, body: Any = None) -> None:
    try:
        print_json(admin_request(Settings(), method, path, body))
    except AdminCommandError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None


def _move(account: str, stack: str, sides: list[str] | None) -> None:
    body = {"stack": stack, "sides": sides or list(SIDES)}
    _call("POST", f"/admin/accounts/{quote(account, safe='')}/stack", body)


@stacks_app.command("move")
def move(
    account: str,
    stack: str,
    side: _SidesOption = None,
) -> None:
    """Move an account's streams to STACK without losing or repeating a match."""
    _move(account, stack, side)


@stacks_app.command("quarantine")
def quarantine(
    account: str,
    back: bool = typer.Option(False, "--back", help="Move the account back to main."),
    side: _SidesOption = None,
) -> None:
    """Move an account to a stack of its own, q-ACCOUNT (with --back: to main)."""
    if back:
        _move(account, DEFAULT_STACK, side)
        return
    try:
        stack = quarantine_stack(account)
    except ValueError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    _move(account, stack, side)


@stacks_app.command("release")
def release(
    account: str,
    side: _SidesOption = None,
) -> None:
    """Move a quarantined account back to main."""
    _move(account, DEFAULT_STACK, side)


@stacks_app.command("status")
def status(account: str | None = typer.Argument(None)) -> None:
    """Show moves between stacks (of one account) and each side's handoff progress."""
    path = "/admin/moves" if account is None else f"/admin/moves?account={quote(account)}"
    _call("GET", path)

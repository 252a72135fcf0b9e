"""Operator commands that create accounts, streams and credentials.

They call the running API's admin endpoints with the admin credential from
settings, so the same checks apply as for any other admin client, and a node
without database credentials can still administer powertrack.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import typer

from powertrack.settings import Settings

_TIMEOUT_S = 10.0


class AdminCommandError(Exception):
    """An admin command that could not be carried out; the message says why."""


def admin_request(settings: Settings, method: str, path: str, body: Any = None) -> Any:
    """Send one admin request; return the decoded JSON answer or raise AdminCommandError."""
    if settings.admin_token is None:
        raise AdminCommandError(
            "no admin credential: set POWERTRACK_ADMIN_TOKEN to the API's admin token"
        )
    url = settings.api_url.rstrip("/") + path
    headers = {"Authorization": f"Bearer {settings.admin_token.get_secret_value()}"}
    try:
        response = httpx.request(method, url, json=body, headers=headers, timeout=_TIMEOUT_S)
    except httpx.HTTPError as error:
        raise AdminCommandError(
            f"cannot reach the API at {settings.api_url} ({error}); "
            "start it with `powertrack api` or set POWERTRACK_API_URL"
        ) from error
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if response.is_success:
        return payload
    raise AdminCommandError(
        f"the API refused: {response.status_code} {_error_message(payload) or response.text}"
    )


def _error_message(payload: Any) -> str | None:
    if isinstance(payload, dict):
        for key in ("detail", "message", "error"):
            value = payload.get(key)
            if isinstance(value, str):
                return value
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return str(value["message"])
    return None


def print_json(payload: Any) -> None:
    """Print an answer as indented JSON."""
    typer.echo(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode())


accounts_app = typer.Typer(help="Customer accounts.", no_args_is_help=True)
streams_app = typer.Typer(help="An account's streams (rule sets).", no_args_is_help=True)
tokens_app = typer.Typer(help="Bearer tokens for a stream (X API v2 shape).", no_args_is_help=True)
passwords_app = typer.Typer(
    help="Basic-auth passwords for an account (PowerTrack 2.0 shape).", no_args_is_help=True
)


def _run(method: str, path: str, body: Any = None) -> None:
    try:
        print_json(admin_request(Settings(), method, path, body))
    except AdminCommandError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None


@accounts_app.command("create")
def create_account(
    name: str,
    connections: int = typer.Option(..., "--connections", min=1, help="Connections bought."),
    rule_limit: int | None = typer.Option(
        None, "--rule-limit", min=1, help="Rules per stream (default 250,000)."
    ),
) -> None:
    """Create an account; prints its Basic-auth password, shown only this once."""
    body: dict[str, Any] = {"name": name, "connections": connections}
    if rule_limit is not None:
        body["rule_limit"] = rule_limit
    _run("POST", "/admin/accounts", body)


@accounts_app.command("list")
def list_accounts() -> None:
    """List every account."""
    _run("GET", "/admin/accounts")


@streams_app.command("create")
def create_stream(account: str, label: str) -> None:
    """Create a stream (its own rule set) for an account."""
    _run("POST", f"/admin/accounts/{account}/streams", {"label": label})


@tokens_app.command("create")
def create_token(account: str, label: str) -> None:
    """Create a bearer token for one stream; printed only this once."""
    _run("POST", f"/admin/accounts/{account}/streams/{label}/tokens")


@passwords_app.command("create")
def create_password(account: str) -> None:
    """Create another Basic-auth password for an account; printed only this once."""
    _run("POST", f"/admin/accounts/{account}/passwords")

"""Entry point of the ``powertrack`` console script."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="powertrack",
    help="Real-time tweet filtering with PowerTrack rules.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command()
def validate(
    rules: Annotated[
        Path, typer.Argument(help="Rules file: JSON lines, or text lines with --text; - for stdin.")
    ],
    text: Annotated[bool, typer.Option("--text", help="One plain rule per line.")] = False,
) -> None:
    """Check rules; print every invalid rule with its errors.

    Exit status 0 when all rules are valid, 1 when any is invalid, 2 on unusable input.
    """
    from powertrack.cli.validate import run_validate

    raise typer.Exit(run_validate(rules, text_mode=text))


@app.command()
def match(
    rules: Annotated[
        Path | None,
        typer.Option("--rules", help="Rules file (JSON lines; default: bundled sample)."),
    ] = None,
    tweets: Annotated[
        Path | None,
        typer.Option(
            "--tweets", help="Tweets, one JSON per line, - for stdin (default: bundled sample)."
        ),
    ] = None,
    text: Annotated[
        bool, typer.Option("--text", help="Rules file has one plain rule per line.")
    ] = False,
) -> None:
    """Print one JSON line per matching tweet with the rules that matched it."""
    from powertrack.cli.match import run_match

    raise typer.Exit(run_match(rules, tweets, text_mode=text))


db_app = typer.Typer(help="The rule store's database.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("migrate")
def db_migrate() -> None:
    """Apply every schema migration not yet applied (POWERTRACK_DATABASE_URL)."""
    import asyncio

    from powertrack.cli.serve import migrate_store
    from powertrack.settings import Settings
    from powertrack.store import StoreUnavailableError

    settings = Settings()
    try:
        version = asyncio.run(migrate_store(settings))
    except StoreUnavailableError as error:
        typer.echo(f"error: the rule store is unavailable: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"schema at version {version}")


@app.command()
def api(
    migrate: Annotated[
        bool | None,
        typer.Option(
            "--migrate/--no-migrate",
            help="Apply schema migrations first (default: only for SQLite).",
        ),
    ] = None,
) -> None:
    """Serve the Rules API (settings from POWERTRACK_* variables)."""
    import logging

    from powertrack.cli.serve import run_api
    from powertrack.settings import Settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    raise typer.Exit(run_api(Settings(), migrate=migrate))


def _add_admin_commands() -> None:
    from powertrack.cli.admin import accounts_app, passwords_app, streams_app, tokens_app

    app.add_typer(accounts_app, name="accounts")
    app.add_typer(streams_app, name="streams")
    app.add_typer(tokens_app, name="tokens")
    app.add_typer(passwords_app, name="passwords")


_add_admin_commands()


def main() -> None:
    """Run the command line."""
    app()

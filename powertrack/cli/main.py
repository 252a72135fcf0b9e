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
    from powertrack.cli.serve import run_api
    from powertrack.logs import configure_logging
    from powertrack.settings import Settings

    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)
    raise typer.Exit(run_api(settings, migrate=migrate))


@app.command()
def broker(
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Listen port.")] = 9092,
) -> None:
    """Run the embedded Kafka-protocol broker (Tansu) on 127.0.0.1 until interrupted.

    Data lives in memory and goes with the broker. Other commands find it
    through POWERTRACK_KAFKA_BOOTSTRAP=127.0.0.1:PORT.
    """
    from powertrack.cli.broker import run_broker
    from powertrack.logs import configure_logging
    from powertrack.settings import Settings

    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)
    raise typer.Exit(run_broker(settings, port))


@app.command("filter")
def filter_node(
    side: Annotated[str, typer.Option("--side", help="A or B.")] = "A",
    stack: Annotated[
        str, typer.Option("--stack", help="The stack whose streams to serve.")
    ] = "main",
    bootstrap: Annotated[
        str | None,
        typer.Option("--bootstrap", help="Kafka bootstrap (default: POWERTRACK_KAFKA_BOOTSTRAP)."),
    ] = None,
) -> None:
    """Run a filter node of one side and stack until SIGTERM or SIGINT.

    It consumes the firehose in the group of its side and stack, matches
    every tweet against the rules of the stack's streams and publishes each
    match to the stream's topic of its side.
    """
    from powertrack.broker import SIDES
    from powertrack.cli.filter import run_filter
    from powertrack.logs import configure_logging
    from powertrack.settings import Settings

    settings = Settings()
    bootstrap = bootstrap or settings.kafka_bootstrap
    if side not in SIDES:
        raise typer.BadParameter("must be A or B", param_hint="--side")
    if not bootstrap:
        raise typer.BadParameter(
            "no broker: give --bootstrap or set POWERTRACK_KAFKA_BOOTSTRAP "
            "(`powertrack broker` runs an embedded one)",
            param_hint="--bootstrap",
        )
    configure_logging(settings.log_level, settings.log_json)
    raise typer.Exit(
        run_filter(
            settings,
            "A" if side == "A" else "B",
            stack,
            bootstrap=bootstrap,
            firehose_topic=settings.firehose_topic,
            metrics_port=settings.metrics_port,
            metrics_host=settings.metrics_host,
        )
    )


@app.command()
def up(
    rate: Annotated[
        float, typer.Option("--rate", min=0.1, help="Synthetic tweets per second on the firehose.")
    ] = 50.0,
) -> None:
    """Run everything in one process: broker, rule store, API and streams, Side A and
    Side B filter nodes, and a firehose of synthetic tweets, with a demo account.

    Embedded defaults (Tansu, SQLite, in-process leases) unless POWERTRACK_KAFKA_BOOTSTRAP,
    POWERTRACK_DATABASE_URL or POWERTRACK_ZOOKEEPER_HOSTS point elsewhere. Ctrl-C stops it.
    """
    from powertrack.cli.serve import run_service
    from powertrack.cli.up import run_up
    from powertrack.logs import configure_logging
    from powertrack.settings import Settings

    settings = Settings()
    configure_logging(
        "WARNING" if settings.log_level == "INFO" else settings.log_level, settings.log_json
    )
    raise typer.Exit(run_service(run_up(settings, rate=rate)))


def _add_stream_command() -> None:
    from powertrack.cli.stream import stream_command

    app.command("stream")(stream_command)


_add_stream_command()


def _add_command_groups() -> None:
    from powertrack.cli.admin import accounts_app, passwords_app, streams_app, tokens_app
    from powertrack.cli.firehose import firehose_app
    from powertrack.cli.stacks import stacks_app

    app.add_typer(accounts_app, name="accounts")
    app.add_typer(streams_app, name="streams")
    app.add_typer(tokens_app, name="tokens")
    app.add_typer(passwords_app, name="passwords")
    app.add_typer(firehose_app, name="firehose")
    app.add_typer(stacks_app, name="stacks")


_add_command_groups()


def main() -> None:
    """Run the command line."""
    app()

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


def main() -> None:
    """Run the command line."""
    app()

"""``powertrack firehose`` commands: argument checks and an unreachable broker."""

from __future__ import annotations

import socket

import pytest
from typer.testing import CliRunner

from powertrack.cli.firehose import firehose_app
from powertrack.samples import sample_tweets_path

runner = CliRunner()


def _closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["replay", "missing.jsonl", "--bootstrap", "x:1"], "no such file"),
        (["replay", str(sample_tweets_path()), "--bootstrap", "x:1", "--rate", "0"], "--rate"),
        (["generate", "--bootstrap", "x:1", "--format", "v3"], "--format"),
        (["generate", "--bootstrap", "x:1", "--worker-id", "1024"], "--worker-id"),
        (["generate", "--bootstrap", "x:1", "--topic", "no spaces"], "--topic"),
    ],
)
def test_unusable_arguments_exit_2(args: list[str], message: str) -> None:
    result = runner.invoke(firehose_app, args)
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.parametrize("command", [["generate", "--limit", "1"], ["replay", "-"]])
def test_an_unreachable_broker_exits_1(command: list[str]) -> None:
    args = [*command, "--bootstrap", _closed_port(), "--wait", "0.5"]
    result = runner.invoke(firehose_app, args, input=b"")
    assert result.exit_code == 1
    assert "error:" in result.output

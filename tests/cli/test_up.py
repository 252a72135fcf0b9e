"""`powertrack up` runs everything in one process; a client streams matches from it."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from tests.mysql import mysql_admin

START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 60.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _read_banner(process: subprocess.Popen[str]) -> dict[str, str]:
    """The banner's values, once `powertrack up` has printed it."""
    assert process.stdout is not None
    values: dict[str, str] = {}
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                errors = process.stderr.read() if process.stderr else ""
                pytest.fail(f"powertrack up exited with {process.returncode}:\n{errors[-3000:]}")
            continue
        key, _, value = line.strip().partition(": ")
        values[key] = value
        if key == "bearer token":
            return values
    pytest.fail("powertrack up printed no banner")


@pytest.fixture(params=["embedded", "services"])
def services_env(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """No addresses (Tansu, SQLite, in-process leases), or real services: a Kafka-
    protocol broker of its own, MariaDB and ZooKeeper."""
    if request.param == "embedded":
        yield {}
        return
    database = f"powertrack_up_{secrets.token_hex(4)}"
    try:
        yield {
            "POWERTRACK_KAFKA_BOOTSTRAP": request.getfixturevalue("kafka_bootstrap"),
            "POWERTRACK_DATABASE_URL": f"mysql://root@127.0.0.1:3306/{database}",
            "POWERTRACK_ZOOKEEPER_HOSTS": request.getfixturevalue("zookeeper_hosts"),
            "POWERTRACK_ZOOKEEPER_ROOT": f"/{database}",
            "POWERTRACK_FIREHOSE_TOPIC": f"firehose-{database}",
        }
    finally:
        admin = mysql_admin()
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{database}`")
        admin.close()


def test_up_serves_matches_to_a_stream_and_stops_cleanly(
    tmp_path: Path, services_env: dict[str, str]
) -> None:
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("POWERTRACK_")}
    env |= {"POWERTRACK_API_PORT": str(port), "POWERTRACK_FIREHOSE_PARTITIONS": "2"}
    env |= services_env
    process = subprocess.Popen(
        [sys.executable, "-m", "powertrack", "up", "--rate", "200"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        banner = _read_banner(process)
        token = banner["bearer token"]
        assert banner["demo account"].startswith("demo, stream prod with ")
        url = f"http://127.0.0.1:{port}/2/tweets/search/stream"
        received: list[dict[str, object]] = []
        deadline = time.monotonic() + START_TIMEOUT_S
        with httpx.stream(
            "GET", url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as response:
            assert response.status_code == 200
            for line in response.iter_lines():
                if line.strip():
                    received.append(orjson.loads(line))
                if len(received) >= 5 or time.monotonic() > deadline:
                    break
        assert len(received) >= 5
        for match in received:
            assert isinstance(match["data"], dict)
            rules = match["matching_rules"]
            assert isinstance(rules, list)
            assert rules
            assert all(isinstance(rule, dict) and {"id", "tag"} <= rule.keys() for rule in rules)

        rules_url = (
            f"http://127.0.0.1:{port}/rules/powertrack/accounts/demo/publishers/twitter/prod.json"
        )
        listed = httpx.get(rules_url, auth=("demo", banner["password"]))
        assert listed.status_code == 200
        assert len(listed.json()["rules"]) == int(banner["demo account"].split()[-2])
    finally:
        process.send_signal(signal.SIGINT)
        try:
            _, stderr = process.communicate(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            _, stderr = process.communicate()
            pytest.fail(f"powertrack up did not stop on SIGINT:\n{stderr[-2000:]}")
    assert process.returncode == 0, stderr[-2000:]
    assert "stopping" in stderr


async def test_a_part_that_fails_stops_everything_with_its_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from powertrack.cli.up import run_up
    from powertrack.filter.node import FilterNode
    from powertrack.settings import Settings

    run = FilterNode.run
    sides: list[str] = []

    async def failing_run(node: FilterNode) -> None:
        sides.append(node.config.side)
        if node.config.side == "B":
            await asyncio.sleep(0.5)
            raise RuntimeError("side B's node broke")
        await run(node)

    monkeypatch.setattr(FilterNode, "run", failing_run)
    for key in [key for key in os.environ if key.startswith("POWERTRACK_")]:
        monkeypatch.delenv(key)
    settings = Settings(api_port=_free_port(), database_url=f"sqlite:///{tmp_path / 'rules.db'}")
    with pytest.raises(RuntimeError, match="side B's node broke"):
        await asyncio.wait_for(run_up(settings, rate=50), STOP_TIMEOUT_S)
    assert sorted(sides) == ["A", "B"]

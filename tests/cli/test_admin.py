"""`powertrack api`, `db migrate` and the admin commands, as an operator runs them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import pytest
from typer.testing import CliRunner

from powertrack.cli.main import app

ADMIN_TOKEN = "cli-admin-token-0123456789"
START_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class RunningApi:
    url: str
    env: dict[str, str]


@pytest.fixture(scope="module")
def running_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApi]:
    """`powertrack api` in a subprocess on the embedded SQLite store."""
    port = free_port()
    database = tmp_path_factory.mktemp("api") / "rules.db"
    env = {
        **os.environ,
        "POWERTRACK_DATABASE_URL": f"sqlite:///{database}",
        "POWERTRACK_ADMIN_TOKEN": ADMIN_TOKEN,
        "POWERTRACK_API_PORT": str(port),
        "POWERTRACK_API_URL": f"http://127.0.0.1:{port}",
    }
    env.pop("POWERTRACK_ZOOKEEPER_HOSTS", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "powertrack", "api"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"powertrack api exited with {process.returncode}:\n{output}")
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("powertrack api did not answer /health")
            time.sleep(0.1)
        yield RunningApi(url, env)
    finally:
        process.terminate()
        process.wait(10)


def invoke(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_db_migrate_creates_the_schema(tmp_path: Path) -> None:
    env = {"POWERTRACK_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"}
    code, out, _ = invoke(env, "db", "migrate")
    assert code == 0
    assert out.startswith("schema at version ")
    version = out.split()[-1]
    code, again, _ = invoke(env, "db", "migrate")
    assert (code, again.split()[-1]) == (0, version)


def test_db_migrate_reports_an_unreachable_database() -> None:
    env = {
        "POWERTRACK_DATABASE_URL": f"mysql://root@127.0.0.1:{free_port()}/powertrack",
        "POWERTRACK_DATABASE_WAIT_TIMEOUT": "0.5",
    }
    code, _, err = invoke(env, "db", "migrate")
    assert code == 1
    assert "rule store is unavailable" in err


def test_accounts_streams_and_tokens_give_working_credentials(running_api: RunningApi) -> None:
    env = running_api.env
    code, out, _ = invoke(env, "accounts", "create", "acme", "--connections", "3")
    assert code == 0
    created = orjson.loads(out)
    assert created["account"]["name"] == "acme"
    assert created["account"]["connections"] == 3
    password = created["basic_auth"]["password"]

    code, out, _ = invoke(env, "streams", "create", "acme", "prod")
    assert code == 0
    assert orjson.loads(out)["stream"]["label"] == "prod"

    rules_url = f"{running_api.url}/rules/powertrack/accounts/acme/publishers/twitter/prod.json"
    added = httpx.post(
        rules_url, json={"rules": [{"value": "#mars", "tag": "red"}]}, auth=("acme", password)
    )
    assert added.status_code == 201
    assert added.json()["summary"] == {"created": 1, "not_created": 0}

    code, out, _ = invoke(env, "tokens", "create", "acme", "prod")
    assert code == 0
    token = orjson.loads(out)["token"]
    listed = httpx.get(
        f"{running_api.url}/2/tweets/search/stream/rules",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert listed.status_code == 200
    assert [rule["value"] for rule in listed.json()["data"]] == ["#mars"]

    code, out, _ = invoke(env, "accounts", "list")
    assert code == 0
    assert [account["name"] for account in orjson.loads(out)["accounts"]] == ["acme"]


def test_admin_commands_refuse_a_duplicate_and_an_unknown_account(
    running_api: RunningApi,
) -> None:
    env = running_api.env
    assert invoke(env, "accounts", "create", "dupe", "--connections", "1")[0] == 0
    code, _, err = invoke(env, "accounts", "create", "dupe", "--connections", "1")
    assert code == 1
    assert "409" in err
    code, _, err = invoke(env, "streams", "create", "nobody", "prod")
    assert code == 1
    assert "404" in err


def test_admin_commands_need_the_admin_credential(running_api: RunningApi) -> None:
    env = {**running_api.env, "POWERTRACK_ADMIN_TOKEN": "not-the-admin-token-at-all"}
    code, _, err = invoke(env, "accounts", "create", "mallory", "--connections", "1")
    assert code == 1
    assert "401" in err
    env.pop("POWERTRACK_ADMIN_TOKEN")
    code, _, err = invoke(env, "accounts", "list")
    assert code == 1
    assert "POWERTRACK_ADMIN_TOKEN" in err


def test_admin_commands_report_an_unreachable_api() -> None:
    env = {
        "POWERTRACK_ADMIN_TOKEN": ADMIN_TOKEN,
        "POWERTRACK_API_URL": f"http://127.0.0.1:{free_port()}",
    }
    code, _, err = invoke(env, "accounts", "list")
    assert code == 1
    assert "cannot reach the API" in err

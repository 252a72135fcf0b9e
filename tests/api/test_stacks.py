"""Stack moves through the admin API, and the ``powertrack stacks`` commands."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from powertrack.cli import stacks as stacks_cli
from powertrack.cli.admin import AdminCommandError
from powertrack.settings import Settings
from tests.api.support import ADMIN, Api


async def test_moving_an_account_records_the_move_and_moves_its_streams(api: Api) -> None:
    answer = await api.request(
        "POST",
        "/admin/accounts/acme/stack",
        json={"stack": "q-acme", "sides": ["A"]},
        headers=ADMIN,
    )
    assert answer.status_code == 200, answer.text
    move = answer.json()
    assert (move["account"], move["from_stack"], move["to_stack"]) == ("acme", "main", "q-acme")
    assert move["partitions"] == Settings(_env_file=None).firehose_partitions  # type: ignore[call-arg]
    assert move["complete"] is False
    assert move["sides"] == {"A": {"cut": 0, "started": 0, "done": 0, "complete": False}}
    assert move["progress"] == []
    acme = await api.store.get_account("acme")
    assert {s.stack for s in await api.store.list_streams(acme.id)} == {"q-acme"}

    listed = await api.request("GET", "/admin/moves", headers=ADMIN)
    assert listed.status_code == 200
    assert [m["id"] for m in listed.json()["moves"]] == [move["id"]]
    mine = await api.request("GET", "/admin/moves", params={"account": "globex"}, headers=ADMIN)
    assert mine.json()["moves"] == []

    # The handoff is not done: the account may not move again yet.
    again = await api.request(
        "POST", "/admin/accounts/acme/stack", json={"stack": "main"}, headers=ADMIN
    )
    assert again.status_code == 409
    assert "not handed over" in again.json()["detail"]


async def test_progress_is_shown_per_side(api: Api) -> None:
    answer = await api.request(
        "POST", "/admin/accounts/acme/stack", json={"stack": "q-acme"}, headers=ADMIN
    )
    move = answer.json()
    assert set(move["sides"]) == {"A", "B"}
    await api.store.record_cut(move["id"], "A", 0, 10)
    await api.store.record_start(move["id"], "A", 0, 10)
    await api.store.record_cut(move["id"], "A", 1, 10)
    listed = (await api.request("GET", "/admin/moves", headers=ADMIN)).json()["moves"]
    assert listed[0]["sides"]["A"] == {"cut": 2, "started": 1, "done": 1, "complete": False}
    assert listed[0]["progress"][0] == {
        "side": "A",
        "partition": 0,
        "cut": 10,
        "start": 10,
        "catchup_done": True,
    }


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/admin/accounts/nobody/stack", {"stack": "q"}, 404),
        ("/admin/accounts/acme/stack", {"stack": "main"}, 409),
        ("/admin/accounts/acme/stack", {"stack": "x" * 65}, 422),
        ("/admin/accounts/acme/stack", {"stack": "a b"}, 422),
        ("/admin/accounts/acme/stack", {"stack": "q", "sides": ["C"]}, 422),
        ("/admin/accounts/acme/stack", {"stack": "q", "sides": []}, 422),
    ],
)
async def test_bad_moves_are_refused(api: Api, path: str, body: Any, status: int) -> None:
    answer = await api.request("POST", path, json=body, headers=ADMIN)
    assert answer.status_code == status, answer.text
    assert await api.store.list_moves() == []


async def test_moves_need_the_admin_token(api: Api) -> None:
    answer = await api.request("POST", "/admin/accounts/acme/stack", json={"stack": "q"})
    assert answer.status_code == 401
    assert (await api.request("GET", "/admin/moves")).status_code == 401
    unknown = await api.request("GET", "/admin/moves", params={"account": "x"}, headers=ADMIN)
    assert unknown.status_code == 404


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, Any]]:
    made: list[tuple[str, str, Any]] = []

    def fake(settings: Settings, method: str, path: str, body: Any = None) -> Any:
        if "refuse" in path:
            raise AdminCommandError("the API refused: 409 busy")
        made.append((method, path, body))
        return {"ok": True}

    monkeypatch.setattr(stacks_cli, "admin_request", fake)
    return made


@pytest.mark.parametrize(
    ("args", "call"),
    [
        (["quarantine", "acme"], ("POST", "/admin/accounts/acme/stack", "q-acme", ["A", "B"])),
        (["quarantine", "acme", "--back"], ("POST", "/admin/accounts/acme/stack", "main", None)),
        (["release", "acme", "--side", "A"], ("POST", "/admin/accounts/acme/stack", "main", ["A"])),
        (["move", "acme", "big"], ("POST", "/admin/accounts/acme/stack", "big", None)),
        (["status"], ("GET", "/admin/moves", None, None)),
        (["status", "acme"], ("GET", "/admin/moves?account=acme", None, None)),
    ],
)
def test_the_commands_call_the_admin_api(
    calls: list[tuple[str, str, Any]], args: list[str], call: tuple[str, str, Any, Any]
) -> None:
    result = CliRunner().invoke(stacks_cli.stacks_app, args)
    assert result.exit_code == 0, result.output
    assert '"ok": true' in result.output
    [(method, path, body)] = calls
    assert (method, path) == call[:2]
    if call[2] is not None:
        assert body["stack"] == call[2]
        assert body["sides"] == (call[3] or ["A", "B"])


def test_a_quarantine_stack_name_must_fit(calls: list[tuple[str, str, Any]]) -> None:
    result = CliRunner().invoke(stacks_cli.stacks_app, ["quarantine", "a" * 63])
    assert result.exit_code == 1
    assert "64 characters" in result.output
    assert calls == []
    refused = CliRunner().invoke(stacks_cli.stacks_app, ["move", "refuse", "q"])
    assert refused.exit_code == 1
    assert "409 busy" in refused.output

"""The admin API: its credential, and creating accounts, streams and credentials."""

from __future__ import annotations

from typing import Any

import pytest

from powertrack.store import NotFoundError
from tests.api.conftest import ApiFactory
from tests.api.support import ADMIN, V2_RULES, Api


async def test_admin_requires_the_admin_token(api: Api) -> None:
    body = {"name": "initech", "connections": 1}
    missing = await api.request("POST", "/admin/accounts", json=body)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert "admin token" in missing.json()["detail"]

    wrong = await api.request(
        "POST", "/admin/accounts", json=body, headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 401
    basic = await api.request("GET", "/admin/accounts", auth=api.acme.basic)
    assert basic.status_code == 401
    with pytest.raises(NotFoundError):
        await api.store.get_account("initech")


async def test_admin_is_refused_when_no_token_is_configured(make_api: ApiFactory) -> None:
    api = await make_api(admin_token=None)
    for headers in ({}, ADMIN):
        answer = await api.request("GET", "/admin/accounts", headers=headers)
        assert answer.status_code == 403
        assert "POWERTRACK_ADMIN_TOKEN" in answer.json()["detail"]


async def test_create_account_shows_the_password_once_and_stores_it_hashed(api: Api) -> None:
    answer = await api.request(
        "POST",
        "/admin/accounts",
        json={"name": "initech", "connections": 3, "rule_limit": 10},
        headers=ADMIN,
    )
    assert answer.status_code == 201
    body = answer.json()
    account = body["account"]
    assert set(account) == {"id", "name", "connections", "rule_limit", "created_at", "streams"}
    assert account["name"] == "initech"
    assert account["connections"] == 3
    assert account["rule_limit"] == 10
    assert account["streams"] == []
    assert body["basic_auth"]["username"] == "initech"
    password = body["basic_auth"]["password"]
    key_id, secret = password.split(".", 1)
    stored = await api.store.find_credential(key_id)
    assert stored is not None
    assert stored.kind == "basic"
    assert secret.encode() not in stored.secret_hash
    assert password.encode() not in stored.secret_hash + stored.salt + stored.key_id.encode()

    listed = await api.request("GET", "/admin/accounts", headers=ADMIN)
    assert listed.status_code == 200
    assert password not in listed.text
    names = {item["name"]: item for item in listed.json()["accounts"]}
    assert names["acme"]["streams"] == ["prod", "dev"]
    assert names["acme"]["rule_limit"] == 250_000
    assert names["initech"]["streams"] == []


async def test_new_account_password_opens_the_powertrack_api(api: Api) -> None:
    created = await api.request(
        "POST", "/admin/accounts", json={"name": "initech", "connections": 1}, headers=ADMIN
    )
    password = created.json()["basic_auth"]["password"]
    stream = await api.request(
        "POST", "/admin/accounts/initech/streams", json={"label": "prod"}, headers=ADMIN
    )
    assert stream.status_code == 201
    assert set(stream.json()["stream"]) == {"id", "account", "label", "created_at"}
    assert stream.json()["stream"]["account"] == "initech"
    assert stream.json()["stream"]["label"] == "prod"
    url = "/rules/powertrack/accounts/initech/publishers/twitter/prod.json"
    listed = await api.request("GET", url, auth=("initech", password))
    assert listed.status_code == 200
    assert listed.json()["rules"] == []

    another = await api.request("POST", "/admin/accounts/initech/passwords", headers=ADMIN)
    assert another.status_code == 201
    second = another.json()["basic_auth"]
    assert second["username"] == "initech"
    assert second["password"] != password
    for each in (password, second["password"]):
        assert (await api.request("GET", url, auth=("initech", each))).status_code == 200


async def test_token_is_shown_once_and_bound_to_its_stream(api: Api) -> None:
    answer = await api.request("POST", "/admin/accounts/acme/streams/dev/tokens", headers=ADMIN)
    assert answer.status_code == 201
    body = answer.json()
    assert set(body) == {"token", "stream", "account"}
    assert body["stream"] == "dev"
    assert body["account"] == "acme"
    key_id, secret = body["token"].split(".", 1)
    stored = await api.store.find_credential(key_id)
    assert stored is not None
    assert stored.kind == "bearer"
    assert secret.encode() not in stored.secret_hash

    added = await api.request(
        "POST",
        V2_RULES,
        json={"add": [{"value": "dev only"}]},
        headers={"Authorization": f"Bearer {body['token']}"},
    )
    assert added.status_code == 201
    assert await api.rule_values(api.acme, "dev") == ["dev only"]
    assert await api.rule_values(api.acme, "prod") == []


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/admin/accounts", {"name": "acme", "connections": 1}, 409),
        ("/admin/accounts/acme/streams", {"label": "prod"}, 409),
        ("/admin/accounts/nobody/streams", {"label": "prod"}, 404),
        ("/admin/accounts/acme/streams/nope/tokens", None, 404),
        ("/admin/accounts/nobody/streams/prod/tokens", None, 404),
        ("/admin/accounts/nobody/passwords", None, 404),
        ("/admin/accounts", {"name": "bad name", "connections": 1}, 422),
        ("/admin/accounts", {"name": "x" * 65, "connections": 1}, 422),
        ("/admin/accounts", {"name": "ok", "connections": 0}, 422),
        ("/admin/accounts", {"name": "ok", "connections": 1, "rule_limit": 0}, 422),
        ("/admin/accounts/acme/streams", {"label": "has.dot"}, 422),
    ],
)
async def test_admin_errors(api: Api, path: str, body: dict[str, Any] | None, status: int) -> None:
    answer = await api.request("POST", path, json=body, headers=ADMIN)
    assert answer.status_code == status
    assert "detail" in answer.json()
    accounts = await api.store.list_accounts()
    assert [account.name for account in accounts] == ["acme", "globex"]
    assert len(await api.store.list_streams()) == 3

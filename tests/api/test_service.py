"""Database outages, the change signal, health, and the OpenAPI document."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, SecretStr

from powertrack.api import create_app
from powertrack.api.schemas import powertrack as pt
from powertrack.api.schemas import v2
from powertrack.api.schemas.common import PowerTrackError, V2InvalidRequest, V2Problem
from powertrack.settings import Settings
from tests.api.support import ADMIN, ADMIN_TOKEN, V2_RULES, Api


async def test_store_outage_answers_503_and_writes_nothing(api: Api) -> None:
    before = await api.signal_value()
    api.flaky.down = True
    answers: list[httpx.Response] = [
        await api.request(
            "POST", api.acme.rules_url(), json={"rules": [{"value": "lost"}]}, auth=api.acme.basic
        ),
        await api.request(
            "POST", V2_RULES, json={"add": [{"value": "lost"}]}, headers=api.acme.bearer()
        ),
        await api.request("GET", V2_RULES, headers=api.acme.bearer()),
        await api.request(
            "POST", "/admin/accounts", json={"name": "lost", "connections": 1}, headers=ADMIN
        ),
    ]
    assert [answer.status_code for answer in answers] == [503] * 4
    assert all(answer.headers["retry-after"] for answer in answers)
    powertrack, v2, _, admin = (answer.json() for answer in answers)
    assert "database cannot be reached" in powertrack["error"]["message"]
    assert "nothing was changed" in powertrack["error"]["message"]
    assert v2["title"] == "Service Unavailable"
    assert v2["status"] == 503
    assert "database cannot be reached" in v2["detail"]
    assert "database cannot be reached" in admin["detail"]

    health = await api.request("GET", "/health")
    assert health.status_code == 503
    assert health.json()["status"] == "unavailable"

    api.flaky.down = False
    assert (await api.request("GET", "/health")).json() == {"status": "ok"}
    assert await api.rule_values() == []
    assert [account.name for account in await api.store.list_accounts()] == ["acme", "globex"]
    assert await api.signal_value() == before


async def test_signal_is_notified_after_each_committed_change_only(api: Api) -> None:
    start = await api.signal_value()
    url = api.acme.rules_url()
    await api.request("POST", url, json={"rules": [{"value": "apple"}]}, auth=api.acme.basic)
    assert await api.signal_value() == start + 1
    await api.request("POST", url, json={"rules": [{"value": "apple"}]}, auth=api.acme.basic)
    assert await api.signal_value() == start + 1, "a duplicate changes nothing"
    await api.request("GET", url, auth=api.acme.basic)
    await api.request(
        "POST",
        V2_RULES,
        json={"add": [{"value": "pear"}]},
        params={"dry_run": "true"},
        headers=api.acme.bearer(),
    )
    await api.request("POST", V2_RULES, json={"add": [{"value": "("}]}, headers=api.acme.bearer())
    assert await api.signal_value() == start + 1
    await api.request(
        "POST", V2_RULES, json={"delete": {"values": ["apple"]}}, headers=api.acme.bearer()
    )
    assert await api.signal_value() == start + 2


class _BrokenSignal:
    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def notify(self) -> None:
        raise ConnectionError("coordination service down")

    def changes(self) -> AsyncIterator[int]:
        raise NotImplementedError


async def test_a_failed_signal_does_not_fail_a_committed_change(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(_env_file=None, admin_token=SecretStr(ADMIN_TOKEN))  # type: ignore[call-arg]
    app = create_app(settings, api.store, _BrokenSignal())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://pt.test") as client:
        answer = await client.post(
            V2_RULES, json={"add": [{"value": "kept"}]}, headers=api.acme.bearer()
        )
    assert answer.status_code == 201
    assert await api.rule_values() == ["kept"]
    assert "could not signal a rule change" in caplog.text


async def test_health(api: Api) -> None:
    answer = await api.request("GET", "/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


def _responses(schema: dict[str, Any], path: str, method: str) -> set[str]:
    return set(schema["paths"][path][method]["responses"])


async def test_openapi_documents_every_endpoint_and_error(api: Api) -> None:
    answer = await api.request("GET", "/openapi.json")
    assert answer.status_code == 200
    schema = answer.json()
    pt = "/rules/powertrack/accounts/{account}/publishers/twitter/{label}"
    assert set(schema["paths"]) == {
        f"{pt}.json",
        f"{pt}/validation.json",
        V2_RULES,
        f"{V2_RULES}/counts",
        "/admin/accounts",
        "/admin/accounts/{name}/streams",
        "/admin/accounts/{name}/streams/{label}/tokens",
        "/admin/accounts/{name}/passwords",
        "/admin/accounts/{name}/stack",
        "/admin/moves",
        "/healthz",
        "/readyz",
        "/metrics",
        "/health",
    }
    assert _responses(schema, f"{pt}.json", "get") == {"200", "401", "404", "429", "503"}
    assert _responses(schema, f"{pt}.json", "post") == {
        "200",
        "201",
        "400",
        "401",
        "404",
        "413",
        "422",
        "429",
        "503",
    }
    assert _responses(schema, f"{pt}/validation.json", "post") == {
        "200",
        "400",
        "401",
        "404",
        "413",
        "429",
        "503",
    }
    assert _responses(schema, V2_RULES, "get") == {"200", "400", "401", "429", "503"}
    assert _responses(schema, V2_RULES, "post") == {"200", "201", "400", "401", "429", "503"}
    assert _responses(schema, f"{V2_RULES}/counts", "get") == {"200", "400", "401", "429", "503"}
    assert _responses(schema, "/admin/accounts", "post") == {
        "201",
        "401",
        "403",
        "409",
        "422",
        "503",
    }
    assert _responses(schema, "/admin/accounts/{name}/streams/{label}/tokens", "post") >= {
        "201",
        "401",
        "403",
        "404",
        "503",
    }
    assert _responses(schema, "/health", "get") == {"200", "503"}
    assert schema["paths"][f"{pt}.json"]["post"]["requestBody"]
    schemes = schema["components"]["securitySchemes"]
    assert {"PowerTrackBasic", "StreamBearer", "AdminToken"} <= set(schemes)
    assert schema["paths"][f"{pt}.json"]["get"]["responses"]["429"]["headers"]["Retry-After"]


async def test_docs_page(api: Api) -> None:
    answer = await api.request("GET", "/docs")
    assert answer.status_code == 200
    assert "swagger" in answer.text.lower()


def _conforms(model: type[BaseModel], answer: httpx.Response) -> None:
    """The body parses into its documented model and carries no undocumented key."""
    body = answer.json()
    assert model.model_validate(body).model_dump(exclude_unset=True) == body


async def test_answers_conform_to_their_documented_models(api: Api) -> None:
    url, auth, bearer = api.acme.rules_url(), api.acme.basic, api.acme.bearer()
    rules = {"rules": [{"value": "apple", "tag": "t"}, {"value": "apple"}]}
    _conforms(pt.PowerTrackAddResponse, await api.request("POST", url, json=rules, auth=auth))
    invalid = {"rules": [{"value": "(x"}]}
    _conforms(pt.PowerTrackAddResponse, await api.request("POST", url, json=invalid, auth=auth))
    _conforms(pt.PowerTrackListResponse, await api.request("GET", url, auth=auth))
    delete = {"rules": [{"value": "apple"}, {"value": "gone"}], "rule_ids": [7]}
    _conforms(
        pt.PowerTrackDeleteResponse,
        await api.request("POST", url, params={"_method": "delete"}, json=delete, auth=auth),
    )
    validation = api.acme.rules_url(suffix="/validation.json")
    _conforms(
        pt.PowerTrackValidationResponse,
        await api.request(
            "POST", validation, json={"rules": [{"value": "ok"}, {"value": "("}]}, auth=auth
        ),
    )
    _conforms(PowerTrackError, await api.request("GET", url))

    add = {"add": [{"value": "pear", "tag": "t"}, {"value": "pear"}]}
    _conforms(v2.V2UpdateResponse, await api.request("POST", V2_RULES, json=add, headers=bearer))
    bad = {"add": [{"value": "("}]}
    _conforms(v2.V2UpdateResponse, await api.request("POST", V2_RULES, json=bad, headers=bearer))
    delete_v2 = {"delete": {"ids": ["1"], "values": ["pear"]}}
    _conforms(
        v2.V2UpdateResponse, await api.request("POST", V2_RULES, json=delete_v2, headers=bearer)
    )
    _conforms(v2.V2ListResponse, await api.request("GET", V2_RULES, headers=bearer))
    _conforms(v2.V2CountsResponse, await api.request("GET", V2_RULES + "/counts", headers=bearer))
    _conforms(V2Problem, await api.request("GET", V2_RULES))
    _conforms(
        V2InvalidRequest,
        await api.request("GET", V2_RULES, params={"max_results": 0}, headers=bearer),
    )

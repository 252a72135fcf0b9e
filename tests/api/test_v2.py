"""The X API v2 filtered-stream rules endpoints."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.api.support import V2_RULES, Api

SENT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
INVALID_REQUEST = "https://api.twitter.com/2/problems/invalid-request"


def without_sent(answer: httpx.Response) -> dict[str, Any]:
    """The body with ``meta.sent`` checked and removed."""
    body = answer.json()
    assert SENT.match(body["meta"].pop("sent"))
    return dict(body)


async def update(api: Api, body: Any, **params: str) -> httpx.Response:
    return await api.request("POST", V2_RULES, json=body, params=params, headers=api.acme.bearer())


async def get(api: Api, **params: str | int) -> httpx.Response:
    return await api.request("GET", V2_RULES, params=params, headers=api.acme.bearer())


async def test_add_returns_created_rules_with_string_ids(api: Api) -> None:
    before = await api.signal_value()
    answer = await update(
        api, {"add": [{"value": "cat has:images", "tag": "cats"}, {"value": "dog"}]}
    )
    assert answer.status_code == 201
    body = without_sent(answer)
    assert set(body) == {"data", "meta"}
    cat, dog = body["data"]
    assert cat == {"id": cat["id"], "value": "cat has:images", "tag": "cats"}
    assert dog == {"id": dog["id"], "value": "dog"}
    assert isinstance(cat["id"], str)
    assert cat["id"].isdigit()
    assert body["meta"] == {"summary": {"created": 2, "not_created": 0, "valid": 2, "invalid": 0}}
    assert await api.rule_values() == ["cat has:images", "dog"]
    assert await api.signal_value() == before + 1


async def test_duplicates_are_reported_as_duplicate_rule(api: Api) -> None:
    first = (await update(api, {"add": [{"value": "cat"}]})).json()["data"][0]
    answer = await update(api, {"add": [{"value": "cat", "tag": "again"}]})
    assert answer.status_code == 200
    assert without_sent(answer) == {
        "meta": {"summary": {"created": 0, "not_created": 1, "valid": 0, "invalid": 1}},
        "errors": [
            {
                "value": "cat",
                "id": first["id"],
                "title": "DuplicateRule",
                "type": "https://api.twitter.com/2/problems/duplicate-rules",
                "detail": "A rule with this value already exists",
            }
        ],
    }
    within = await update(api, {"add": [{"value": "owl"}, {"value": "owl"}]})
    assert within.status_code == 201
    body = within.json()
    assert [rule["value"] for rule in body["data"]] == ["owl"]
    assert body["errors"][0]["id"] == body["data"][0]["id"]
    assert await api.rule_values() == ["cat", "owl"]


async def test_invalid_rules_reject_the_batch(api: Api) -> None:
    before = await api.signal_value()
    answer = await update(
        api, {"add": [{"value": "fine"}, {"value": "apple OR"}, {"value": "x" * 2049}]}
    )
    assert answer.status_code == 400
    body = without_sent(answer)
    assert body["meta"] == {"summary": {"created": 0, "not_created": 3, "valid": 1, "invalid": 2}}
    assert "data" not in body
    invalid, too_long = body["errors"]
    assert invalid == {
        "value": "apple OR",
        "details": ["OR must join two clauses, as in apple OR banana (at position 7)"],
        "title": "UnprocessableEntity",
        "type": "https://api.twitter.com/2/problems/invalid-rules",
        "detail": "OR must join two clauses, as in apple OR banana (at position 7)",
    }
    assert too_long["title"] == "RuleLengthExceeded"
    assert too_long["type"] == "https://api.twitter.com/2/problems/rule-length"
    assert too_long["details"] == [
        "Rules are limited to 2048 characters; this one has 2049 (at position 2049)"
    ]
    assert await api.rule_values() == []
    assert await api.signal_value() == before


async def test_tag_length_limit(api: Api) -> None:
    answer = await update(api, {"add": [{"value": "ok", "tag": "t" * 256}]})
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["details"] == [
        "Tags are limited to 255 characters; this one has 256"
    ]
    assert await api.rule_values() == []


@pytest.mark.parametrize("flag", ["true", "True", "1"])
async def test_dry_run_writes_nothing(api: Api, flag: str) -> None:
    await update(api, {"add": [{"value": "kept"}]})
    before = await api.signal_value()
    added = await update(api, {"add": [{"value": "cat"}, {"value": "kept"}]}, dry_run=flag)
    assert added.status_code == 200
    body = without_sent(added)
    assert [rule["value"] for rule in body["data"]] == ["cat"]
    assert body["meta"]["summary"] == {"created": 1, "not_created": 1, "valid": 1, "invalid": 1}
    deleted = await update(api, {"delete": {"values": ["kept"]}}, dry_run=flag)
    assert without_sent(deleted)["meta"]["summary"] == {"deleted": 1, "not_deleted": 0}
    everything = await update(api, {}, delete_all="true", dry_run=flag)
    assert without_sent(everything)["meta"]["summary"] == {"deleted": 1, "not_deleted": 0}
    assert await api.rule_values() == ["kept"]
    assert await api.signal_value() == before


async def test_delete_by_ids_and_values(api: Api) -> None:
    data = (
        await update(api, {"add": [{"value": "alpha"}, {"value": "beta"}, {"value": "gamma"}]})
    ).json()["data"]
    by_ids = await update(api, {"delete": {"ids": [data[0]["id"], "99"]}})
    assert by_ids.status_code == 200
    assert without_sent(by_ids) == {
        "meta": {"summary": {"deleted": 1, "not_deleted": 1}},
        "errors": [
            {
                "title": "Invalid Request",
                "type": INVALID_REQUEST,
                "detail": "Rule does not exist",
                "parameter": "ids",
                "value": "99",
            }
        ],
    }
    by_values = await update(api, {"delete": {"values": ["beta", "zzz"]}})
    body = without_sent(by_values)
    assert body["meta"]["summary"] == {"deleted": 1, "not_deleted": 1}
    assert body["errors"][0]["parameter"] == "values"
    assert body["errors"][0]["value"] == "zzz"
    clean = await update(api, {"delete": {"values": ["gamma"]}})
    assert without_sent(clean) == {"meta": {"summary": {"deleted": 1, "not_deleted": 0}}}
    assert await api.rule_values() == []


async def test_delete_all(api: Api) -> None:
    await update(api, {"add": [{"value": "alpha"}, {"value": "beta"}]})
    before = await api.signal_value()
    answer = await update(api, None, delete_all="true")
    assert answer.status_code == 200
    assert without_sent(answer) == {"meta": {"summary": {"deleted": 2, "not_deleted": 0}}}
    assert await api.rule_values() == []
    assert await api.signal_value() == before + 1


@pytest.mark.parametrize(
    ("body", "params"),
    [
        ({}, {}),
        (None, {}),
        ({"add": [{"value": "a"}], "delete": {"values": ["a"]}}, {}),
        ({"add": [{"value": "a"}]}, {"delete_all": "true"}),
        ({"add": []}, {}),
        ({"delete": {}}, {}),
        ({"delete": {"ids": ["not-a-number"]}}, {}),
        ({"add": [{"tag": "no value"}]}, {}),
        ({"add": [{"value": "a"}]}, {"dry_run": "perhaps"}),
    ],
)
async def test_malformed_updates_answer_invalid_request(
    api: Api, body: Any, params: dict[str, str]
) -> None:
    answer = await update(api, body, **params)
    assert answer.status_code == 400
    problem = answer.json()
    assert problem["title"] == "Invalid Request"
    assert problem["type"] == INVALID_REQUEST
    assert problem["detail"] == "One or more parameters to your request was invalid."
    (error,) = problem["errors"][:1]
    assert set(error) == {"parameters", "message"}
    assert await api.rule_values() == []


async def test_malformed_json_answers_invalid_request(api: Api) -> None:
    answer = await api.request(
        "POST",
        V2_RULES,
        content=b'{"add": [',
        headers={**api.acme.bearer(), "Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    assert answer.json()["type"] == INVALID_REQUEST
    assert "not valid JSON" in answer.json()["errors"][0]["message"]


async def test_list_has_no_data_key_when_empty(api: Api) -> None:
    answer = await get(api)
    assert answer.status_code == 200
    assert without_sent(answer) == {"meta": {"result_count": 0}}


async def test_list_paginates_with_max_results_and_pagination_token(api: Api) -> None:
    values = [f"rule{i}" for i in range(5)]
    await update(api, {"add": [{"value": value} for value in values]})
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"max_results": 2}
        if token:
            params["pagination_token"] = token
        body = without_sent(await get(api, **params))
        pages += 1
        seen += [rule["value"] for rule in body["data"]]
        assert body["meta"]["result_count"] == len(body["data"])
        token = body["meta"].get("next_token")
        if token is None:
            break
    assert seen == values
    assert pages == 3

    everything = without_sent(await get(api))
    assert [rule["value"] for rule in everything["data"]] == values
    assert everything["meta"] == {"result_count": 5}


async def test_list_by_ids(api: Api) -> None:
    data = (
        await update(api, {"add": [{"value": "alpha"}, {"value": "beta"}, {"value": "gamma"}]})
    ).json()["data"]
    body = without_sent(await get(api, ids=f"{data[2]['id']},{data[0]['id']},77"))
    assert body["data"] == [data[0], data[2]]


@pytest.mark.parametrize(
    "params",
    [{"max_results": 0}, {"max_results": 1001}, {"pagination_token": "!!"}, {"ids": "1,x"}],
)
async def test_list_refuses_bad_parameters(api: Api, params: dict[str, str | int]) -> None:
    answer = await get(api, **params)
    assert answer.status_code == 400
    problem = answer.json()
    assert problem["type"] == INVALID_REQUEST
    assert list(problem["errors"][0]["parameters"]) == [next(iter(params))]


async def test_counts(api: Api) -> None:
    await update(api, {"add": [{"value": "alpha"}, {"value": "beta"}]})
    await api.request(
        "POST", V2_RULES, json={"add": [{"value": "gamma"}]}, headers=api.acme.bearer("dev")
    )
    answer = await api.request("GET", V2_RULES + "/counts", headers=api.acme.bearer())
    assert answer.status_code == 200
    assert answer.json()["data"] == {
        "cap_per_client_app": "250000",
        "cap_per_project": "500000",
        "client_app_rules_count": {"client_app_id": "prod", "rule_count": 2},
        "project_rules_count": "3",
        "all_project_client_apps": [
            {"client_app_id": "prod", "rule_count": 2},
            {"client_app_id": "dev", "rule_count": 1},
        ],
    }
    assert SENT.match(answer.json()["meta"]["sent"])


@pytest.mark.parametrize("path", [V2_RULES, V2_RULES + "/counts"])
async def test_bearer_failures_answer_401(api: Api, path: str) -> None:
    key_id = api.acme.tokens["prod"].split(".")[0]
    for headers in (
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": f"Bearer {key_id}.wrong"},
        {"Authorization": f"Bearer {api.acme.password}"},
    ):
        answer = await api.request("GET", path, headers=headers)
        assert answer.status_code == 401
        assert answer.json() == {
            "title": "Unauthorized",
            "detail": "Unauthorized",
            "type": "about:blank",
            "status": 401,
        }
    basic = await api.request("GET", path, auth=api.acme.basic)
    assert basic.status_code == 401


async def test_a_token_reaches_only_its_own_stream(api: Api) -> None:
    await update(api, {"add": [{"value": "acme rule"}]})
    globex = {"Authorization": f"Bearer {api.globex.tokens['prod']}"}
    listed = await api.request("GET", V2_RULES, headers=globex)
    assert "data" not in listed.json()
    acme_id = (await get(api)).json()["data"][0]["id"]
    deleted = await api.request(
        "POST", V2_RULES, json={"delete": {"ids": [acme_id]}}, headers=globex
    )
    assert deleted.json()["meta"]["summary"] == {"deleted": 0, "not_deleted": 1}
    await api.request("POST", V2_RULES, params={"delete_all": "true"}, headers=globex)
    assert await api.rule_values() == ["acme rule"]

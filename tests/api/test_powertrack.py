"""The PowerTrack 2.0 rules endpoints: shapes, batches, deletes, validation, access."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.api.support import Api

SENT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def sent(answer: httpx.Response) -> dict[str, Any]:
    """The body without its ``sent`` timestamp, after checking the timestamp's form."""
    body = dict(answer.json())
    stamp = body.pop("sent", None) or body["error"]["sent"]
    assert SENT.match(stamp), stamp
    return body


async def add(api: Api, *rules: dict[str, Any]) -> httpx.Response:
    return await api.request(
        "POST", api.acme.rules_url(), json={"rules": list(rules)}, auth=api.acme.basic
    )


async def test_list_is_empty_then_lists_rules_with_numeric_and_string_ids(api: Api) -> None:
    empty = await api.request("GET", api.acme.rules_url(), auth=api.acme.basic)
    assert empty.status_code == 200
    assert sent(empty) == {"rules": []}

    await add(api, {"value": "apple", "tag": "fruit"}, {"value": "#kale"})
    listed = await api.request("GET", api.acme.rules_url(), auth=api.acme.basic)
    rules = sent(listed)["rules"]
    assert [(rule["value"], rule["tag"]) for rule in rules] == [("apple", "fruit"), ("#kale", None)]
    for rule in rules:
        assert set(rule) == {"value", "tag", "id", "id_str"}
        assert isinstance(rule["id"], int)
        assert rule["id_str"] == str(rule["id"])
        assert rule["id"] > 2**53, "ids are 64-bit snowflakes, exact only as JSON integers"
    assert f'"id":{rules[0]["id"]},' in listed.text


async def test_add_reports_created_and_duplicates(api: Api) -> None:
    first = await add(api, {"value": "apple", "tag": "a"})
    assert first.status_code == 201
    existing = sent(first)["detail"][0]["rule"]

    answer = await add(
        api,
        {"value": "banana", "tag": "b"},
        {"value": "apple", "tag": "new tag"},
        {"value": "banana"},
    )
    assert answer.status_code == 201
    body = sent(answer)
    assert body["summary"] == {"created": 1, "not_created": 2}
    created, duplicate, repeated = body["detail"]
    banana_id = created["rule"]["id"]
    assert created == {
        "rule": {"value": "banana", "tag": "b", "id": banana_id, "id_str": str(banana_id)},
        "created": True,
    }
    assert duplicate == {
        "rule": {
            "value": "apple",
            "tag": "new tag",
            "id": existing["id"],
            "id_str": existing["id_str"],
        },
        "created": False,
        "message": "A rule with this value already exists",
    }
    assert repeated["created"] is False
    assert repeated["rule"]["id"] == banana_id
    assert repeated["message"] == "A rule with this value already exists"
    assert await api.rule_values() == ["apple", "banana"]
    listed = sent(await api.request("GET", api.acme.rules_url(), auth=api.acme.basic))
    assert [rule["tag"] for rule in listed["rules"]] == ["a", "b"], "tags are never updated"


async def test_add_reads_the_body_as_json_whatever_its_content_type(api: Api) -> None:
    answer = await api.request(
        "POST",
        api.acme.rules_url(),
        content=b'{"rules":[{"value":"curl -d"}]}',
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=api.acme.basic,
    )
    assert answer.status_code == 201
    assert await api.rule_values() == ["curl -d"]


async def test_one_invalid_rule_rejects_the_batch_with_errors_and_positions(api: Api) -> None:
    await add(api, {"value": "existing"})
    before = await api.signal_value()
    answer = await add(
        api,
        {"value": "fine"},
        {"value": "apple OR", "tag": "t"},
        {"value": "-cats"},
        {"value": "ok", "tag": "x" * 256},
    )
    assert answer.status_code == 422
    body = sent(answer)
    assert body["summary"] == {"created": 0, "not_created": 4}
    assert [item["rule"] for item in body["detail"]] == [
        {"value": "apple OR", "tag": "t"},
        {"value": "-cats", "tag": None},
        {"value": "ok", "tag": "x" * 256},
    ]
    or_error, negation, tag = body["detail"]
    assert or_error["created"] is False
    assert or_error["errors"] == [
        {"message": "OR must join two clauses, as in apple OR banana", "position": 7}
    ]
    assert or_error["message"] == "OR must join two clauses, as in apple OR banana (at position 7)"
    assert negation["errors"] == [
        {"message": "Rules must contain a non-negation term", "position": 1}
    ]
    assert tag["errors"] == [
        {"message": "Tags are limited to 255 characters; this one has 256", "position": None}
    ]
    assert await api.rule_values() == ["existing"]
    assert await api.signal_value() == before


async def test_rule_length_limit(api: Api) -> None:
    answer = await add(api, {"value": "a" * 2048}, {"value": "b" * 2049})
    assert answer.status_code == 422
    (detail,) = sent(answer)["detail"]
    assert detail["rule"]["value"] == "b" * 2049
    assert detail["errors"][0] == {
        "message": "Rules are limited to 2048 characters; this one has 2049",
        "position": 2049,
    }
    assert await api.rule_values() == []
    assert (await add(api, {"value": "a" * 2048, "tag": "t" * 255})).status_code == 201


async def test_method_get_returns_the_rules_asked_for(api: Api) -> None:
    added = sent(await add(api, {"value": "one"}, {"value": "two"}, {"value": "three"}))
    ids = [item["rule"]["id"] for item in added["detail"]]
    answer = await api.request(
        "POST",
        api.acme.rules_url(),
        params={"_method": "get"},
        json={"rule_ids": [ids[2], ids[0], 12345]},
        auth=api.acme.basic,
    )
    assert answer.status_code == 200
    body = sent(answer)
    assert [rule["value"] for rule in body["rules"]] == ["one", "three"]
    assert body["rules"][0] == {"value": "one", "tag": None, "id": ids[0], "id_str": str(ids[0])}


async def test_delete_by_value_and_by_id_reports_rules_that_do_not_exist(api: Api) -> None:
    added = sent(await add(api, {"value": "one"}, {"value": "two"}, {"value": "three"}))
    one_id = added["detail"][0]["rule"]["id"]
    before = await api.signal_value()

    by_value = await api.request(
        "POST",
        api.acme.rules_url(),
        params={"_method": "delete"},
        json={"rules": [{"value": "two"}, {"value": "Pizza"}]},
        auth=api.acme.basic,
    )
    assert by_value.status_code == 200
    assert sent(by_value) == {
        "summary": {"deleted": 1, "not_deleted": 1},
        "detail": [
            {
                "rule": {"value": "Pizza", "tag": None},
                "deleted": False,
                "message": "Rule does not exist",
            }
        ],
    }
    assert await api.signal_value() == before + 1

    by_id = await api.request(
        "POST",
        api.acme.rules_url(),
        params={"_method": "delete"},
        json={"rule_ids": [one_id, 42]},
        auth=api.acme.basic,
    )
    assert sent(by_id) == {
        "summary": {"deleted": 1, "not_deleted": 1},
        "detail": [
            {
                "rule": {"value": "", "tag": None, "id": 42, "id_str": "42"},
                "deleted": False,
                "message": "Rule does not exist",
            }
        ],
    }
    assert await api.rule_values() == ["three"]

    nothing = await api.request(
        "POST",
        api.acme.rules_url(),
        params={"_method": "delete"},
        json={"rule_ids": [42]},
        auth=api.acme.basic,
    )
    assert sent(nothing)["summary"] == {"deleted": 0, "not_deleted": 1}
    assert await api.signal_value() == before + 2, "no signal when nothing was deleted"


async def test_validation_endpoint_checks_without_adding(api: Api) -> None:
    before = await api.signal_value()
    answer = await api.request(
        "POST",
        api.acme.rules_url(suffix="/validation.json"),
        json={"rules": [{"value": "apple", "tag": "t"}, {"value": "(apple"}]},
        auth=api.acme.basic,
    )
    assert answer.status_code == 200
    body = sent(answer)
    assert body["summary"] == {"valid": 1, "not_valid": 1}
    valid, invalid = body["detail"]
    assert valid == {"rule": {"value": "apple", "tag": "t"}, "valid": True}
    assert invalid["rule"] == {"value": "(apple", "tag": None}
    assert invalid["valid"] is False
    assert invalid["errors"] == [
        {"message": "Unbalanced parentheses: this '(' is never closed", "position": 1}
    ]
    assert invalid["message"] == "Unbalanced parentheses: this '(' is never closed (at position 1)"
    assert await api.rule_values() == []
    assert await api.signal_value() == before


@pytest.mark.parametrize(
    ("params", "content", "expected"),
    [
        ({}, b'{"rules": [', 'Invalid JSON. The body must be in the format {"rules":'),
        ({}, b'{"rule_ids": [1]}', 'Invalid JSON. The body must be in the format {"rules":'),
        ({}, b'{"rules": [{"tag": "no value"}]}', "rules.0.value: Field required"),
        ({"_method": "get"}, b'{"rules": []}', 'format {"rule_ids": [rule_id1'),
        ({"_method": "delete"}, b"{}", '{"value":"rule2"}]} or {"rule_ids"'),
        ({"_method": "delete"}, b"[1, 2", "not valid JSON"),
        ({"_method": "put"}, b'{"rules": []}', "_method"),
    ],
)
async def test_malformed_requests_answer_400(
    api: Api, params: dict[str, str], content: bytes, expected: str
) -> None:
    answer = await api.request(
        "POST", api.acme.rules_url(), params=params, content=content, auth=api.acme.basic
    )
    assert answer.status_code == 400
    body = sent(answer)
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "sent"}
    assert expected in body["error"]["message"]
    assert await api.rule_values() == []


async def test_authentication_failures_answer_401(api: Api) -> None:
    url = api.acme.rules_url()
    for auth in (None, ("acme", "wrong"), ("acme", api.globex.password), ("nobody", "x.y")):
        answer = await api.request("GET", url, auth=auth)
        assert answer.status_code == 401, auth
        assert answer.headers["www-authenticate"].startswith("Basic")
        assert "message" in sent(answer)["error"]
    bearer = await api.request("GET", url, headers=api.acme.bearer())
    assert bearer.status_code == 401


async def test_other_accounts_streams_answer_404_like_missing_ones(api: Api) -> None:
    await api.request(
        "POST", api.globex.rules_url(), json={"rules": [{"value": "secret"}]}, auth=api.globex.basic
    )
    answers = [
        await api.request(method, url, auth=api.acme.basic, json=body)
        for method, url, body in (
            ("GET", api.globex.rules_url(), None),
            ("POST", api.globex.rules_url(), {"rules": [{"value": "intrusion"}]}),
            ("GET", api.acme.rules_url(label="staging"), None),
            ("GET", api.globex.rules_url(label="staging"), None),
            ("GET", api.acme.rules_url().replace("acme", "nobody"), None),
            ("POST", api.globex.rules_url(suffix="/validation.json"), {"rules": []}),
        )
    ]
    assert {answer.status_code for answer in answers} == {404}
    assert len({sent(answer)["error"]["message"] for answer in answers}) == 1
    assert await api.rule_values(api.globex) == ["secret"]


async def test_each_stream_has_its_own_rules(api: Api) -> None:
    await add(api, {"value": "production"})
    dev = await api.request(
        "POST", api.acme.rules_url("dev"), json={"rules": [{"value": "dev"}]}, auth=api.acme.basic
    )
    assert dev.status_code == 201
    assert await api.rule_values(label="prod") == ["production"]
    assert await api.rule_values(label="dev") == ["dev"]

"""Limits: body size (413), rule requests per minute (429), rules per stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from powertrack.api.limits import MovingWindowRateLimiter, RateLimitExceededError
from tests.api.conftest import ApiFactory
from tests.api.support import ADMIN, V2_RULES

LIMIT = 2048


def _rules_body(size: int) -> bytes:
    padding = "x" * (size - len('{"rules":[{"value":"big","tag":""}]}'))
    return f'{{"rules":[{{"value":"big","tag":"{padding}"}}]}}'.encode()


async def test_bodies_over_the_limit_answer_413_in_each_shape(make_api: ApiFactory) -> None:
    api = await make_api(max_request_bytes=LIMIT)
    url = api.acme.rules_url()
    at_limit = await api.request("POST", url, content=_rules_body(LIMIT), auth=api.acme.basic)
    assert at_limit.status_code == 422, "a body at the limit is read (its tag is too long)"

    over = await api.request("POST", url, content=_rules_body(LIMIT + 1), auth=api.acme.basic)
    assert over.status_code == 413
    assert f"{LIMIT} bytes" in over.json()["error"]["message"]

    v2 = await api.request(
        "POST",
        V2_RULES,
        content=b"[" + b" " * LIMIT + b"]",
        headers={**api.acme.bearer(), "Content-Type": "application/json"},
    )
    assert v2.status_code == 413
    assert v2.json()["status"] == 413
    assert f"{LIMIT} bytes" in v2.json()["detail"]

    admin = await api.request("POST", "/admin/accounts", content=b" " * (LIMIT + 1), headers=ADMIN)
    assert admin.status_code == 413
    assert f"{LIMIT} bytes" in admin.json()["detail"]
    assert await api.rule_values() == []


async def test_a_chunked_body_is_cut_off_at_the_limit(make_api: ApiFactory) -> None:
    api = await make_api(max_request_bytes=LIMIT)

    async def chunks() -> AsyncIterator[bytes]:
        body = _rules_body(LIMIT * 4)
        for start in range(0, len(body), 512):
            yield body[start : start + 512]

    answer = await api.request("POST", api.acme.rules_url(), content=chunks(), auth=api.acme.basic)
    assert answer.status_code == 413
    assert "error" in answer.json()
    assert await api.rule_values() == []


async def test_rule_requests_are_rate_limited_per_account(make_api: ApiFactory) -> None:
    api = await make_api(rule_requests_per_minute=3)
    url = api.acme.rules_url()
    for _ in range(2):
        assert (await api.request("GET", url, auth=api.acme.basic)).status_code == 200
    # The v2 shape counts against the same account's limit.
    assert (await api.request("GET", V2_RULES, headers=api.acme.bearer("dev"))).status_code == 200

    limited = await api.request(
        "POST", url, json={"rules": [{"value": "late"}]}, auth=api.acme.basic
    )
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert "3 rule requests per 60 seconds" in limited.json()["error"]["message"]
    v2 = await api.request("GET", V2_RULES, headers=api.acme.bearer())
    assert v2.status_code == 429
    assert v2.json()["title"] == "Too Many Requests"
    assert v2.headers["retry-after"]
    assert await api.rule_values() == []

    other = await api.request("GET", api.globex.rules_url(), auth=api.globex.basic)
    assert other.status_code == 200, "each account has its own limit"
    assert (await api.request("GET", "/admin/accounts", headers=ADMIN)).status_code == 200


def test_moving_window() -> None:
    now = [0.0]
    limiter = MovingWindowRateLimiter(2, 60.0, clock=lambda: now[0])
    limiter.hit("a")
    now[0] = 30.0
    limiter.hit("a")
    limiter.hit("b")
    now[0] = 59.0
    with pytest.raises(RateLimitExceededError) as refused:
        limiter.hit("a")
    assert refused.value.retry_after_s == pytest.approx(1.0)
    assert refused.value.retry_after_header == "1"
    now[0] = 60.0
    limiter.hit("a")
    with pytest.raises(RateLimitExceededError) as again:
        limiter.hit("a")
    assert again.value.retry_after_s == pytest.approx(30.0)


async def test_rule_cap_adds_nothing(make_api: ApiFactory) -> None:
    api = await make_api(acme_rule_limit=2)
    url = api.acme.rules_url()
    first = await api.request("POST", url, json={"rules": [{"value": "one"}]}, auth=api.acme.basic)
    assert first.status_code == 201
    before = await api.signal_value()

    over = await api.request(
        "POST", url, json={"rules": [{"value": "two"}, {"value": "three"}]}, auth=api.acme.basic
    )
    assert over.status_code == 422
    message = over.json()["error"]["message"]
    assert message.startswith("Request exceeds account's Rule Limit.")
    assert "Rule limit of 2" in message

    v2 = await api.request(
        "POST",
        V2_RULES,
        json={"add": [{"value": "two"}, {"value": "three"}]},
        headers=api.acme.bearer(),
    )
    assert v2.status_code == 400
    body = v2.json()
    assert body["meta"]["summary"] == {"created": 0, "not_created": 2, "valid": 2, "invalid": 0}
    (problem,) = body["errors"]
    assert problem["title"] == "RulesCapExceeded"
    assert problem["type"] == "https://api.twitter.com/2/problems/rule-cap"
    assert await api.rule_values() == ["one"]
    assert await api.signal_value() == before

    # A duplicate does not count against the cap, and the last free place can be used.
    fits = await api.request(
        "POST", url, json={"rules": [{"value": "one"}, {"value": "two"}]}, auth=api.acme.basic
    )
    assert fits.status_code == 201
    assert await api.rule_values() == ["one", "two"]
    other = await api.request(
        "POST", api.acme.rules_url("dev"), json={"rules": [{"value": "three"}]}, auth=api.acme.basic
    )
    assert other.status_code == 201, "the limit is per stream"


async def test_concurrent_adds_never_exceed_the_rule_cap(make_api: ApiFactory) -> None:
    api = await make_api(acme_rule_limit=5)
    answers = await asyncio.gather(
        *(
            api.request(
                "POST",
                V2_RULES,
                json={"add": [{"value": f"rule{i}"}]},
                headers=api.acme.bearer(),
            )
            for i in range(12)
        )
    )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] * 5 + [400] * 7
    assert len(await api.rule_values()) == 5

"""The API's operations endpoints: /metrics, /healthz and /readyz."""

from __future__ import annotations

from typing import cast

from prometheus_client.parser import text_string_to_metric_families

from powertrack.api import create_app
from powertrack.metrics import Metrics
from powertrack.settings import Settings
from powertrack.store import RuleStore
from powertrack.web.ops import HEALTHZ_PATH, METRICS_PATH, READYZ_PATH
from tests.api.conftest import ApiFactory
from tests.api.support import V2_RULES, Api


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_healthz_answers_while_the_store_is_down(api: Api) -> None:
    assert (await api.request("GET", HEALTHZ_PATH)).json() == {"status": "alive"}
    api.flaky.down = True
    answer = await api.request("GET", HEALTHZ_PATH)
    assert answer.status_code == 200
    assert answer.json() == {"status": "alive"}


async def test_readyz_is_503_naming_the_store_while_it_is_down(api: Api) -> None:
    answer = await api.request("GET", READYZ_PATH)
    assert answer.status_code == 200
    assert answer.json() == {"status": "ready", "checks": {"rule_store": "ok"}}
    api.flaky.down = True
    answer = await api.request("GET", READYZ_PATH)
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "not ready"
    assert body["not_ready"] == ["rule_store"]
    assert "unreachable" in body["checks"]["rule_store"]
    api.flaky.down = False
    assert (await api.request("GET", READYZ_PATH)).status_code == 200
    # The old probe path keeps answering.
    assert (await api.request("GET", "/health")).status_code == 200


async def test_readyz_checks_every_given_dependency(make_api: ApiFactory) -> None:
    api = await make_api()
    broker_up = True

    async def broker() -> None:
        if not broker_up:
            raise ConnectionError("no broker")

    async def zookeeper() -> None:
        raise ConnectionError("not connected to ZooKeeper")

    app = create_app(
        Settings(_env_file=None),  # type: ignore[call-arg]
        cast(RuleStore, api.flaky),
        readiness={"broker": broker, "zookeeper": zookeeper},
    )
    api.app = app
    answer = await api.request("GET", READYZ_PATH)
    assert answer.status_code == 503
    assert answer.json()["not_ready"] == ["zookeeper"]
    assert answer.json()["checks"] == {
        "rule_store": "ok",
        "broker": "ok",
        "zookeeper": "ConnectionError: not connected to ZooKeeper",
    }
    broker_up = False
    assert (await api.request("GET", READYZ_PATH)).json()["not_ready"] == ["broker", "zookeeper"]


async def test_metrics_count_rule_requests_by_shape_and_outcome(make_api: ApiFactory) -> None:
    api = await make_api()
    metrics = Metrics()
    api.app = create_app(
        Settings(_env_file=None, admin_token=None),  # type: ignore[call-arg]
        cast(RuleStore, api.flaky),
        metrics=metrics,
    )
    acme = api.acme
    assert (await api.request("GET", acme.rules_url(), auth=acme.basic)).status_code == 200
    assert (await api.request("GET", acme.rules_url(), auth=acme.basic)).status_code == 200
    assert (await api.request("GET", V2_RULES, headers=acme.bearer())).status_code == 200
    assert (await api.request("GET", V2_RULES)).status_code == 401
    assert (await api.request("GET", HEALTHZ_PATH)).status_code == 200

    answer = await api.request("GET", METRICS_PATH)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    samples = _samples(answer.text)
    requests = {
        labels: value
        for (name, labels), value in samples.items()
        if name == "powertrack_rule_requests_total"
    }
    assert requests == {
        (("outcome", "ok"), ("shape", "powertrack")): 2,
        (("outcome", "ok"), ("shape", "v2")): 1,
        (("outcome", "rejected"), ("shape", "v2")): 1,
    }


async def test_every_app_has_a_registry_of_its_own(make_api: ApiFactory) -> None:
    first, second = await make_api(), await make_api()
    await first.request("GET", first.acme.rules_url(), auth=first.acme.basic)
    text = (await second.request("GET", METRICS_PATH)).text
    assert "powertrack_rule_requests_total{" not in text
    assert "# TYPE powertrack_stream_connections gauge" in text

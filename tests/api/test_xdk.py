"""The official X Python SDK (xdk) manages rules on powertrack, over a real socket."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from xdk import Client
from xdk.schemas import UpdateRulesAdd, UpdateRulesDelete
from xdk.stream.models import UpdateRulesRequest

from tests.api.support import Api

START_TIMEOUT_S = 10.0


@pytest.fixture
def server_url(api: Api) -> Iterator[str]:
    """Serve the app with uvicorn on a free loopback port in a background thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(api.app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(START_TIMEOUT_S)
        sock.close()


def test_xdk_adds_lists_and_deletes_rules(api: Api, server_url: str) -> None:
    client = Client(bearer_token=api.acme.tokens["prod"], base_url=server_url)
    values = ["cat has:images", "dog", "#owl", "from:xdev", "fox lang:en"]

    added = client.stream.update_rules(
        body=UpdateRulesRequest(add=[UpdateRulesAdd(value=value, tag="sdk") for value in values])
    )
    assert [rule.value for rule in added.data] == values
    assert all(rule.tag == "sdk" and rule.id.isdigit() for rule in added.data)
    assert added.meta.summary == {"created": 5, "not_created": 0, "valid": 5, "invalid": 0}
    assert asyncio.run(api.rule_values()) == values

    pages = list(client.stream.get_rules(max_results=2))
    assert [page.meta.result_count for page in pages] == [2, 2, 1]
    listed = [rule for page in pages for rule in page.data]
    assert [rule.value for rule in listed] == values
    assert [rule.id for rule in listed] == [rule.id for rule in added.data]

    counts = client.stream.get_rule_counts()
    assert counts.data.client_app_rules_count.rule_count == 5
    assert counts.data.cap_per_client_app == "250000"

    dry = client.stream.update_rules(
        body=UpdateRulesRequest(delete=UpdateRulesDelete(values=["dog"])), dry_run=True
    )
    assert dry.meta.summary == {"deleted": 1, "not_deleted": 0}
    assert asyncio.run(api.rule_values()) == values

    deleted = client.stream.update_rules(
        body=UpdateRulesRequest(delete=UpdateRulesDelete(ids=[listed[0].id, listed[1].id]))
    )
    assert deleted.meta.summary == {"deleted": 2, "not_deleted": 0}
    assert asyncio.run(api.rule_values()) == values[2:]

    by_value = client.stream.update_rules(
        body=UpdateRulesRequest(delete=UpdateRulesDelete(values=["#owl"]))
    )
    assert by_value.meta.summary == {"deleted": 1, "not_deleted": 0}

    cleared = client.stream.update_rules(body=UpdateRulesRequest(), delete_all=True)
    assert cleared.meta.summary == {"deleted": 2, "not_deleted": 0}
    assert asyncio.run(api.rule_values()) == []
    (empty,) = client.stream.get_rules()
    assert empty.data is None
    assert empty.meta.result_count == 0

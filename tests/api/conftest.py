"""Fixtures for the Rules API tests: the app over a real SQLite store and signal.

Async tests are plain ``async def`` functions, each run in its own event loop
by :func:`pytest_pyfunc_call` below; the store is not bound to a loop. Requests
go through httpx's ASGI transport, so no server is started (except by the SDK
test, which needs a real socket).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, cast

import pytest

from powertrack.api import create_app
from powertrack.coordination.memory import LocalRuleChangeSignal
from powertrack.settings import Settings
from powertrack.store import RuleStore, SQLiteRuleStore
from tests.api.support import ADMIN_TOKEN, Api, FlakyStore, make_tenant

ApiFactory = Callable[..., Coroutine[Any, Any, Api]]


@pytest.fixture
def make_api() -> Iterator[ApiFactory]:
    """Build an app over a fresh in-memory store holding two accounts: ``acme``
    (streams prod and dev) and ``globex`` (stream prod). Keyword arguments
    override settings; ``acme_rule_limit`` sets acme's rule limit."""
    stores: list[RuleStore] = []

    async def build(acme_rule_limit: int = 250_000, **overrides: Any) -> Api:
        store = SQLiteRuleStore(":memory:")
        stores.append(store)
        await store.migrate()
        acme = await make_tenant(store, "acme", ("prod", "dev"), acme_rule_limit)
        globex = await make_tenant(store, "globex", ("prod",), 250_000)
        values: dict[str, Any] = {"admin_token": ADMIN_TOKEN, **overrides}
        settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
        flaky = FlakyStore(store)
        signal = LocalRuleChangeSignal()
        app = create_app(settings, cast(RuleStore, flaky), signal)
        return Api(app, store, flaky, signal, acme, globex)

    yield build
    for store in stores:
        asyncio.run(store.close())


@pytest.fixture
def api(make_api: ApiFactory) -> Api:
    """The app with default settings."""
    return asyncio.run(make_api())

"""Helpers of the Rules API tests: the app under test, its accounts, a failing store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import httpx
from fastapi import FastAPI

from powertrack.accounts.credentials import issue_credential
from powertrack.coordination.memory import LocalRuleChangeSignal
from powertrack.store import RuleStore, StoreUnavailableError

ADMIN_TOKEN = "test-admin-token-0123456789"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
PT_BASE = "/rules/powertrack/accounts/{account}/publishers/twitter/{label}"
V2_RULES = "/2/tweets/search/stream/rules"


class FlakyStore:
    """A store that raises ``StoreUnavailableError`` from every method while ``down``,
    as a store does when its database cannot be reached."""

    def __init__(self, store: RuleStore) -> None:
        self.store = store
        self.down = False

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.store, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            if self.down:
                raise StoreUnavailableError("injected: database unreachable")
            return await method(*args, **kwargs)

        return call


@dataclass
class Tenant:
    """An account of the fixture with its Basic password and a token per stream."""

    name: str
    password: str
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def basic(self) -> httpx.BasicAuth:
        """Basic credentials for the PowerTrack endpoints."""
        return httpx.BasicAuth(self.name, self.password)

    def bearer(self, label: str = "prod") -> dict[str, str]:
        """The Authorization header for the v2 endpoints of one stream."""
        return {"Authorization": f"Bearer {self.tokens[label]}"}

    def rules_url(self, label: str = "prod", suffix: str = ".json") -> str:
        """The PowerTrack rules URL of one of this account's streams."""
        return PT_BASE.format(account=self.name, label=label) + suffix


async def make_tenant(
    store: RuleStore, name: str, labels: tuple[str, ...], rule_limit: int
) -> Tenant:
    """Create an account with a password, and streams with a token each."""
    account = await store.create_account(name, connection_limit=2, rule_limit=rule_limit)
    _, password = await issue_credential(store, "basic", account.id, None)
    tenant = Tenant(name, password)
    for label in labels:
        stream = await store.create_stream(account.id, label)
        _, tenant.tokens[label] = await issue_credential(store, "bearer", account.id, stream.id)
    return tenant


@dataclass
class Api:
    """The app under test and what it was built on."""

    app: FastAPI
    store: RuleStore
    flaky: FlakyStore
    signal: LocalRuleChangeSignal
    acme: Tenant
    globex: Tenant

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request to the app, without a server."""
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pt.test") as client:
            return await client.request(method, url, **kwargs)

    async def signal_value(self) -> int:
        """The signal's counter now: it grows by one per committed rule change."""
        changes = self.signal.changes()
        try:
            return await anext(changes)
        finally:
            await cast(Any, changes).aclose()

    async def rule_values(self, tenant: Tenant | None = None, label: str = "prod") -> list[str]:
        """The values of the active rules of a stream, read from the store."""
        owner = await self.store.get_account((tenant or self.acme).name)
        stream = await self.store.get_stream(owner.id, label)
        return [rule.value for rule in await self.store.get_rules(stream.id)]

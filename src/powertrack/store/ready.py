"""Waiting for the database at start-up."""

from __future__ import annotations

from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_delay,
    wait_exponential,
)

from powertrack.store.errors import StoreUnavailableError
from powertrack.store.protocol import RuleStore

__all__ = ["wait_until_ready"]


async def wait_until_ready(store: RuleStore, timeout: float) -> None:
    """Ping ``store`` until it answers, for at most ``timeout`` seconds.

    A database started alongside powertrack (a container, a CI service) may
    take a few seconds to accept connections. After ``timeout`` the last
    :class:`StoreUnavailableError` is raised.
    """
    retrying = AsyncRetrying(
        stop=stop_after_delay(timeout),
        wait=wait_exponential(multiplier=0.05, max=2.0),
        retry=retry_if_exception_type(StoreUnavailableError),
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            await store.ping()

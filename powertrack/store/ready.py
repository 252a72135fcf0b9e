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

__all__ = ["migrate_when_ready", "wait_until_ready"]


async def wait_until_ready(store: RuleStore, timeout: float) -> None:
    """Ping ``store`` until it answers, for at most ``timeout`` seconds.

    A database started alongside powertrack (a container, a CI service) may
    take a few seconds to accept connections. After ``timeout`` the last
    :class:`StoreUnavailableError` is raised.
    """
    async for attempt in _until_available(timeout):
        with attempt:
            await store.ping()


async def migrate_when_ready(store: RuleStore, timeout: float) -> int:
    """Apply the migrations as soon as the database answers, for at most ``timeout``
    seconds; return the schema version.

    Unlike :func:`wait_until_ready` this does not ping first: a MySQL database
    that does not exist yet fails a ping, and migrating is what creates it.
    """
    async for attempt in _until_available(timeout):
        with attempt:
            return await store.migrate()
    raise AssertionError("unreachable: tenacity reraises the last error")


def _until_available(timeout: float) -> AsyncRetrying:
    """Attempts, backing off, while the store is unavailable and ``timeout`` lasts;
    the last ``StoreUnavailableError`` is raised after it."""
    return AsyncRetrying(
        stop=stop_after_delay(timeout),
        wait=wait_exponential(multiplier=0.05, max=2.0),
        retry=retry_if_exception_type(StoreUnavailableError),
        reraise=True,
    )

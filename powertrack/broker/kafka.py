"""An external Kafka cluster, as production runs it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Final

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_fixed

from powertrack.broker import _admin
from powertrack.broker.errors import BrokerError, BrokerUnavailableError
from powertrack.broker.protocol import BrokerCapabilities, TopicSpec

__all__ = ["KafkaBroker"]

log = logging.getLogger(__name__)

# One fixed id rather than one per probe: each transactional id a broker has
# seen stays in its transaction log until it expires (7 days by default).
PROBE_TRANSACTIONAL_ID: Final = "powertrack-capability-probe"
_RETRY_WAIT_SECONDS: Final = 0.25


class KafkaBroker:
    """A Kafka cluster powertrack does not run: it only checks, probes and adds topics.

    :meth:`start` waits up to ``wait_timeout`` seconds for the cluster to
    answer (long enough for a cluster started alongside powertrack), then
    probes its optional features; each request gets ``request_timeout``
    seconds.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        wait_timeout: float = 10.0,
        request_timeout: float = 10.0,
    ) -> None:
        if not bootstrap_servers.strip():
            raise ValueError("bootstrap_servers is empty")
        self._bootstrap_servers = bootstrap_servers
        self.wait_timeout = wait_timeout
        self.request_timeout = request_timeout
        self._capabilities: BrokerCapabilities | None = None
        # Set while the cluster had no partition to probe offsets_for_times on.
        self._offsets_probe_pending = False

    def __repr__(self) -> str:
        return f"KafkaBroker({self._bootstrap_servers!r})"

    @property
    def bootstrap_servers(self) -> str:
        """The bootstrap address this broker was made with."""
        return self._bootstrap_servers

    @property
    def capabilities(self) -> BrokerCapabilities:
        """The cluster's optional features, as probed by :meth:`start`."""
        if self._capabilities is None:
            raise BrokerError(f"{self!r} has not been started")
        return self._capabilities

    async def start(self) -> None:
        """Wait for the cluster to answer, then probe what it supports.

        Raises ``BrokerUnavailableError`` if it does not answer within
        ``wait_timeout`` seconds.
        """
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_delay(self.wait_timeout),
                wait=wait_fixed(_RETRY_WAIT_SECONDS),
                retry=retry_if_exception_type(BrokerUnavailableError),
                reraise=True,
            ):
                with attempt:
                    await _admin.check_reachable(self._bootstrap_servers, self.request_timeout)
        except BrokerUnavailableError as exc:
            raise BrokerUnavailableError(f"{exc} (waited {self.wait_timeout} s)") from exc
        self._capabilities = await self._probe()
        log.info("Kafka at %s: %s", self._bootstrap_servers, self._capabilities)

    async def stop(self) -> None:
        """Forget the probed capabilities; the cluster itself keeps running."""
        self._capabilities = None

    async def ensure_topics(self, topics: Sequence[TopicSpec]) -> None:
        """Create the missing ones of ``topics``; existing topics are left as they are."""
        self._check_started()
        await _admin.ensure_topics(self._bootstrap_servers, topics, self.request_timeout)
        if self._offsets_probe_pending and topics:
            self._capabilities = await self._probe()

    async def list_topics(self) -> set[str]:
        """The names of the cluster's topics, Kafka's internal ones left out."""
        self._check_started()
        return await _admin.list_topics(self._bootstrap_servers, self.request_timeout)

    async def _probe(self) -> BrokerCapabilities:
        bootstrap, timeout = self._bootstrap_servers, self.request_timeout
        idempotent = await _admin.producer_starts(bootstrap, timeout, enable_idempotence=True)
        # Transactions build on producer ids: without idempotence there are none.
        transactions = idempotent and await _admin.producer_starts(
            bootstrap, timeout, transactional_id=PROBE_TRANSACTIONAL_ID
        )
        counts = await _admin.partition_counts(bootstrap, timeout)
        topic = next((name for name in sorted(counts) if counts[name] > 0), None)
        # With no partition anywhere there is nothing to ask; assume the
        # feature missing (code must work without it) until a topic exists.
        self._offsets_probe_pending = topic is None
        offsets_for_times = topic is not None and await _admin.probe_offsets_for_times(
            bootstrap, topic, 0, timeout
        )
        return BrokerCapabilities(
            idempotent_producer=idempotent,
            transactions=transactions,
            offsets_for_times=offsets_for_times,
        )

    def _check_started(self) -> None:
        if self._capabilities is None:
            raise BrokerError(f"{self!r} has not been started")

"""The interface between powertrack and its Kafka cluster.

``Broker`` owns the cluster's lifecycle as far as powertrack is concerned: an
embedded broker is started and stopped with it, an external cluster is only
checked and probed. Producing and consuming go through aiokafka clients made
from :attr:`Broker.bootstrap_servers`; the Protocol covers what the clients do
not: readiness, topic creation, and which optional Kafka features exist.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["NO_CAPABILITIES", "Broker", "BrokerCapabilities", "TopicSpec"]


@dataclass(frozen=True, slots=True)
class BrokerCapabilities:
    """Optional Kafka features the broker really provides.

    Code must work with all of them False (as on the embedded broker) and may
    use each one that is True.
    """

    idempotent_producer: bool
    """``enable_idempotence=True`` producers start (InitProducerId answers)."""
    transactions: bool
    """Transactional producers start (a transaction coordinator answers)."""
    offsets_for_times: bool
    """ListOffsets by timestamp finds the first record at or after a time."""


NO_CAPABILITIES = BrokerCapabilities(
    idempotent_producer=False, transactions=False, offsets_for_times=False
)


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """A topic powertrack needs: its name, partition count and topic configs."""

    name: str
    partitions: int
    replication_factor: int = 1
    config: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.partitions < 1:
            raise ValueError(f"topic {self.name!r}: partitions must be at least 1")
        if self.replication_factor < 1:
            raise ValueError(f"topic {self.name!r}: replication_factor must be at least 1")


class Broker(Protocol):
    """A Kafka cluster powertrack produces to and consumes from."""

    @property
    def bootstrap_servers(self) -> str:
        """``host:port[,host:port...]`` for aiokafka clients.

        Raises ``BrokerError`` before :meth:`start` where the address is not
        known until then (an embedded broker on a free port).
        """
        ...

    @property
    def capabilities(self) -> BrokerCapabilities:
        """What the broker supports; known once :meth:`start` has returned."""
        ...

    async def start(self) -> None:
        """Start the broker or connect to it, and return once it serves requests.

        Raises ``BrokerStartError`` or ``BrokerUnavailableError`` when it does not.
        """
        ...

    async def stop(self) -> None:
        """Stop an owned broker process; release anything :meth:`start` took."""
        ...

    async def ensure_topics(self, topics: Sequence[TopicSpec]) -> None:
        """Create those of ``topics`` that do not exist yet; leave the others as they are.

        Safe to call again and from several processes at once.
        """
        ...

    async def list_topics(self) -> set[str]:
        """The names of the cluster's topics, Kafka's internal ones left out."""
        ...

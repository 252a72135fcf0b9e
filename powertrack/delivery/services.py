"""What the streaming endpoints need from delivery, bundled."""

from __future__ import annotations

from dataclasses import dataclass, field

from powertrack.broker.topics import Side
from powertrack.coordination.leases import LeaseManager
from powertrack.coordination.sides import SideRegistry
from powertrack.delivery.connection import DeliveryConfig
from powertrack.delivery.feed import MatchFeed

__all__ = ["DeliveryServices"]


@dataclass(frozen=True, slots=True)
class DeliveryServices:
    """What the streaming endpoints need; the caller starts and stops the feed,
    the lease manager and the side registry."""

    feed: MatchFeed
    leases: LeaseManager
    sides: SideRegistry
    config: DeliveryConfig = field(default_factory=DeliveryConfig)
    preferred_side: Side = "A"

"""Coordination between API servers and filter nodes.

- the rule-change signal: ``LocalRuleChangeSignal`` within one process,
  ``ZooKeeperRuleChangeSignal`` across processes, both ``RuleChangeSignal``;
- connection leases: ``LocalLeaseManager`` and ``ZooKeeperLeaseManager``,
  both ``LeaseManager``, enforce each account's connection limit;
- side liveness: ``LocalSideRegistry`` and ``ZooKeeperSideRegistry``, both
  ``SideRegistry``, say which filter sides have live nodes.

``local_zookeeper`` runs a throwaway ZooKeeper server from Debian's package.
"""

from __future__ import annotations

from powertrack.coordination.errors import (
    CoordinationError,
    CoordinationUnavailableError,
    TooManyConnectionsError,
    ZooKeeperServerError,
)
from powertrack.coordination.leases import Lease, LeaseManager
from powertrack.coordination.local_leases import LocalLeaseManager
from powertrack.coordination.memory import LocalRuleChangeSignal
from powertrack.coordination.protocol import RuleChangeSignal
from powertrack.coordination.server import LocalZooKeeper, local_zookeeper
from powertrack.coordination.sides import LocalSideRegistry, SideRegistry, ZooKeeperSideRegistry
from powertrack.coordination.zk_leases import ZooKeeperLeaseManager
from powertrack.coordination.zookeeper import ZooKeeperRuleChangeSignal

__all__ = [
    "CoordinationError",
    "CoordinationUnavailableError",
    "Lease",
    "LeaseManager",
    "LocalLeaseManager",
    "LocalRuleChangeSignal",
    "LocalSideRegistry",
    "LocalZooKeeper",
    "RuleChangeSignal",
    "SideRegistry",
    "TooManyConnectionsError",
    "ZooKeeperLeaseManager",
    "ZooKeeperRuleChangeSignal",
    "ZooKeeperServerError",
    "ZooKeeperSideRegistry",
    "local_zookeeper",
]

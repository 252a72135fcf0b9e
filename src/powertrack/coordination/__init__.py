"""Coordination between API servers and filter nodes: the rule-change signal.

``LocalRuleChangeSignal`` within one process, ``ZooKeeperRuleChangeSignal``
across processes; both implement ``RuleChangeSignal``. ``local_zookeeper``
runs a throwaway ZooKeeper server from Debian's package.
"""

from __future__ import annotations

from powertrack.coordination.errors import (
    CoordinationError,
    CoordinationUnavailableError,
    ZooKeeperServerError,
)
from powertrack.coordination.memory import LocalRuleChangeSignal
from powertrack.coordination.protocol import RuleChangeSignal
from powertrack.coordination.server import LocalZooKeeper, local_zookeeper
from powertrack.coordination.zookeeper import ZooKeeperRuleChangeSignal

__all__ = [
    "CoordinationError",
    "CoordinationUnavailableError",
    "LocalRuleChangeSignal",
    "LocalZooKeeper",
    "RuleChangeSignal",
    "ZooKeeperRuleChangeSignal",
    "ZooKeeperServerError",
    "local_zookeeper",
]

"""Runs one filter node in a process of its own, registered on its side in ZooKeeper,
as ``powertrack filter`` does, for the failover tests:
``python -m tests.delivery.run_side_node CONFIG_JSON BOOTSTRAP ZK_HOSTS ZK_ROOT SESSION_S``.

The store comes from ``POWERTRACK_DATABASE_URL``; CONFIG_JSON holds the
``FilterConfig`` fields. The node's registration is an ephemeral znode of a
session of ``SESSION_S`` seconds, so a node killed with SIGKILL drops out of
its side that long after. The node stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import logging
import sys

import orjson

from powertrack.cli.filter import serve_filter
from powertrack.coordination import ZooKeeperSideRegistry
from powertrack.filter.node import FilterConfig
from powertrack.settings import Settings


async def run(config: FilterConfig, bootstrap: str, hosts: str, root: str, session: float) -> None:
    sides = ZooKeeperSideRegistry(hosts, root, session_timeout=session)
    await sides.start()
    try:
        await serve_filter(Settings(), config, bootstrap, sides)
    finally:
        await sides.stop()


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    config = FilterConfig(**orjson.loads(sys.argv[1]))
    bootstrap, hosts, root, session = sys.argv[2:6]
    asyncio.run(run(config, bootstrap, hosts, root, float(session)))


if __name__ == "__main__":
    main()

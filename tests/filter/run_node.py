"""Runs one filter node in a process of its own, as ``powertrack filter`` does, for
the crash tests: ``python -m tests.filter.run_node CONFIG_JSON BOOTSTRAP``.

The store comes from ``POWERTRACK_DATABASE_URL``; CONFIG_JSON holds the
``FilterConfig`` fields. The node stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import logging
import sys

import orjson

from powertrack.cli.filter import serve_filter
from powertrack.filter.node import FilterConfig
from powertrack.settings import Settings


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    config = FilterConfig(**orjson.loads(sys.argv[1]))
    asyncio.run(serve_filter(Settings(), config, sys.argv[2]))


if __name__ == "__main__":
    main()

"""Test-wide settings and hooks.

In CI (``CI`` set), hypothesis runs derandomized: the same examples every
run, so a red build always reproduces. Locally each run explores new examples.

``async def`` tests run each in their own event loop via ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
import inspect
import os

import pytest
from hypothesis import settings

pytest_plugins = ["tests.services"]

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run ``async def`` tests with ``asyncio.run``."""
    function = pyfuncitem.obj
    if not inspect.iscoroutinefunction(function):
        return None
    names = inspect.signature(function).parameters
    asyncio.run(function(**{name: pyfuncitem.funcargs[name] for name in names}))
    return True

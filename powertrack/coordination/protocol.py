"""Coordination between API servers and filter nodes.

``RuleChangeSignal``: after committing a rule change the API calls
:meth:`notify`; filter nodes wait on :meth:`changes` and poll the rule log at
once instead of at their next polling tick. A lost or late signal costs only
latency, never correctness: the log is the truth and nodes poll it anyway.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol


class RuleChangeSignal(Protocol):
    """A counter any process can bump and every process can watch."""

    async def start(self) -> None:
        """Connect. Must be called before ``notify`` or ``changes``."""
        ...

    async def stop(self) -> None:
        """Disconnect; active ``changes`` iterators end."""
        ...

    async def notify(self) -> None:
        """Tell every watcher that the rule log has grown."""
        ...

    def changes(self) -> AsyncIterator[int]:
        """Yield the counter's value each time it changes (and once at the start).
        Bumps that arrive faster than the watcher reads coalesce into one."""
        ...

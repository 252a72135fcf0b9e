"""Small asyncio helpers shared across powertrack."""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["cancel_and_wait"]


async def cancel_and_wait(*tasks: asyncio.Future[Any]) -> None:
    """Cancel ``tasks`` and wait until each is done.

    Unlike ``with suppress(CancelledError): await task``, this never swallows a
    cancellation of the caller itself: a stop that is cancelled while it waits
    still ends. An exception other than cancellation that a task ended with is
    raised, as awaiting the task would.
    """
    for task in tasks:
        task.cancel()
    if not tasks:
        return
    await asyncio.wait(tasks)
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]

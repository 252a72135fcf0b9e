"""cancel_and_wait: tasks end, the caller's own cancellation is never swallowed."""

from __future__ import annotations

import asyncio

import pytest

from powertrack.aio import cancel_and_wait


async def test_cancelled_tasks_are_done_after_it() -> None:
    tasks = [asyncio.create_task(asyncio.sleep(60)) for _ in range(3)]
    await cancel_and_wait(*tasks)
    assert all(task.cancelled() for task in tasks)
    await cancel_and_wait()


async def test_a_cancelled_caller_stays_cancelled() -> None:
    release = asyncio.Event()

    async def stubborn() -> None:
        # Takes a while to end once cancelled, so the caller is still waiting.
        try:
            await asyncio.sleep(60)
        finally:
            await release.wait()

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    stopping = asyncio.create_task(cancel_and_wait(task))
    await asyncio.sleep(0.01)
    stopping.cancel()
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await stopping
    await asyncio.wait({task})


async def test_a_task_that_failed_raises_its_error() -> None:
    async def failing() -> None:
        raise ValueError("broken")

    task = asyncio.create_task(failing())
    await asyncio.sleep(0)
    with pytest.raises(ValueError, match="broken"):
        await cancel_and_wait(task)

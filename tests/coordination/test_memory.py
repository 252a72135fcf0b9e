"""LocalRuleChangeSignal from other threads and other event loops."""

from __future__ import annotations

import asyncio
import threading

from powertrack.coordination import LocalRuleChangeSignal
from powertrack.coordination.memory import ChangeBroadcast

WAIT = 10.0


def test_bump_from_a_plain_thread_wakes_a_watcher() -> None:
    signal = LocalRuleChangeSignal()

    async def main() -> None:
        changes = signal.changes()
        first = await anext(changes)
        threading.Thread(target=signal.bump).start()
        assert await asyncio.wait_for(anext(changes), WAIT) == first + 1

    asyncio.run(main())


def test_notify_on_another_event_loop_wakes_a_watcher() -> None:
    signal = LocalRuleChangeSignal()

    async def main() -> None:
        changes = signal.changes()
        first = await anext(changes)
        thread = threading.Thread(target=asyncio.run, args=(signal.notify(),))
        thread.start()
        assert await asyncio.wait_for(anext(changes), WAIT) == first + 1
        thread.join()

    asyncio.run(main())


def test_watchers_on_two_loops() -> None:
    signal = LocalRuleChangeSignal()
    seen: list[int] = []
    ready = threading.Event()

    async def watch_elsewhere() -> None:
        changes = signal.changes()
        await anext(changes)
        ready.set()
        seen.append(await asyncio.wait_for(anext(changes), WAIT))

    async def main() -> None:
        changes = signal.changes()
        first = await anext(changes)
        thread = threading.Thread(target=asyncio.run, args=(watch_elsewhere(),))
        thread.start()
        await asyncio.to_thread(ready.wait, WAIT)
        await signal.notify()
        assert await asyncio.wait_for(anext(changes), WAIT) == first + 1
        await asyncio.to_thread(thread.join, WAIT)
        assert seen == [first + 1]

    asyncio.run(main())


def test_a_closed_watcher_loop_does_not_break_publishing() -> None:
    broadcast = ChangeBroadcast()

    async def abandon() -> None:
        changes = broadcast.watch()
        await anext(changes)

    # The loop closes with the iterator still registered.
    asyncio.run(abandon())
    broadcast.increment()
    broadcast.increment()
    assert broadcast.value == 2


def test_forced_publish_yields_an_unchanged_value() -> None:
    broadcast = ChangeBroadcast(7)

    async def main() -> None:
        changes = broadcast.watch()
        assert await anext(changes) == 7
        broadcast.publish(force=True)
        assert await asyncio.wait_for(anext(changes), WAIT) == 7

    asyncio.run(main())


def test_restart_after_stop() -> None:
    signal = LocalRuleChangeSignal()

    async def main() -> None:
        await signal.stop()
        assert await anext(signal.changes(), None) is None
        await signal.start()
        changes = signal.changes()
        first = await anext(changes)
        await signal.notify()
        assert await asyncio.wait_for(anext(changes), WAIT) == first + 1

    asyncio.run(main())

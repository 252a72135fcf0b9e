"""The in-process rule-change signal, and the fan-out every signal uses.

:class:`LocalRuleChangeSignal` serves the embedded one-command run and any
deployment where the API and the filter nodes share a process.
:class:`ChangeBroadcast` delivers a counter to any number of asyncio watchers,
possibly on different event loops, from any thread; the ZooKeeper signal feeds
it from kazoo's threads.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

__all__ = ["ChangeBroadcast", "LocalRuleChangeSignal"]


class _Watcher:
    __slots__ = ("event", "forced", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.event = asyncio.Event()
        # Set when the watcher must yield even though the value is unchanged.
        self.forced = False


class ChangeBroadcast:
    """A counter published from any thread and watched from asyncio.

    Each :meth:`watch` iterator yields the current value once, then the value
    each time it changes; values published faster than a watcher reads
    coalesce into the latest. Publishing never blocks: watchers are woken
    with ``call_soon_threadsafe`` on their own loop.
    """

    def __init__(self, value: int = 0, *, closed: bool = False) -> None:
        self._lock = threading.Lock()
        self._value = value
        self._closed = closed
        self._watchers: set[_Watcher] = set()

    @property
    def value(self) -> int:
        """The latest published value."""
        return self._value

    @property
    def closed(self) -> bool:
        """True between :meth:`close` and :meth:`open`."""
        return self._closed

    def publish(self, value: int | None = None, *, force: bool = False) -> None:
        """Set the value (keep it when None) and wake the watchers.

        With ``force`` every watcher yields once more even if the value did not
        change: used after a reconnection, when a change may have gone unseen.
        """
        with self._lock:
            if value is not None:
                self._value = value
            watchers = list(self._watchers)
            if force:
                for watcher in watchers:
                    watcher.forced = True
        self._wake(watchers)

    def increment(self) -> int:
        """Add one to the value, wake the watchers and return the new value."""
        with self._lock:
            self._value += 1
            value = self._value
            watchers = list(self._watchers)
        self._wake(watchers)
        return value

    def open(self) -> None:
        """Accept watchers again after :meth:`close`."""
        with self._lock:
            self._closed = False

    def close(self) -> None:
        """End every active :meth:`watch` iterator; new ones end at once."""
        with self._lock:
            self._closed = True
            watchers = list(self._watchers)
        self._wake(watchers)

    async def watch(self) -> AsyncIterator[int]:
        """Yield the value now, then each time it changes, until :meth:`close`."""
        watcher = _Watcher(asyncio.get_running_loop())
        with self._lock:
            if self._closed:
                return
            self._watchers.add(watcher)
            last = self._value
        try:
            yield last
            while True:
                await watcher.event.wait()
                # Clear before reading, so that a publish racing with this
                # read sets the event again and is seen on the next round.
                watcher.event.clear()
                with self._lock:
                    if self._closed:
                        return
                    value = self._value
                    forced, watcher.forced = watcher.forced, False
                if value != last or forced:
                    last = value
                    yield value
        finally:
            with self._lock:
                self._watchers.discard(watcher)

    def _wake(self, watchers: list[_Watcher]) -> None:
        for watcher in watchers:
            try:
                watcher.loop.call_soon_threadsafe(watcher.event.set)
            except RuntimeError:
                # The watcher's loop is closed: nobody is left to read it.
                with self._lock:
                    self._watchers.discard(watcher)


class LocalRuleChangeSignal:
    """A :class:`~powertrack.coordination.protocol.RuleChangeSignal` within one process.

    The API and the filter nodes must share the instance. :meth:`notify` may be
    awaited on any event loop, and :meth:`bump` called from any thread, even
    one without a loop: watchers are woken on their own loops. ``start`` and
    ``stop`` only open and close the signal; it works without ``start``.
    """

    def __init__(self) -> None:
        self._broadcast = ChangeBroadcast()

    async def start(self) -> None:
        """Open the signal again after :meth:`stop` (a new signal is already open)."""
        self._broadcast.open()

    async def stop(self) -> None:
        """End every active :meth:`changes` iterator."""
        self._broadcast.close()

    async def notify(self) -> None:
        """Tell every watcher that the rule log has grown."""
        self.bump()

    def bump(self) -> int:
        """:meth:`notify` for plain threads: increment the counter and return it."""
        return self._broadcast.increment()

    def changes(self) -> AsyncIterator[int]:
        """Yield the counter now and after each change, coalescing bumps the
        watcher has not read yet, until :meth:`stop`."""
        return self._broadcast.watch()

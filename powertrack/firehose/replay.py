"""Replay a file of tweets onto the firehose.

The file holds one tweet per line, v1.1 native or v2 JSON, as saved from a
stream. Lines that are not tweets are skipped and reported with their line
number. By default a tweet is sent byte for byte as read; ``rewrite_timestamps``
and ``new_ids`` re-encode it with fresh times or ids.

``loop`` implies ``new_ids``: the second pass would otherwise publish every
tweet again under the same id, and consumers drop repeated ids as duplicates.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import orjson

from powertrack.firehose._people import twitter_time
from powertrack.firehose.sink import TweetSink
from powertrack.firehose.v2 import iso_time, snowflake_ms
from powertrack.store.ids import RuleIdGenerator, wall_clock_ms
from powertrack.tweets.errors import TweetFormatError
from powertrack.tweets.model import Tweet

__all__ = ["Pacer", "ReplayCounts", "Sleep", "replay"]

Sleep = Callable[[float], Awaitable[None]]

# Sleeping for less than this costs more in event-loop overhead than it buys
# in smoothness; the schedule makes up for the skipped sleep on the next tweet.
_MIN_SLEEP_S = 0.001
# After a stall longer than this (a slow broker, a paused process) the
# schedule restarts instead of bursting to catch up.
_MAX_LAG_S = 1.0
_QUEUED_LINES = 1024


class Pacer:
    """Spaces events ``1 / rate`` seconds apart on a fixed schedule.

    The n-th event is due at ``start + n / rate``, so time spent between
    events (parsing, sending) does not accumulate into drift. ``clock``
    returns seconds and ``sleep`` waits that many; both are injectable.
    """

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be positive, not {rate}")
        self._interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._due: float | None = None

    async def wait(self) -> None:
        """Return when the next event is due."""
        now = self._clock()
        if self._due is None or now - self._due > _MAX_LAG_S:
            self._due = now
        elif self._due - now >= _MIN_SLEEP_S:
            await self._sleep(self._due - now)
        self._due += self._interval


@dataclass(frozen=True, slots=True)
class ReplayCounts:
    """What a replay did: tweets sent, lines skipped as malformed, passes begun."""

    sent: int
    skipped: int
    passes: int


async def replay(
    source: Path | BinaryIO,
    sink: TweetSink,
    *,
    rate: float | None = None,
    loop: bool = False,
    limit: int | None = None,
    rewrite_timestamps: bool = False,
    new_ids: bool = False,
    ids: RuleIdGenerator | None = None,
    stop: asyncio.Event | None = None,
    errors: TextIO | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    wall_ms: Callable[[], int] = wall_clock_ms,
) -> ReplayCounts:
    """Send the tweets of ``source`` (a path, or an open binary stream) to ``sink``.

    ``rate`` is tweets per second (None: as fast as the sink takes them);
    ``limit`` stops after that many tweets; ``loop`` starts again at the end
    (needs a path or a seekable stream, and stops if a pass sends nothing);
    ``stop``, once set, ends the replay after the tweet in hand. Fresh ids come
    from ``ids`` (worker 0 when not given). Malformed lines are reported to
    ``errors`` (standard error by default) on the first pass only. Every tweet
    sent is flushed before returning; :class:`PublishError` propagates.
    """
    if limit is not None and limit < 0:
        raise ValueError(f"limit must not be negative, not {limit}")
    if loop and not isinstance(source, Path) and not source.seekable():
        raise ValueError("loop needs a file that can be read again, not a pipe")
    new_ids = new_ids or loop
    generator = (ids or RuleIdGenerator(0)) if new_ids else None
    pacer = Pacer(rate, clock=clock, sleep=sleep) if rate is not None else None
    out = errors if errors is not None else sys.stderr
    name = "<stdin>" if not isinstance(source, Path) else str(source)
    sent = skipped = passes = 0
    stopped = stop.is_set if stop is not None else lambda: False
    while (limit is None or sent < limit) and not stopped():
        passes += 1
        sent_before = sent
        async with contextlib.aclosing(_lines(source, passes, stop)) as lines:
            async for number, line in lines:
                if stopped():
                    break
                if not line.strip():
                    continue
                try:
                    tweet_id, raw = _prepare(line, rewrite_timestamps, generator, wall_ms)
                except TweetFormatError as exc:
                    skipped += 1
                    if passes == 1:
                        print(f"{name}:{number}: skipped: {exc}", file=out)
                    continue
                if pacer is not None:
                    await pacer.wait()
                await sink.send(tweet_id, raw)
                sent += 1
                if limit is not None and sent >= limit:
                    break
        if not loop or sent == sent_before:
            break
    await sink.flush()
    return ReplayCounts(sent, skipped, passes)


def _prepare(
    line: bytes,
    rewrite_timestamps: bool,
    ids: RuleIdGenerator | None,
    wall_ms: Callable[[], int],
) -> tuple[int, bytes]:
    """The id and the bytes to send for one line; TweetFormatError if it is no tweet."""
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise TweetFormatError(f"not JSON: {exc}") from None
    if type(obj) is not dict:
        raise TweetFormatError("not a tweet: expected a JSON object")
    tweet_id = _plain_id(obj)
    if tweet_id is None:
        # Any other shape, and every line that is no tweet, goes through the
        # parser: it accepts and rejects exactly what the filter nodes do.
        tweet_id = int(Tweet.from_json(obj).id)
    if ids is None and not rewrite_timestamps:
        return tweet_id, line.strip()
    # v1.1 statuses carry their author in "user"; the parser took the rest as
    # v2, either a stream message ({"data": ...}) or a bare tweet object.
    if "user" in obj:
        if ids is not None:
            tweet_id = ids.next_id()
            obj["id"] = tweet_id
            obj["id_str"] = str(tweet_id)
        if rewrite_timestamps:
            ms = snowflake_ms(tweet_id) if ids is not None else wall_ms()
            obj["created_at"] = twitter_time(ms // 1000)
            if "timestamp_ms" in obj:
                obj["timestamp_ms"] = str(ms)
    else:
        data = obj.get("data", obj)
        if ids is None and "created_at" not in data:
            return tweet_id, line.strip()  # nothing to rewrite
        if ids is not None:
            tweet_id = _renumber_v2(data, ids.next_id())
        if rewrite_timestamps and "created_at" in data:
            ms = snowflake_ms(tweet_id) if ids is not None else wall_ms()
            # The v2 stream gives whole seconds, like v1.1's created_at.
            data["created_at"] = iso_time(ms // 1000 * 1000)
    return tweet_id, orjson.dumps(obj)


def _plain_id(obj: dict[str, Any]) -> int | None:
    """The id of a tweet in the usual shape, read without parsing the tweet.

    None unless ``Tweet.from_json(obj)`` is sure to succeed with that id: a
    v1.1 status with its ``user``, a decimal ``id_str`` and a string text, or
    a v2 message (or bare v2 tweet) with a decimal ``id`` and a string
    ``text``. Those are all that ``from_json`` requires of them; every other
    field it reads leaves a tweet in the view, however wrong it is.
    """
    if "user" in obj:
        found = obj.get("id_str")
        ext = obj.get("extended_tweet")
        if ext is None:
            text = obj.get("full_text")
            if text is None:
                text = obj.get("text")
        else:
            text = ext.get("full_text") if type(ext) is dict else None
    else:
        data = obj.get("data")
        if data is None and ("author_id" in obj or "edit_history_tweet_ids" in obj):
            data = obj
        if type(data) is not dict or "dm_conversation_id" in data:
            return None
        found = data.get("id")
        # A note_tweet replaces the text only with a string of its own.
        text = data.get("text")
    if type(found) is str and type(text) is str and found.isascii() and found.isdigit():
        return int(found)
    return None


def _renumber_v2(data: dict[str, Any], new_id: int) -> int:
    old = data.get("id")
    data["id"] = str(new_id)
    if "edit_history_tweet_ids" in data:
        data["edit_history_tweet_ids"] = [str(new_id)]
    # A thread root is its own conversation; replies keep pointing at the old id.
    if data.get("conversation_id") == old:
        data["conversation_id"] = str(new_id)
    return new_id


async def _lines(
    source: Path | BinaryIO, passes: int, stop: asyncio.Event | None
) -> AsyncGenerator[tuple[int, bytes], None]:
    """Numbered lines of ``source``, from its start on every pass after the first."""
    if isinstance(source, Path):
        with source.open("rb") as file:
            for number, line in enumerate(file, 1):
                yield number, line
        return
    if passes > 1:
        source.seek(0)
    if source.seekable():
        for number, line in enumerate(source, 1):
            yield number, line
        return
    number = 0
    async for line in _read_in_thread(source, stop):
        number += 1
        yield number, line


async def _read_in_thread(
    stream: BinaryIO, stop: asyncio.Event | None
) -> AsyncGenerator[bytes, None]:
    # A pipe can block for as long as its writer pauses (`tail -f | ...`);
    # reading it on the event loop would hold back deliveries already queued.
    # The daemon thread is abandoned if the replay stops while it waits.
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(_QUEUED_LINES)

    def put(item: bytes | None) -> None:
        asyncio.run_coroutine_threadsafe(queue.put(item), loop).result()

    def read() -> None:
        # RuntimeError: the event loop closed, nobody is reading any more.
        with contextlib.suppress(RuntimeError):
            try:
                for line in iter(stream.readline, b""):
                    put(line)
            finally:
                put(None)

    async def wake_on_stop(event: asyncio.Event) -> None:
        await event.wait()
        # A full queue means lines are waiting, and the replay checks `stop` per line.
        with contextlib.suppress(asyncio.QueueFull):
            queue.put_nowait(None)

    threading.Thread(target=read, name="replay-reader", daemon=True).start()
    watcher = asyncio.create_task(wake_on_stop(stop)) if stop is not None else None
    try:
        while (line := await queue.get()) is not None:
            yield line
    finally:
        if watcher is not None:
            watcher.cancel()

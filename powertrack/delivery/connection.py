"""One customer's streaming HTTP connection: a bounded buffer between Kafka and the socket.

A pump task reads the stream's :class:`~powertrack.delivery.source.MatchSource`
into a bounded queue of rendered lines; the response drains whatever is ready
into one chunk per write, so a busy stream costs one write per batch, not per
tweet. When nothing is ready for ``keepalive_seconds`` a bare ``\\r\\n`` goes out
so clients and proxies can tell an idle stream from a dead one.

A client that reads slower than its stream fills the queue; once it stays full
for ``full_buffer_seconds`` (or the matches waiting behind it overflow the
feed's ``inbound_records``) the pump stops reading, and the response writes the
documented "unable to keep up" message and closes. Every connection has its
own source and queue, and the feed never waits for a reader, so one slow
client never holds back another. A client
that stopped reading altogether cannot take even that message, so after
``slow_grace_seconds`` the response is abandoned and the server closes the
socket.

The lease and the source are released in ``finally`` whatever ends the
connection (the client going away included): a connection that ended must not
go on counting against its account's limit.

With ``DeliveryConfig.metrics`` open connections are gauged by shape and every
end is counted by reason (``powertrack.metrics.DISCONNECT_REASONS``).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import zlib
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

import orjson
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from powertrack.coordination.leases import Lease
from powertrack.delivery.feed import FeedOverflowError
from powertrack.delivery.records import Delivered
from powertrack.delivery.source import MatchSource, SourceOptions
from powertrack.metrics import Metrics
from powertrack.web.responses import sent_now

__all__ = [
    "KEEPALIVE",
    "DeliveryConfig",
    "Ending",
    "Shape",
    "StreamConnection",
    "accepts_gzip",
    "ending_line",
]

log = logging.getLogger(__name__)

KEEPALIVE: Final = b"\r\n"
_NEWLINE: Final = b"\r\n"
_GZIP_WBITS: Final = 16 + zlib.MAX_WBITS
SLOW_MESSAGE: Final = (
    "This stream has been disconnected because your client was unable to keep up with us."
)
OPERATIONAL_MESSAGE: Final = "This stream has been disconnected for operational reasons."
_DISCONNECT_TYPE: Final = "https://api.twitter.com/2/problems/operational-disconnect"


@dataclass(frozen=True, slots=True)
class DeliveryConfig:
    """Tunables of streaming connections, filled from the settings by the app builder."""

    keepalive_seconds: float = 10.0
    """Idle time after which a keep-alive ``\\r\\n`` is written."""
    buffer_records: int = 10_000
    """Matches a connection may hold unsent."""
    full_buffer_seconds: float = 1.0
    """How long the buffer may stay full before the client is called slow: a
    client that reads at all drains it well within that."""
    max_chunk_bytes: int = 512 * 1024
    """Upper bound of one write, so one batch cannot hold a huge buffer."""
    slow_grace_seconds: float = 5.0
    """How long a slow client is given to take the disconnect message."""
    source: SourceOptions = field(default_factory=SourceOptions)
    metrics: Metrics | None = field(default=None, compare=False, repr=False)
    """Where connections are counted, if anywhere."""


class Shape(enum.Enum):
    """Which API a connection speaks; decides how its messages are written."""

    POWERTRACK = "powertrack"
    V2 = "v2"


class Ending(enum.Enum):
    """Why a connection ends from the server's side."""

    REPLAY_COMPLETE = "replay complete"
    SLOW = "slow reader"
    OPERATIONAL = "operational"


def ending_line(shape: Shape, ending: Ending, count: int) -> bytes:
    """The last line written before the server closes a stream, with its line ending.

    ``count`` is how many matches the connection delivered (for the replay summary).
    """
    if ending is Ending.REPLAY_COMPLETE:
        info = {"message": "Replay Request Completed", "sent": sent_now(), "activity_count": count}
        return orjson.dumps({"info": info}) + _NEWLINE
    message = SLOW_MESSAGE if ending is Ending.SLOW else OPERATIONAL_MESSAGE
    if shape is Shape.POWERTRACK:
        return orjson.dumps({"error": {"message": message, "sent": sent_now()}}) + _NEWLINE
    problem = {
        "title": "operational-disconnect",
        "disconnect_type": "SlowReader" if ending is Ending.SLOW else "OperationalDisconnect",
        "detail": message,
        "type": _DISCONNECT_TYPE,
    }
    return orjson.dumps({"errors": [problem]}) + _NEWLINE


class StreamConnection(Response):
    """The response of one streaming connection; owns ``source`` (started) and ``lease``.

    ``render`` turns a match into its line (no line ending). ``bounded`` says the
    source ends by itself (a replay range), after which the summary line is
    written and the connection closed.
    """

    def __init__(
        self,
        source: MatchSource,
        lease: Lease,
        render: Callable[[Delivered], bytes],
        shape: Shape,
        config: DeliveryConfig,
        *,
        bounded: bool = False,
        gzip: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        # Not Response.__init__: that would declare a Content-Length for an
        # empty body. As StreamingResponse does, the headers alone are set up.
        self.status_code = 200
        self.media_type = "application/json"
        self.background = None
        all_headers = dict(headers or {})
        if gzip:
            all_headers["Content-Encoding"] = "gzip"
        all_headers["Vary"] = "Accept-Encoding"
        self.init_headers(all_headers)
        self._source = source
        self._lease = lease
        self._render = render
        self._shape = shape
        self._config = config
        self._bounded = bounded
        self._compressor = zlib.compressobj(6, zlib.DEFLATED, _GZIP_WBITS) if gzip else None
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=config.buffer_records)
        self._ready = asyncio.Event()
        self._slow = asyncio.Event()
        self._ending: Ending | None = None
        self._lease_lost = False
        self._closed = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the stream until it ends, the client leaves or the client stalls."""
        tasks = [
            asyncio.create_task(self._pump(), name="stream-pump"),
            asyncio.create_task(self._watch_lease(), name="stream-lease"),
        ]
        writer = asyncio.create_task(self._write(send), name="stream-writer")
        gone = asyncio.create_task(_client_gone(receive), name="stream-disconnect")
        stalled = asyncio.create_task(self._stalled(), name="stream-stalled")
        metrics = self._config.metrics
        if metrics is not None:
            metrics.connection_opened(self._shape.value)
        try:
            await asyncio.wait({writer, gone, stalled}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (writer, gone, stalled, *tasks):
                task.cancel()
            results = await asyncio.gather(writer, gone, stalled, *tasks, return_exceptions=True)
            if metrics is not None:
                metrics.connection_closed(self._shape.value, self._reason(results[0], gone))
            await self.close()
        for result in results:
            if isinstance(result, Exception) and not isinstance(result, OSError):
                log.error("stream connection failed", exc_info=result)

    def _reason(self, written: object, gone: asyncio.Task[None]) -> str:
        # The server's reasons first: a client that leaves once told why was ended by them.
        if self._lease_lost:
            return "lease_lost"
        if self._ending is Ending.SLOW:
            return "slow_reader"
        if self._ending is Ending.REPLAY_COMPLETE:
            return "replay_complete"
        if (gone.done() and not gone.cancelled()) or isinstance(written, OSError):
            return "client_gone"
        return "operational"

    async def close(self) -> None:
        """Stop reading and give the lease back; later calls do nothing."""
        if self._closed:
            return
        self._closed = True
        try:
            await self._source.close()
        finally:
            await self._lease.release()

    async def _pump(self) -> None:
        queue = self._queue
        try:
            async for item in self._source:
                try:
                    line = self._render(item) + _NEWLINE
                except (ValueError, KeyError, TypeError):
                    log.warning("match of tweet %d cannot be rendered; skipped", item.tweet_id)
                    continue
                if queue.full():
                    # The source hands out a fetched batch without yielding, so
                    # a full queue may only mean the writer has not run yet.
                    try:
                        await asyncio.wait_for(queue.put(line), self._config.full_buffer_seconds)
                    except TimeoutError:
                        self._ending = Ending.SLOW
                        self._slow.set()
                        return
                else:
                    queue.put_nowait(line)
                self._ready.set()
            self._ending = Ending.REPLAY_COMPLETE if self._bounded else Ending.OPERATIONAL
        except asyncio.CancelledError:
            raise
        except FeedOverflowError:
            # Matches piled up behind the full queue until the feed gave up.
            self._ending = Ending.SLOW
            self._slow.set()
        except Exception:
            log.exception("reading the stream failed; disconnecting its client")
            self._ending = Ending.OPERATIONAL
        finally:
            self._ready.set()

    async def _watch_lease(self) -> None:
        await self._lease.lost.wait()
        # The slot may be someone else's by now; the stream must not outlive it.
        log.warning("lease of %s lost; disconnecting", self._lease.holder)
        self._lease_lost = True
        if self._ending is None:
            self._ending = Ending.OPERATIONAL
        self._ready.set()

    async def _stalled(self) -> None:
        await self._slow.wait()
        await asyncio.sleep(self._config.slow_grace_seconds)

    async def _write(self, send: Send) -> None:
        start = {"type": "http.response.start", "status": self.status_code}
        await send({**start, "headers": self.raw_headers})
        async for chunk in self._chunks():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        tail = self._compressor.flush() if self._compressor is not None else b""
        await send({"type": "http.response.body", "body": tail, "more_body": False})

    async def _chunks(self) -> AsyncIterator[bytes]:
        queue, ready = self._queue, self._ready
        while True:
            ending = self._ending
            # What a slow client has not taken is dropped: it resumes from the
            # last cursor it did receive.
            if ending is not Ending.SLOW and not queue.empty():
                yield self._encode(self._batch())
                continue
            if ending is not None:
                yield self._encode(ending_line(self._shape, ending, self._source.count))
                return
            ready.clear()
            try:
                await asyncio.wait_for(ready.wait(), self._config.keepalive_seconds)
            except TimeoutError:
                yield self._encode(KEEPALIVE)

    def _batch(self) -> bytes:
        queue, limit = self._queue, self._config.max_chunk_bytes
        lines = [queue.get_nowait()]
        size = len(lines[0])
        while size < limit and not queue.empty():
            line = queue.get_nowait()
            lines.append(line)
            size += len(line)
        return b"".join(lines)

    def _encode(self, data: bytes) -> bytes:
        if self._compressor is None:
            return data
        # A sync flush per chunk: gzip must not hold a tweet back waiting for more.
        return self._compressor.compress(data) + self._compressor.flush(zlib.Z_SYNC_FLUSH)


async def _client_gone(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an ``Accept-Encoding`` value allows gzip (``q=0`` refuses it)."""
    for part in (accept_encoding or "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() not in {"gzip", "x-gzip"}:
            continue
        with contextlib.suppress(ValueError):
            if params.strip().lower().startswith("q=") and float(params.strip()[2:]) == 0:
                return False
        return True
    return False

"""``powertrack stream``: connect to a stream, print its matches, reconnect where it left off.

Every connection asks for ``include_cursor=true``; the cursor of the last line
printed is kept, and a reconnection resumes right after it, so a dropped
connection loses and repeats nothing. A replay (``--start-time`` with
``--end-time``) resumes the same way and still ends at its end time; the
client stops at the server's "Replay Request Completed". Reconnections wait as X's streaming
documentation advises (:class:`Backoff`).
"""

from __future__ import annotations

import enum
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Final

import httpx
import orjson
import typer

__all__ = [
    "Backoff",
    "Failure",
    "FatalStreamError",
    "StreamClient",
    "split_cursor",
    "stream_command",
]

_CURSOR_KEY: Final = ',"cursor":"'
_FATAL_STATUSES: Final = frozenset({400, 401, 403, 404})


class Failure(enum.Enum):
    """What kind of failure a reconnection follows."""

    NETWORK = "network"
    HTTP = "http"
    RATE_LIMITED = "rate limited"


@dataclass
class Backoff:
    """How long to wait before reconnecting, per X's guidance for streaming clients.

    Network errors (refused, reset, timed out): linear steps of 250 ms up to
    16 s. HTTP errors: exponential from 5 s up to 320 s. HTTP 429: exponential
    from 60 s. Each kind keeps its own count; a connection that is accepted
    resets them all.
    """

    network_step: float = 0.25
    network_max: float = 16.0
    http_start: float = 5.0
    http_max: float = 320.0
    rate_start: float = 60.0
    rate_max: float = 960.0
    _attempts: dict[Failure, int] = field(default_factory=dict, repr=False)

    def delay(self, failure: Failure) -> float:
        """The wait before the next attempt after ``failure``; counts the attempt."""
        attempt = self._attempts.get(failure, 0)
        self._attempts[failure] = attempt + 1
        match failure:
            case Failure.NETWORK:
                return min(self.network_step * (attempt + 1), self.network_max)
            case Failure.HTTP:
                return min(self.http_start * 2.0**attempt, self.http_max)
            case Failure.RATE_LIMITED:
                return min(self.rate_start * 2.0**attempt, self.rate_max)

    def for_status(self, status: int) -> float:
        """The wait after an HTTP error answer with ``status``."""
        return self.delay(Failure.RATE_LIMITED if status == 429 else Failure.HTTP)

    def connected(self) -> None:
        """A connection was accepted: start every kind over."""
        self._attempts.clear()


class FatalStreamError(Exception):
    """An answer retrying cannot fix (bad credentials, no such stream, bad parameters)."""


def split_cursor(line: str) -> tuple[str, str | None]:
    """``line`` without its ``cursor`` member, and the cursor.

    The server writes the cursor as the last member, so it is cut out of the
    text and the rest keeps the server's exact bytes.
    """
    at = line.rfind(_CURSOR_KEY)
    if at >= 0 and line.endswith('"}'):
        return line[:at] + "}", line[at + len(_CURSOR_KEY) : -2]
    return line, None


@dataclass
class StreamClient:
    """Streams one powertrack stream to ``emit``, reconnecting until ``stop`` is set.

    ``url`` is the full stream URL; ``auth`` Basic credentials (PowerTrack) or
    None with a bearer ``token`` (v2). Messages about the connection go to ``notify``.
    """

    url: str
    auth: httpx.Auth | None = None
    token: str | None = None
    backfill_minutes: int | None = None
    start_time: str | None = None
    """Where to start (ISO 8601 or ``YYYYMMDDhhmm``, UTC), passed as the server takes it."""
    end_time: str | None = None
    """Where a replay from ``start_time`` (or ``cursor``) ends."""
    show_cursor: bool = False
    emit: Callable[[str], None] = print
    notify: Callable[[str], None] = field(default=lambda text: print(text, file=sys.stderr))
    backoff: Backoff = field(default_factory=Backoff)
    read_timeout: float = 30.0
    """Longer than the server's keep-alive interval: silence beyond it means a dead link."""
    cursor: str | None = None
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        """Stream until ``stop`` is set; ``FatalStreamError`` for an answer not worth retrying."""
        timeout = httpx.Timeout(10.0, read=self.read_timeout)
        with httpx.Client(auth=self.auth, timeout=timeout) as client:
            while not self.stop.is_set():
                try:
                    wait = self._connect(client)
                except httpx.TransportError as error:
                    wait = self.backoff.delay(Failure.NETWORK)
                    self.notify(f"connection failed ({error!r}); reconnecting in {wait:.2f} s")
                if wait is not None:
                    # Waiting on the event lets ``stop`` cut a long backoff short.
                    self.stop.wait(wait)

    def _params(self) -> dict[str, str]:
        v2 = self.token is not None
        params = {"include_cursor": "true"}
        if self.cursor is not None:
            params["cursor"] = self.cursor
        elif self.start_time is not None:
            params["start_time" if v2 else "startTime"] = self.start_time
        elif self.backfill_minutes is not None:
            params["backfill_minutes" if v2 else "backfillMinutes"] = str(self.backfill_minutes)
        if self.end_time is not None:
            params["end_time" if v2 else "endTime"] = self.end_time
        return params

    def _connect(self, client: httpx.Client) -> float | None:
        """One connection; the wait before the next, None when the stream ended for good."""
        headers = {"Accept-Encoding": "gzip"}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        with client.stream("GET", self.url, params=self._params(), headers=headers) as response:
            if response.status_code != 200:
                body = response.read().decode("utf-8", "replace")
                if response.status_code in _FATAL_STATUSES:
                    raise FatalStreamError(f"HTTP {response.status_code}: {body}")
                wait = self.backoff.for_status(response.status_code)
                self.notify(f"HTTP {response.status_code}: {body}; reconnecting in {wait:.0f} s")
                return wait
            self.backoff.connected()
            for line in response.iter_lines():
                if self.stop.is_set():
                    return None
                if line.strip():
                    self._line(line.strip())
        wait = self.backoff.delay(Failure.NETWORK)
        self.notify(f"disconnected; reconnecting in {wait:.2f} s")
        return wait

    def _line(self, line: str) -> None:
        text, cursor = split_cursor(line)
        if cursor is None:
            # Only matches carry a cursor: the rest are the server's notices.
            try:
                document = orjson.loads(line)
            except orjson.JSONDecodeError:
                document = None
            if isinstance(document, dict) and ({"error", "errors", "info"} & document.keys()):
                self.notify(line)
                if "info" in document:
                    self.stop.set()
                return
        else:
            self.cursor = cursor
        self.emit(line if self.show_cursor else text)


def stream_command(
    url: Annotated[
        str | None, typer.Option("--url", help="The API's base URL (default: POWERTRACK_API_URL).")
    ] = None,
    account: Annotated[
        str | None, typer.Option("--account", help="Account name (PowerTrack, Basic auth).")
    ] = None,
    label: Annotated[str, typer.Option("--label", help="Stream label (PowerTrack).")] = "prod",
    password: Annotated[
        str | None,
        typer.Option("--password", envvar="POWERTRACK_PASSWORD", help="The account's password."),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option("--token", envvar="POWERTRACK_TOKEN", help="A stream's bearer token (v2)."),
    ] = None,
    backfill_minutes: Annotated[
        int | None,
        typer.Option("--backfill-minutes", min=1, max=5, help="Start 1 to 5 minutes back."),
    ] = None,
    start_time: Annotated[
        str | None,
        typer.Option("--start-time", help="Start at this time (ISO 8601 or YYYYMMDDhhmm, UTC)."),
    ] = None,
    end_time: Annotated[
        str | None,
        typer.Option(
            "--end-time", help="With --start-time or --cursor: stop after this time (a replay)."
        ),
    ] = None,
    cursor: Annotated[
        str | None,
        typer.Option("--cursor", help="Resume right after the line this cursor came with."),
    ] = None,
    show_cursor: Annotated[
        bool, typer.Option("--show-cursor", help="Keep each line's cursor in the output.")
    ] = False,
) -> None:
    """Print a stream's matches, one JSON per line, reconnecting and resuming on failures."""
    if url is None:
        from powertrack.settings import Settings

        url = Settings().api_url
    base = url.rstrip("/")
    if token is not None:
        client = StreamClient(f"{base}/2/tweets/search/stream", token=token)
    elif account is not None and password is not None:
        path = f"/stream/powertrack/accounts/{account}/publishers/twitter/{label}.json"
        client = StreamClient(base + path, auth=httpx.BasicAuth(account, password))
    else:
        raise typer.BadParameter("give --token (v2) or --account and --password (PowerTrack)")
    if sum(given is not None for given in (backfill_minutes, start_time, cursor)) > 1:
        raise typer.BadParameter("give only one of --backfill-minutes, --start-time and --cursor")
    if end_time is not None and start_time is None and cursor is None:
        raise typer.BadParameter("--end-time needs --start-time or --cursor")
    client.backfill_minutes = backfill_minutes
    client.start_time, client.end_time, client.cursor = start_time, end_time, cursor
    client.show_cursor = show_cursor
    client.emit = _print_flushed
    try:
        client.run()
    except FatalStreamError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def _print_flushed(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()

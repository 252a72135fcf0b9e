"""Process-wide logging: one line per event, plain text or JSON.

The command line calls :func:`configure_logging` once, with the level and
format from the settings (``POWERTRACK_LOG_LEVEL``, ``POWERTRACK_LOG_JSON``).
Modules only ever call ``logging.getLogger(__name__)`` and pass structured
fields with ``extra=``::

    log.info("node started", extra={"side": "A", "stack": "main"})

JSON mode writes ``{"ts": ..., "level": ..., "logger": ..., "message": ...,
"side": "A", "stack": "main"}``; plain mode writes
``2024-05-01T12:00:00.000Z INFO powertrack.filter node started side=A stack=main``.
A traceback stays inside its event (the ``exception`` field), so a log
collector never splits one event into many.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Final, TextIO

import orjson

__all__ = ["QUIET_LOGGERS", "JsonFormatter", "PlainFormatter", "configure_logging"]

QUIET_LOGGERS: Final[tuple[str, ...]] = ("kazoo.client", "aiokafka")
"""Third-party loggers that report every reconnect and rebalance step at INFO."""

# Every attribute a LogRecord has before ``extra=`` adds its own; what is left
# over on a record is a structured field. uvicorn's ``color_message`` repeats
# the message with terminal colour codes, so it is left out too.
_RECORD_ATTRIBUTES: Final[frozenset[str]] = frozenset(
    (*vars(logging.makeLogRecord({})), "message", "asctime", "taskName", "color_message")
)


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {key: value for key, value in vars(record).items() if key not in _RECORD_ATTRIBUTES}


def _unserializable(value: object) -> str:
    return str(value)


class _EventFormatter(logging.Formatter):
    def _exception_text(self, record: logging.LogRecord) -> str | None:
        parts: list[str] = []
        if record.exc_info:
            # Formatting is not cached on the record: another handler may
            # format the same record with a different formatter.
            parts.append(self.formatException(record.exc_info))
        elif record.exc_text:
            parts.append(record.exc_text)
        if record.stack_info:
            parts.append(self.formatStack(record.stack_info))
        return "\n".join(parts) if parts else None


class JsonFormatter(_EventFormatter):
    """One JSON object per record: ts, level, logger, message, extra fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in _fields(record).items():
            event.setdefault(key, value)
        exception = self._exception_text(record)
        if exception is not None:
            event["exception"] = exception
        return orjson.dumps(event, default=_unserializable).decode()


def _plain_value(value: object) -> str:
    text = value if isinstance(value, str) else _json_or_str(value)
    if text and not any(char.isspace() or char in "\"'=" for char in text):
        return text
    return orjson.dumps(text).decode()


def _json_or_str(value: object) -> str:
    if isinstance(value, (bool, int, float)) or value is None:
        return orjson.dumps(value).decode()
    return str(value)


def _one_line(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")


class PlainFormatter(_EventFormatter):
    """``ts level logger message key=value ...`` on one line; line breaks are escaped."""

    def format(self, record: logging.LogRecord) -> str:
        parts = [_timestamp(record), record.levelname, record.name, _one_line(record.getMessage())]
        parts.extend(f"{key}={_plain_value(value)}" for key, value in _fields(record).items())
        exception = self._exception_text(record)
        if exception is not None:
            parts.append(f"exception={_plain_value(exception)}")
        return " ".join(parts)


class _PowertrackHandler(logging.StreamHandler[TextIO]):
    """The handler :func:`configure_logging` installs, so calling it again replaces it."""


def _level_number(level: str) -> int:
    levels = logging.getLevelNamesMapping()
    try:
        return levels[level.strip().upper()]
    except KeyError:
        known = ", ".join(name for name in levels if name not in ("WARN", "FATAL", "NOTSET"))
        raise ValueError(f"Unknown log level {level!r}: expected one of {known}") from None


def configure_logging(
    level: str = "INFO",
    json: bool = False,
    *,
    stream: TextIO | None = None,
    quiet: Iterable[str] = QUIET_LOGGERS,
) -> None:
    """Send every log record to ``stream`` (standard error) as one line.

    ``level`` is a level name (``DEBUG``, ``INFO``, ...); with ``json`` each
    line is a JSON object. The ``quiet`` loggers log at WARNING or above
    whatever ``level`` is. Calling it again replaces the earlier configuration;
    handlers installed by others (a test harness's, say) are left alone.
    """
    number = _level_number(level)
    handler = _PowertrackHandler(sys.stderr if stream is None else stream)
    handler.setFormatter(JsonFormatter() if json else PlainFormatter())
    root = logging.getLogger()
    for previous in [h for h in root.handlers if isinstance(h, _PowertrackHandler)]:
        root.removeHandler(previous)
        previous.close()
    root.addHandler(handler)
    root.setLevel(number)
    for name in quiet:
        logging.getLogger(name).setLevel(max(number, logging.WARNING))

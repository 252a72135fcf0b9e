"""configure_logging: one line per event, JSON or plain, quiet third-party loggers."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from powertrack.logs import QUIET_LOGGERS, configure_logging

PLAIN_LINE = re.compile(
    r"^(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) "
    r"(?P<level>[A-Z]+) (?P<logger>\S+) (?P<rest>.*)$"
)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quiet_levels = {name: logging.getLogger(name).level for name in (*QUIET_LOGGERS, "other.lib")}
    yield
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    for name, quiet_level in quiet_levels.items():
        logging.getLogger(name).setLevel(quiet_level)


def _configure(level: str = "INFO", *, json: bool) -> io.StringIO:
    stream = io.StringIO()
    configure_logging(level, json, stream=stream)
    return stream


def _lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def _json_events(stream: io.StringIO) -> list[dict[str, Any]]:
    events = [orjson.loads(line) for line in _lines(stream)]
    assert all(isinstance(event, dict) for event in events)
    return events


def test_json_event_has_the_core_fields_and_extras() -> None:
    stream = _configure(json=True)
    before = datetime.now(UTC)

    logging.getLogger("powertrack.filter").info(
        "node %s started", "A-1", extra={"side": "A", "partitions": [0, 1], "lag": 2.5}
    )

    [event] = _json_events(stream)
    assert event["level"] == "INFO"
    assert event["logger"] == "powertrack.filter"
    assert event["message"] == "node A-1 started"
    assert event["side"] == "A"
    assert event["partitions"] == [0, 1]
    assert event["lag"] == 2.5
    assert event["ts"].endswith("Z")
    ts = datetime.fromisoformat(event["ts"])
    assert ts.tzinfo is not None
    assert ts.utcoffset() == UTC.utcoffset(None)
    assert abs((ts - before).total_seconds()) < 5
    assert "exception" not in event


def test_json_exception_stays_in_one_line() -> None:
    stream = _configure(json=True)
    try:
        raise ValueError("bad offset\nsecond line")
    except ValueError:
        logging.getLogger("powertrack.x").exception("commit failed", extra={"partition": 3})

    [event] = _json_events(stream)
    assert event["level"] == "ERROR"
    assert event["message"] == "commit failed"
    assert event["partition"] == 3
    assert event["exception"].startswith("Traceback (most recent call last)")
    assert "ValueError: bad offset\nsecond line" in event["exception"]


def test_json_extras_that_orjson_cannot_encode_become_strings() -> None:
    class Opaque:
        def __str__(self) -> str:
            return "opaque-thing"

    stream = _configure(json=True)
    logging.getLogger("powertrack").warning("odd", extra={"thing": Opaque()})

    [event] = _json_events(stream)
    assert event["thing"] == "opaque-thing"


def test_json_extras_cannot_overwrite_the_core_fields() -> None:
    stream = _configure(json=True)
    logging.getLogger("powertrack").info("real", extra={"level": "fake", "ts": "fake"})

    [event] = _json_events(stream)
    assert event["level"] == "INFO"
    assert event["ts"] != "fake"


def test_plain_line_is_compact_with_key_values() -> None:
    stream = _configure(json=False)
    logging.getLogger("powertrack.api").warning(
        "slow request", extra={"path": "/rules", "ms": 812, "note": "two words", "ok": False}
    )

    [line] = _lines(stream)
    match = PLAIN_LINE.match(line)
    assert match is not None, line
    assert match["level"] == "WARNING"
    assert match["logger"] == "powertrack.api"
    assert match["rest"] == 'slow request path=/rules ms=812 note="two words" ok=false'
    datetime.fromisoformat(match["ts"])


def test_plain_multiline_message_and_traceback_stay_on_one_line() -> None:
    stream = _configure(json=False)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("powertrack").error("first\nsecond", exc_info=True)

    [line] = _lines(stream)
    match = PLAIN_LINE.match(line)
    assert match is not None
    assert match["rest"].startswith("first\\nsecond exception=")
    exception = orjson.loads(match["rest"].split("exception=", 1)[1])
    assert isinstance(exception, str)
    assert exception.endswith("RuntimeError: boom")


def test_level_filters_and_accepts_any_case() -> None:
    stream = _configure("warning", json=True)
    log = logging.getLogger("powertrack")
    log.info("hidden")
    log.warning("shown")

    assert [event["message"] for event in _json_events(stream)] == ["shown"]


def test_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown log level 'LOUD'"):
        configure_logging("LOUD")


@pytest.mark.parametrize("name", QUIET_LOGGERS)
def test_noisy_third_party_loggers_are_quieted(name: str) -> None:
    stream = _configure("DEBUG", json=True)
    logging.getLogger(name).info("connecting")
    logging.getLogger(f"{name}.child").debug("detail")
    logging.getLogger(name).warning("lost connection")
    logging.getLogger("other.lib").debug("kept")

    events = _json_events(stream)
    assert [(event["logger"], event["message"]) for event in events] == [
        (name, "lost connection"),
        ("other.lib", "kept"),
    ]


def test_quiet_loggers_follow_a_stricter_level() -> None:
    stream = _configure("ERROR", json=True)
    logging.getLogger("aiokafka").warning("rebalance")

    assert _lines(stream) == []


def test_configuring_again_replaces_the_handler() -> None:
    first = _configure(json=False)
    second = _configure(json=True)
    logging.getLogger("powertrack").info("once")

    assert first.getvalue() == ""
    assert [event["message"] for event in _json_events(second)] == ["once"]


def test_other_handlers_are_left_alone(caplog: pytest.LogCaptureFixture) -> None:
    stream = _configure(json=True)
    with caplog.at_level(logging.INFO):
        logging.getLogger("powertrack").info("both")

    assert [record.getMessage() for record in caplog.records] == ["both"]
    assert len(_lines(stream)) == 1

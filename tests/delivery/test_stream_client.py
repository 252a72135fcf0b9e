"""The ``powertrack stream`` client's reconnection waits and cursor handling."""

from __future__ import annotations

import pytest

from powertrack.cli.stream import Backoff, Failure, split_cursor


def test_network_errors_back_off_linearly_to_16_seconds() -> None:
    backoff = Backoff()
    waits = [backoff.delay(Failure.NETWORK) for _ in range(70)]
    assert waits[:4] == [0.25, 0.5, 0.75, 1.0]
    assert waits[63:] == [16.0] * 7


def test_http_errors_back_off_exponentially_from_5_to_320_seconds() -> None:
    backoff = Backoff()
    assert [backoff.for_status(503) for _ in range(8)] == [5, 10, 20, 40, 80, 160, 320, 320]


def test_too_many_connections_backs_off_from_a_minute() -> None:
    backoff = Backoff()
    assert [backoff.for_status(429) for _ in range(3)] == [60, 120, 240]
    assert backoff.for_status(500) == 5


def test_a_connection_starts_every_backoff_over() -> None:
    backoff = Backoff()
    backoff.delay(Failure.NETWORK)
    backoff.for_status(429)
    backoff.connected()
    assert backoff.delay(Failure.NETWORK) == 0.25
    assert backoff.for_status(429) == 60


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"id":1,"cursor":"abc_-9"}', ('{"id":1}', "abc_-9")),
        (
            '{"data":{"id":"1"},"matching_rules":[]}',
            ('{"data":{"id":"1"},"matching_rules":[]}', None),
        ),
        ('{"info":{"message":"x"}}', ('{"info":{"message":"x"}}', None)),
    ],
)
def test_split_cursor(line: str, expected: tuple[str, str | None]) -> None:
    assert split_cursor(line) == expected

"""Errors the broker layer raises."""

from __future__ import annotations

__all__ = [
    "BrokerError",
    "BrokerStartError",
    "BrokerUnavailableError",
    "ProduceError",
    "TopicNameError",
]


class BrokerError(Exception):
    """Base class of broker errors; also raised when the broker refuses a request."""


class BrokerUnavailableError(BrokerError):
    """No Kafka broker answered at the bootstrap address in time."""


class BrokerStartError(BrokerError):
    """The embedded broker could not be started (binary missing, or it did not come up).

    The message ends with the tail of the broker's log.
    """


class TopicNameError(BrokerError, ValueError):
    """A topic name, or a part of one, is not allowed."""


class ProduceError(BrokerError):
    """Records were not stored: the broker refused them, timed out or is unreachable."""

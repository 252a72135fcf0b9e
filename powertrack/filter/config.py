"""A filter node's configuration and the counts of what it has done."""

from __future__ import annotations

from dataclasses import dataclass

from powertrack.broker import topics
from powertrack.store.models import DEFAULT_STACK

__all__ = ["FilterConfig", "FilterCounters"]


@dataclass(frozen=True, slots=True)
class FilterConfig:
    """What a filter node consumes, where it publishes and how often it looks around.

    ``group_id`` defaults to ``powertrack.{side}.{stack}``; ``dead_letter_topic``
    to the side's dead-letter topic.
    """

    side: topics.Side
    stack: str = DEFAULT_STACK
    firehose_topic: str = topics.DEFAULT_FIREHOSE_TOPIC
    group_id: str | None = None
    dead_letter_topic: str | None = None
    match_partitions: int = 1
    """Partitions of a per-stream topic the node creates."""
    replication_factor: int = 1
    streams_interval: float = 2.0
    """Seconds between looks at which streams belong to the stack."""
    rule_poll_interval: float = 0.25
    commit_interval: float = 1.0
    max_batch: int = 500
    fetch_max_wait_ms: int = 50
    """How long the broker may hold a fetch with nothing new: latency against
    requests while idle. The embedded broker answers only at the end of it."""
    max_in_flight: int = 10_000
    """Unacknowledged publishes beyond which reading waits for the producer."""
    flush_timeout: float = 30.0
    """Seconds a stop or a rebalance waits for in-flight publishes."""
    max_retry_delay: float = 5.0
    session_timeout_ms: int = 10_000
    """How long the group waits for a silent node before giving its partitions away."""
    heartbeat_interval_ms: int = 3_000
    client_id: str = "powertrack-filter"

    @property
    def group(self) -> str:
        """The firehose consumer group."""
        return self.group_id or f"powertrack.{self.side}.{self.stack}"

    @property
    def dead_letters(self) -> str:
        """The topic unreadable firehose messages go to."""
        return self.dead_letter_topic or topics.deadletter_topic(self.side)


@dataclass(slots=True)
class FilterCounters:
    """What a node has done since it started."""

    tweets: int = 0
    """Firehose messages read that were tweets."""
    matches: int = 0
    """(tweet, stream) matches, one publish each."""
    dead_letters: int = 0
    published: int = 0
    """Match records acknowledged by the broker."""
    publish_retries: int = 0
    commits: int = 0

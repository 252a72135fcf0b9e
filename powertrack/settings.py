"""powertrack's configuration: one object, read once from the environment.

Every field can be set with an environment variable named ``POWERTRACK_`` plus
the field name in capitals (``POWERTRACK_DATABASE_URL``), or from a ``.env``
file. The command line builds one ``Settings`` and passes it down; nothing else
reads the environment.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from powertrack.broker.generations import GenerationPolicy

DEFAULT_DATABASE_URL = "sqlite:///powertrack.db"


class Settings(BaseSettings):
    """Configuration shared by the API, filter nodes and the command line."""

    model_config = SettingsConfigDict(
        env_prefix="POWERTRACK_", env_file=".env", extra="ignore", frozen=True
    )

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="sqlite:///path (embedded) or mysql://user:password@host:port/database",
    )
    database_wait_timeout: float = Field(
        default=30.0,
        ge=0,
        description="Seconds a starting process waits for the database: long enough for a "
        "database started alongside it, short enough that a wrong URL fails visibly",
    )
    admin_token: SecretStr | None = Field(
        default=None,
        description="The operator credential for creating accounts, streams and credentials. "
        "Unset, every admin request is refused.",
    )
    zookeeper_hosts: str | None = Field(
        default=None,
        description="host:port[,host:port...][/chroot] of ZooKeeper; unset, rule changes "
        "reach filter nodes by polling alone",
    )
    zookeeper_root: str = "/powertrack"
    zookeeper_session_timeout: float = Field(
        default=10.0,
        gt=0,
        description="Seconds of ZooKeeper session: how long a killed filter node's side "
        "stays healthy and a dead API server's leases stay held (the server bounds it: "
        "2 to 20 ticks)",
    )

    kafka_bootstrap: str | None = Field(
        default=None,
        description="host:port[,host:port...] of a Kafka cluster; unset, powertrack starts "
        "the embedded Tansu broker",
    )
    kafka_fetch_max_wait_ms: int = Field(
        default=50,
        ge=0,
        description="How long the broker may hold a fetch of filter nodes and streams "
        "with nothing new: lower means less latency (the embedded broker answers only "
        "at the end of it) and more requests while idle",
    )
    embedded_generation_seconds: int = Field(
        default=60,
        ge=0,
        le=86_400,
        description="The embedded broker keeps every record it is sent, so its topics are "
        "written in generations of this many seconds and the old ones deleted; 0 keeps "
        "everything (memory grows without bound)",
    )
    embedded_generations_kept: int = Field(
        default=6,
        ge=2,
        le=10_000,
        description="Generations the embedded broker keeps, the one being written "
        "included: records stay at least (kept - 1) x embedded_generation_seconds",
    )
    firehose_topic: str = Field(default="firehose", pattern=r"^[A-Za-z0-9._-]{1,249}$")
    firehose_partitions: int = Field(default=8, ge=1, le=1024)

    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8080, ge=0, le=65535)
    api_url: str = Field(
        default="http://127.0.0.1:8080",
        description="Where the command line finds the API for admin commands",
    )

    rule_poll_interval: float = Field(
        default=0.25,
        gt=0,
        description="Seconds between polls of the rule log by a filter node (a push from "
        "ZooKeeper makes it poll at once)",
    )
    rule_requests_per_minute: int = Field(default=60, ge=1)
    max_request_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)

    stream_keepalive_seconds: float = Field(
        default=10.0, gt=0, description="Idle seconds after which a stream gets a keep-alive"
    )
    stream_buffer_records: int = Field(
        default=10_000, ge=1, description="Matches one stream connection may hold unsent"
    )
    stream_full_buffer_seconds: float = Field(
        default=1.0,
        gt=0,
        description="Seconds a connection's buffer may stay full before the client is "
        "disconnected as too slow",
    )
    stream_slow_grace_seconds: float = Field(
        default=5.0, gt=0, description="Seconds a slow client gets to take its disconnect message"
    )
    api_shutdown_grace_seconds: int = Field(
        default=5,
        ge=1,
        description="On SIGTERM, seconds open requests get to finish before they are cut "
        "(streams never finish by themselves; their clients reconnect elsewhere)",
    )

    metrics_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="Port a filter node serves /metrics, /healthz and /readyz on; unset, none "
        "(the API serves them on its own port)",
    )
    metrics_host: str = Field(
        default="127.0.0.1", description="Address a filter node's metrics server listens on"
    )

    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR")
    log_json: bool = Field(default=False, description="One JSON object per log line")

    @field_validator("admin_token")
    @classmethod
    def _refuse_weak_admin_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("admin_token must be at least 16 characters")
        return value

    def embedded_generations(self) -> GenerationPolicy | None:
        """How the embedded broker rolls and deletes topic generations; ``None`` for never."""
        if self.embedded_generation_seconds == 0:
            return None
        return GenerationPolicy(self.embedded_generation_seconds, self.embedded_generations_kept)

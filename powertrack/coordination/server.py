"""A throwaway standalone ZooKeeper server, run from Debian's ``zookeeper`` package.

For tests, benchmarks and trying powertrack out on one machine::

    with local_zookeeper() as hosts:
        signal = ZooKeeperRuleChangeSignal(hosts)

The server listens on loopback only, keeps its data in a temporary directory
and skips fsync: nothing it holds is meant to outlive it. Production runs a
real ensemble.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from powertrack.coordination.errors import ZooKeeperServerError

__all__ = ["DEFAULT_ZOOKEEPER_JAR", "LocalZooKeeper", "local_zookeeper"]

DEFAULT_ZOOKEEPER_JAR = Path("/usr/share/java/zookeeper.jar")
"""Debian's jar; its manifest's Class-Path names the libraries it needs."""

# slf4j binds to nothing without this and drops the server's log, which is
# what one wants to read when the server does not come up.
_SLF4J_SIMPLE = Path("/usr/share/java/slf4j-simple.jar")
# A small heap and C1 only: the server starts in well under a second and the
# test suite stays light.
_JVM_OPTIONS = ("-Xms16m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")
_MAIN_CLASS = "org.apache.zookeeper.server.ZooKeeperServerMain"
_LOG_TAIL_LINES = 25


class LocalZooKeeper:
    """A standalone ZooKeeper server process on ``127.0.0.1``.

    ``data_dir`` holds its configuration, data and log (``zookeeper.log``).
    ``port`` defaults to a free one, chosen at the first :meth:`start` and
    kept across restarts so that clients reconnect to the same address.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        jar: Path = DEFAULT_ZOOKEEPER_JAR,
        java: str | None = None,
        startup_timeout: float = 30.0,
    ) -> None:
        self.data_dir = data_dir
        self.port = port
        self.jar = jar
        self.java = java
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def hosts(self) -> str:
        """The connection string, ``127.0.0.1:<port>``."""
        if self.port is None:
            raise ZooKeeperServerError("The ZooKeeper server has not been started")
        return f"127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        """Where the server's output goes."""
        return self.data_dir / "zookeeper.log"

    @property
    def running(self) -> bool:
        """True while the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> str:
        """Start the server and wait until it serves requests; return :attr:`hosts`.

        Raises ``ZooKeeperServerError`` if Java or ZooKeeper is missing, or if
        the server exits or does not answer within ``startup_timeout`` seconds.
        """
        if self.running:
            return self.hosts
        java = self.java or shutil.which("java")
        if java is None:
            raise ZooKeeperServerError("Java is not installed (apt-get install default-jre)")
        if not self.jar.is_file():
            raise ZooKeeperServerError(
                f"ZooKeeper is not installed: {self.jar} is missing (apt-get install zookeeper)"
            )
        if self.port is None:
            self.port = _free_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self._write_config()
        classpath = [str(self.jar)]
        if _SLF4J_SIMPLE.is_file():
            classpath.append(str(_SLF4J_SIMPLE))
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [java, *_JVM_OPTIONS, "-cp", ":".join(classpath), _MAIN_CLASS, str(config)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            self._wait_until_serving()
        except BaseException:
            self.stop()
            raise
        return self.hosts

    def stop(self, *, kill: bool = False) -> None:
        """Stop the server: SIGTERM (SIGKILL with ``kill``, as in a crash), then wait."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        if kill:
            process.kill()
        else:
            process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> LocalZooKeeper:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _write_config(self) -> Path:
        config = self.data_dir / "zoo.cfg"
        config.write_text(
            "\n".join(
                (
                    "tickTime=2000",
                    f"dataDir={self.data_dir / 'data'}",
                    f"clientPort={self.port}",
                    "clientPortAddress=127.0.0.1",
                    "maxClientCnxns=0",
                    # The admin server would otherwise take port 8080, the API's.
                    "admin.enableServer=false",
                    "4lw.commands.whitelist=srvr,ruok",
                    "forceSync=no",
                    "preAllocSize=1024",
                    "",
                )
            )
        )
        return config

    def _wait_until_serving(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ZooKeeperServerError(
                    f"ZooKeeper exited with status {self._process.returncode} while starting; "
                    f"its log ({self.log_path}) ends:\n{self._log_tail()}"
                )
            if _serving(self.hosts):
                return
            time.sleep(0.05)
        raise ZooKeeperServerError(
            f"ZooKeeper did not answer on {self.hosts} within {self.startup_timeout} s; "
            f"its log ({self.log_path}) ends:\n{self._log_tail()}"
        )

    def _log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-_LOG_TAIL_LINES:])


@contextlib.contextmanager
def local_zookeeper(
    data_dir: Path | None = None, *, startup_timeout: float = 30.0
) -> Iterator[str]:
    """Run a throwaway ZooKeeper server for the duration of a ``with`` block.

    Yields its connection string. Without ``data_dir`` the server's files go
    to a temporary directory removed afterwards.
    """
    with contextlib.ExitStack() as stack:
        if data_dir is None:
            data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="zookeeper-")))
        server = stack.enter_context(LocalZooKeeper(data_dir, startup_timeout=startup_timeout))
        yield server.hosts


def _serving(hosts: str) -> bool:
    """True when the server answers ``srvr``, which it only does once it serves requests."""
    host, _, port = hosts.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1.0) as connection:
            connection.sendall(b"srvr")
            reply = b""
            while chunk := connection.recv(4096):
                reply += chunk
    except OSError:
        return False
    return reply.startswith(b"Zookeeper version")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port

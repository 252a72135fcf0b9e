"""A filter node's own small HTTP server: ``/metrics``, ``/healthz`` and ``/readyz``.

The same endpoints as the API's (powertrack/web/ops.py), served by
uvicorn inside the node's event loop: ``/readyz`` awaits the node's own store,
broker and ZooKeeper clients, which a server in another thread could not.
The server leaves the process's signals alone: the node's handlers stop the
node, and the node's runner stops this server with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Iterator, Mapping

import uvicorn
from fastapi import FastAPI

from powertrack.aio import cancel_and_wait
from powertrack.metrics import Check, Metrics
from powertrack.web.ops import create_router

__all__ = ["OpsServer", "ops_server"]

log = logging.getLogger(__name__)

_STOP_TIMEOUT = 5.0


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # SIGTERM and SIGINT belong to the node: uvicorn's own handlers would
        # stop this server alone and leave the node running.
        yield


class OpsServer:
    """A running operations server; :attr:`port` is the port it listens on."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://{self.host}:{self.port}"


def ops_app(metrics: Metrics, checks: Mapping[str, Check]) -> FastAPI:
    """The operations endpoints alone, as an app."""
    app = FastAPI(title="powertrack filter node", openapi_url=None, docs_url=None, redoc_url=None)
    app.include_router(create_router(metrics, checks))
    return app


@contextlib.asynccontextmanager
async def ops_server(
    port: int,
    metrics: Metrics,
    checks: Mapping[str, Check],
    *,
    host: str = "127.0.0.1",
) -> AsyncIterator[OpsServer]:
    """Serve ``metrics`` and the readiness ``checks`` on ``host``:``port`` (0: any free
    port) until the block exits. ``OSError`` if the port cannot be bound."""
    sock = socket.create_server((host, port))
    bound = OpsServer(host, sock.getsockname()[1])
    config = uvicorn.Config(
        ops_app(metrics, checks),
        lifespan="off",
        access_log=False,
        log_config=None,
        log_level="warning",
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name="ops-server")
    try:
        while not server.started:
            if task.done():
                # Whatever stopped the server before it started is raised here.
                await task
                raise OSError(f"the operations server on port {bound.port} did not start")
            await asyncio.sleep(0.01)
        log.info("Serving /metrics, /healthz and /readyz on %s", bound.url)
        yield bound
    finally:
        server.should_exit = True
        try:
            async with asyncio.timeout(_STOP_TIMEOUT):
                await task
        except TimeoutError:
            await cancel_and_wait(task)
        finally:
            sock.close()

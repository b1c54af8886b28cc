"""Run the app under uvicorn in the foreground until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Iterator
from typing import Final

import uvicorn
from starlette.applications import Starlette

logger = logging.getLogger(__name__)

READY_MESSAGE_PREFIX: Final = "Vellum-compatible server listening on "

_STOP_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM)
_GRACEFUL_SHUTDOWN_SECONDS: Final = 5
_STARTUP_POLL_SECONDS: Final = 0.02


class _ForegroundServer(uvicorn.Server):
    """A uvicorn server that exits with status 0 after SIGINT or SIGTERM.

    uvicorn 0.55 raises a captured signal again after shutting down, which ends
    the process with KeyboardInterrupt or a SIGTERM exit status. This subclass
    only sets the server's exit flag.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        original_handlers = {
            stop_signal: signal.signal(stop_signal, self.handle_exit)
            for stop_signal in _STOP_SIGNALS
        }
        try:
            yield
        finally:
            for stop_signal, handler in original_handlers.items():
                signal.signal(stop_signal, handler)


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind a listening TCP socket. Port 0 lets the OS pick a free port.

    Raises:
        OSError: The address cannot be resolved or bound.
    """
    family, kind, protocol, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, protocol)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(socket.SOMAXCONN)
    except BaseException:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


async def _print_ready_line(
    server: _ForegroundServer, sock: socket.socket, host: str
) -> None:
    while not server.started:
        await asyncio.sleep(_STARTUP_POLL_SECONDS)
    port = sock.getsockname()[1]
    print(f"{READY_MESSAGE_PREFIX}http://{_url_host(host)}:{port}", flush=True)


async def _serve(server: _ForegroundServer, sock: socket.socket, host: str) -> bool:
    ready_line_task = asyncio.create_task(_print_ready_line(server, sock, host))
    try:
        await server.serve(sockets=[sock])
    except SystemExit:
        # uvicorn 0.55 calls sys.exit(3) when the app's lifespan fails to start,
        # after logging the error.
        return False
    finally:
        ready_line_task.cancel()
    return server.started


def run_server(app: Starlette, *, host: str, port: int) -> int:
    """Serve ``app`` on ``host:port`` until SIGINT or SIGTERM.

    Prints one ready line, ``Vellum-compatible server listening on URL``, to
    stdout once the server accepts connections.

    Returns:
        0 after a clean stop, 1 when the address cannot be bound or the app
        fails to start.
    """
    try:
        sock = bind_socket(host, port)
    except OSError as error:
        logger.error("Cannot listen on %s:%d: %s", host, port, error)
        return 1

    config = uvicorn.Config(
        app,
        lifespan="on",
        # The app logs each request itself, without query strings.
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN_SECONDS,
    )
    server = _ForegroundServer(config)
    try:
        started = asyncio.run(_serve(server, sock, host))
    finally:
        sock.close()
    if not started:
        logger.error("The server did not start. See the errors above")
        return 1
    logger.info("Server stopped")
    return 0

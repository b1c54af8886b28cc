"""Start, wait for and stop the local servers as child processes."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import httpx

LOOPBACK = "127.0.0.1"


class ServerStartError(RuntimeError):
    """A local server did not start; the message points at its log file."""


def port_is_free(port: int) -> bool:
    """Return whether `port` of 127.0.0.1 is free to bind."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def pick_free_port(*, with_offset: int | None = None, avoid: set[int]) -> int:
    """Pick a free port on 127.0.0.1, also free at `port + with_offset` if given.

    The kernel chooses the candidate; ports in `avoid` were handed out already.
    """
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((LOOPBACK, 0))
            port = int(probe.getsockname()[1])
        if port in avoid:
            continue
        if with_offset is not None:
            partner = port + with_offset
            if partner > 65535 or partner in avoid or not port_is_free(partner):
                continue
        avoid.add(port)
        if with_offset is not None:
            avoid.add(port + with_offset)
        return port
    raise ServerStartError("found no free port pair on 127.0.0.1")


def tcp_ready(port: int) -> Callable[[], bool]:
    """Return a check that a TCP connection to `port` succeeds."""

    def check() -> bool:
        with (
            contextlib.suppress(OSError),
            socket.create_connection((LOOPBACK, port), timeout=0.5),
        ):
            return True
        return False

    return check


def http_ready(url: str) -> Callable[[], bool]:
    """Return a check that `url` responds with any HTTP status."""

    def check() -> bool:
        try:
            httpx.get(url, timeout=1.0)
        except httpx.HTTPError:
            return False
        return True

    return check


class ManagedProcess:
    """A child process in its own process group, logging to a file."""

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        *,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("ab")
        self._process = subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            # Its own group, so Ctrl-C in the terminal reaches only the parent,
            # which then stops the children in order.
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self._process.pid

    def running(self) -> bool:
        return self._process.poll() is None

    def wait_until(self, check: Callable[[], bool], timeout: float) -> None:
        """Wait until `check()` is true; raise if the process exits or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                raise ServerStartError(
                    f"{self.name} exited with status {self._process.returncode} "
                    f"while starting; see {self.log_path}"
                )
            if check():
                return
            time.sleep(0.1)
        self.stop()
        raise ServerStartError(
            f"{self.name} did not become ready within {timeout:g} s; "
            f"see {self.log_path}"
        )

    def stop(self, timeout: float = 15.0) -> None:
        """Send SIGTERM to the process group, then SIGKILL if it does not exit."""
        if self.running():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()
        else:
            # Reap leftovers of the group, e.g. a grandchild that outlived it.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._process.pid, signal.SIGKILL)
        self._log.close()

    def kill(self) -> None:
        """Kill the process group at once, as a crash would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGKILL)
        self._process.wait()

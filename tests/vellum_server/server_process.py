"""Start and stop the Vellum-compatible server as a subprocess on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import vellum

REPO_ROOT = Path(__file__).resolve().parents[2]
API_KEY = f"test-key-{uuid.uuid4().hex}"
READY_PREFIX = "Vellum-compatible server listening on "

# Settings of the shared server: a small size limit keeps the oversized-upload
# test fast, and a processing delay long enough to see the QUEUED state.
MAX_DOCUMENT_BYTES = 64 * 1024
PROCESSING_DELAY_SECONDS = 0.5

START_TIMEOUT_SECONDS = 20.0
STOP_TIMEOUT_SECONDS = 10.0


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ServerProcess:
    """A running server subprocess and where its output goes."""

    process: subprocess.Popen[bytes]
    url: str
    stdout_path: Path
    stderr_path: Path

    def stderr_text(self) -> str:
        """Return the server log written so far."""
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, stop_signal: int = signal.SIGTERM) -> int:
        """Send ``stop_signal``, kill after a timeout, and return the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(stop_signal)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def _read_ready_url(server: ServerProcess, deadline: float) -> str:
    while time.monotonic() < deadline:
        for line in server.stdout_path.read_text(encoding="utf-8").splitlines():
            if line.startswith(READY_PREFIX):
                return line.removeprefix(READY_PREFIX).strip()
        if server.process.poll() is not None:
            break
        time.sleep(0.05)
    server.stop()
    raise RuntimeError(
        f"the server did not print its ready line. Server log:\n{server.stderr_text()}"
    )


def start_server(
    state_dir: Path,
    log_dir: Path,
    *,
    port: int | None = None,
    api_key: str | None = API_KEY,
    env_api_key: str | None = None,
    extra_args: Sequence[str] = (),
) -> ServerProcess:
    """Start ``python -m ai_services.vellum_server`` and wait until it responds.

    Args:
        state_dir: The server's state folder.
        log_dir: Folder for the captured stdout and stderr.
        port: Port to listen on. None picks a free one, and 0 lets the server
            pick one.
        api_key: Value of ``--api-key``, or None to leave the flag out.
        env_api_key: Value of ``VELLUM_API_KEY`` in the server's environment.
        extra_args: More command-line arguments.
    """
    chosen_port = free_port() if port is None else port
    arguments = [
        sys.executable,
        "-m",
        "ai_services.vellum_server",
        "--host",
        "127.0.0.1",
        "--port",
        str(chosen_port),
        "--state-dir",
        str(state_dir),
        *([] if api_key is None else ["--api-key", api_key]),
        *extra_args,
    ]
    env = {
        name: value for name, value in os.environ.items() if name != "VELLUM_API_KEY"
    }
    if env_api_key is not None:
        env["VELLUM_API_KEY"] = env_api_key

    log_dir.mkdir(parents=True, exist_ok=True)
    name = f"server-{uuid.uuid4().hex[:8]}"
    stdout_path = log_dir / f"{name}.out"
    stderr_path = log_dir / f"{name}.err"
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            arguments, cwd=REPO_ROOT, env=env, stdout=stdout, stderr=stderr
        )
    server = ServerProcess(process, "", stdout_path, stderr_path)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    server.url = _read_ready_url(server, deadline)

    key = api_key if api_key is not None else env_api_key
    while True:
        try:
            response = httpx.get(
                f"{server.url}/_emulator/faults",
                headers={"X-API-KEY": key or ""},
                timeout=5,
            )
            if response.status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(
                "the server did not respond to HTTP requests. Server log:\n"
                + server.stderr_text()
            )
        time.sleep(0.05)


def make_vellum_client(url: str, api_key: str = API_KEY) -> vellum.Vellum:
    """Build an SDK client whose three base URLs all point to ``url``."""
    return vellum.Vellum(
        api_key=api_key,
        environment=vellum.VellumEnvironment(default=url, documents=url, predict=url),
        timeout=30,
    )


def wait_for_processing_state(
    client: vellum.Vellum, document_id: str, expected: str, timeout: float = 10.0
) -> vellum.DocumentRead:
    """Poll a document until its ``processing_state`` is ``expected``."""
    deadline = time.monotonic() + timeout
    while True:
        document = client.documents.retrieve(document_id)
        if document.processing_state == expected:
            return document
        if time.monotonic() > deadline:
            raise AssertionError(
                f"document {document_id} is still {document.processing_state}, "
                f"expected {expected} within {timeout} s"
            )
        time.sleep(0.05)

"""Fixtures that run the Vellum-compatible server as a subprocess on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import vellum

from .server_process import (
    API_KEY,
    MAX_DOCUMENT_BYTES,
    PROCESSING_DELAY_SECONDS,
    ServerProcess,
    make_vellum_client,
    start_server,
)


@pytest.fixture(scope="session")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for the whole session. Use ``fresh_server`` for a clean state."""
    root = tmp_path_factory.mktemp("vellum-server")
    server = start_server(
        root / "state",
        root / "logs",
        extra_args=[
            "--max-document-bytes",
            str(MAX_DOCUMENT_BYTES),
            "--processing-delay",
            str(PROCESSING_DELAY_SECONDS),
        ],
    )
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fresh_server(shared_server: ServerProcess) -> ServerProcess:
    """The shared server, reset to no documents, indexes, faults or log entries."""
    response = httpx.post(
        f"{shared_server.url}/_emulator/reset",
        headers={"X-API-KEY": API_KEY},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return shared_server


@pytest.fixture
def client(fresh_server: ServerProcess) -> vellum.Vellum:
    """An unmodified vellum-ai client for the freshly reset shared server."""
    return make_vellum_client(fresh_server.url)


@pytest.fixture
def admin(fresh_server: ServerProcess) -> Iterator[httpx.Client]:
    """A plain HTTP client with the API key, for ``/_emulator/`` and raw requests."""
    with httpx.Client(
        base_url=fresh_server.url, headers={"X-API-KEY": API_KEY}, timeout=30
    ) as http:
        yield http

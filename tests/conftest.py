"""Session-wide servers: the embedded stack (Temporal dev server, SeaweedFS, the
Vellum-compatible server) and a scriptable source server, each started once on
free 127.0.0.1 ports and stopped at the end of the session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from temporalio.client import Client

from ai_services.local_stack.stack import LocalStack
from ai_services.settings import get_settings
from ai_services.temporal_workers.helpers import clients
from ai_services.temporal_workers.helpers.payload_codec import build_data_converter
from tests.helpers.source_server import SourceServer


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with LocalStack(tmp_path_factory.mktemp("stack"), worker=False, ui=False) as local:
        yield local


@pytest.fixture(scope="session")
def source_server() -> Iterator[SourceServer]:
    server = SourceServer()
    yield server
    server.stop()


def clear_client_caches() -> None:
    get_settings.cache_clear()
    clients.get_http_session.cache_clear()
    clients.get_s3_client.cache_clear()
    clients.get_vellum_client.cache_clear()


@pytest.fixture(scope="session")
def worker_env(
    stack: LocalStack, source_server: SourceServer
) -> Iterator[dict[str, str]]:
    """Point the worker's settings at the stack, with the source server allowed."""
    env = stack.client_env()
    env["SOURCE_URL_ALLOWED_HOSTS"] += f",{source_server.host}"
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        clear_client_caches()
        yield env
    clear_client_caches()


@pytest.fixture
def vellum_admin(stack: LocalStack) -> Iterator[httpx.Client]:
    """An HTTP client for the Vellum-compatible server's admin surface.

    Faults left over by a test are cleared afterwards.
    """
    with httpx.Client(
        base_url=stack.vellum_url,
        headers={"X-API-KEY": stack.secrets.vellum_api_key},
        timeout=10,
    ) as client:
        yield client
        client.delete("/_emulator/faults")


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def temporal_client(stack: LocalStack) -> AsyncIterator[Client]:
    yield await Client.connect(
        stack.temporal_address,
        data_converter=build_data_converter(stack.secrets.payload_encryption_key),
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Keep the slow end-to-end tests, which start stacks of their own, last.
    items.sort(key=lambda item: "/e2e/" in str(Path(str(item.fspath))))

"""A stack of the drills' own, since drills stop and restart its servers, and
production workers in subprocesses, since drills kill them."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import Client

from ai_services.local_stack.processes import ManagedProcess
from ai_services.local_stack.stack import LocalStack
from ai_services.temporal_workers.helpers.payload_codec import build_data_converter
from tests.helpers.source_server import SourceServer

WorkerFactory = Callable[..., ManagedProcess]


@pytest.fixture(scope="module")
def drill_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with LocalStack(tmp_path_factory.mktemp("drills"), worker=False, ui=False) as stack:
        yield stack


@pytest.fixture(scope="module")
def drill_env(drill_stack: LocalStack, source_server: SourceServer) -> dict[str, str]:
    env = drill_stack.client_env()
    env["SOURCE_URL_ALLOWED_HOSTS"] += f",{source_server.host}"
    env["TEMPORAL_TASK_QUEUE"] = f"drills-{uuid.uuid4()}"
    return env


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def drill_client(drill_stack: LocalStack) -> AsyncIterator[Client]:
    yield await Client.connect(
        drill_stack.temporal_address,
        data_converter=build_data_converter(drill_stack.secrets.payload_encryption_key),
    )


@pytest.fixture(scope="module")
def worker_logs(drill_stack: LocalStack) -> list[Path]:
    """Log files of every drill worker, for the secrets search."""
    return []


@pytest.fixture
def start_worker(
    drill_env: dict[str, str], drill_stack: LocalStack, worker_logs: list[Path]
) -> Iterator[WorkerFactory]:
    """Start production workers on the drill task queue; all stop after the test."""
    started: list[ManagedProcess] = []

    def start(**overrides: str) -> ManagedProcess:
        log_path = drill_stack.logs_dir / f"worker-{uuid.uuid4().hex[:8]}.log"
        worker_logs.append(log_path)
        process = ManagedProcess(
            "worker",
            [sys.executable, "-m", "ai_services.temporal_workers.workers.main_worker"],
            log_path=log_path,
            env={**os.environ, **drill_env, **overrides},
        )
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()

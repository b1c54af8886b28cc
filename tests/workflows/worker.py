"""Run the production workflow and activities on an in-process worker."""

from __future__ import annotations

import concurrent.futures
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from ai_services.settings import get_settings
from ai_services.temporal_workers.workers.main_worker import ACTIVITIES, WORKFLOWS


@contextlib.asynccontextmanager
async def running_worker(
    client: Client,
    *,
    workflows: Sequence[type] = WORKFLOWS,
    activities: Sequence[Callable[..., Any]] = ACTIVITIES,
) -> AsyncIterator[str]:
    """Run a worker on a fresh task queue and yield the queue's name."""
    # Load the settings outside the workflow sandbox, as the worker's main does.
    get_settings()
    task_queue = f"test-{uuid.uuid4()}"
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as executor:
        async with Worker(
            client,
            task_queue=task_queue,
            workflows=list(workflows),
            activities=list(activities),
            activity_executor=executor,
            max_concurrent_activities=8,
        ):
            yield task_queue

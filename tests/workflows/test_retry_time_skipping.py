"""Retry back-off of the workflow's transfer, on the time-skipping test server.

The activities are stand-ins registered under the production names, so hours of
back-off pass in moments.
"""

from __future__ import annotations

import concurrent.futures
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio
from temporalio import activity
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from ai_services.local_stack.stack import find_executable
from ai_services.settings import get_settings
from ai_services.shared.runtime.context import ExecutionSource
from ai_services.temporal_workers.activities.vellum.download_and_upload_document_activity import (  # noqa: E501
    DownloadAndUploadDocumentActivityInput,
    DownloadAndUploadDocumentActivityOutput,
)
from ai_services.temporal_workers.activities.vellum.get_vellum_document_activity import (  # noqa: E501
    GetVellumDocumentActivityInput,
    GetVellumDocumentActivityOutput,
)
from ai_services.temporal_workers.helpers.retry_policies import (
    RetryKind,
    get_retry_policy,
)
from ai_services.temporal_workers.workflows.vellum.create_vellum_document_workflow_v1 import (  # noqa: E501
    CreateVellumDocumentWorkflowInput,
    CreateVellumDocumentWorkflowV1,
)

pytestmark = pytest.mark.usefixtures("worker_env")

attempts: list[int] = []


@activity.defn(name="get_vellum_document_by_external_id_activity")
def lookup_nothing(
    input: GetVellumDocumentActivityInput,
) -> GetVellumDocumentActivityOutput | None:
    return None


@activity.defn(name="download_and_upload_document_activity")
def always_throttled(
    input: DownloadAndUploadDocumentActivityInput,
) -> DownloadAndUploadDocumentActivityOutput:
    attempts.append(activity.info().attempt)
    raise ApplicationError(
        "Vellum upload failed with HTTP 429",
        type="VellumRequestFailed",
        next_retry_delay=timedelta(hours=1),
    )


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=find_executable("temporal-test-server")
    )
    yield environment
    await environment.shutdown()


async def test_retries_stop_at_maximum_attempts(
    time_skipping: WorkflowEnvironment,
) -> None:
    get_settings()
    attempts.clear()
    task_queue = f"skip-{uuid.uuid4()}"
    input = CreateVellumDocumentWorkflowInput(
        s3_url="https://bucket.s3.amazonaws.com/key.pdf",
        source=ExecutionSource.DRATA_WEBAPP_PROD,
        external_id=f"skip-{uuid.uuid4()}",
        filename="key.pdf",
        tenant_id="tenant-s",
        tenant_name="Tenant S",
        index_id="local-documents",
    )

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as executor:
        async with Worker(
            time_skipping.client,
            task_queue=task_queue,
            workflows=[CreateVellumDocumentWorkflowV1],
            activities=[lookup_nothing, always_throttled],
            activity_executor=executor,
        ):
            with pytest.raises(WorkflowFailureError) as raised:
                await time_skipping.client.execute_workflow(
                    CreateVellumDocumentWorkflowV1.run,
                    input,
                    id=f"skip-{uuid.uuid4()}",
                    task_queue=task_queue,
                )

    maximum = get_retry_policy(RetryKind.S3).maximum_attempts
    assert attempts == list(range(1, maximum + 1))
    cause = raised.value.cause
    assert isinstance(cause, ActivityError)
    assert isinstance(cause.cause, ApplicationError)
    assert cause.cause.type == "VellumRequestFailed"

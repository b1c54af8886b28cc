"""CreateVellumDocumentWorkflowV1 on the Temporal dev server with real activities."""

from __future__ import annotations

import os
import uuid

import botocore.exceptions
import pytest
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError

from ai_services.local_stack.stack import ARCHIVE_BUCKET, INDEX_NAME, LocalStack
from ai_services.shared.runtime.context import ExecutionSource
from ai_services.temporal_workers.workflows.vellum.create_vellum_document_workflow_v1 import (  # noqa: E501
    CreateVellumDocumentWorkflowInput,
    CreateVellumDocumentWorkflowOutput,
    CreateVellumDocumentWorkflowV1,
)
from tests.helpers.source_server import ScriptedResponse, SourceServer
from tests.workflows.worker import running_worker

pytestmark = pytest.mark.usefixtures("worker_env")


def workflow_input(
    url: str, source: ExecutionSource, external_id: str | None = None
) -> CreateVellumDocumentWorkflowInput:
    return CreateVellumDocumentWorkflowInput(
        s3_url=url,
        source=source,
        external_id=external_id or f"workflow-{uuid.uuid4()}",
        filename="policy.pdf",
        tenant_id="tenant-w",
        tenant_name="Tenant W",
        index_id=INDEX_NAME,
        metadata={"kind": "policy"},
        content_type="application/pdf",
    )


async def run_workflow(
    client: Client, task_queue: str, input: CreateVellumDocumentWorkflowInput
) -> CreateVellumDocumentWorkflowOutput:
    return await client.execute_workflow(
        CreateVellumDocumentWorkflowV1.run,
        input,
        id=f"test-{uuid.uuid4()}",
        task_queue=task_queue,
    )


def s3_has(stack: LocalStack, key: str) -> bool:
    try:
        stack.s3_client().head_object(Bucket=ARCHIVE_BUCKET, Key=key)
    except botocore.exceptions.ClientError:
        return False
    return True


def index_count(stack: LocalStack) -> int:
    listed = stack.vellum_client().documents.list(document_index_id=INDEX_NAME, limit=1)
    return listed.count or 0


async def test_local_run_creates_document_without_s3(
    temporal_client: Client, stack: LocalStack, source_server: SourceServer
) -> None:
    url = source_server.add("/wf-local.pdf", ScriptedResponse(body=os.urandom(2048)))
    input = workflow_input(url, ExecutionSource.LOCAL)

    async with running_worker(temporal_client) as task_queue:
        output = await run_workflow(temporal_client, task_queue, input)

    assert output.s3_uploaded is False
    assert output.existing is False
    assert output.bucket == ARCHIVE_BUCKET
    assert output.remote_key.startswith("tenants/tenant-w/")
    assert not s3_has(stack, output.remote_key)
    document = stack.vellum_client().documents.retrieve(input.external_id)
    assert document.id == output.document_id


async def test_production_run_creates_document_and_s3_object(
    temporal_client: Client, stack: LocalStack, source_server: SourceServer
) -> None:
    url = source_server.add("/wf-prod.pdf", ScriptedResponse(body=os.urandom(2048)))
    input = workflow_input(url, ExecutionSource.DRATA_WEBAPP_PROD)

    async with running_worker(temporal_client) as task_queue:
        output = await run_workflow(temporal_client, task_queue, input)

    assert output.s3_uploaded is True
    assert s3_has(stack, output.remote_key)
    document = stack.vellum_client().documents.retrieve(input.external_id)
    assert document.id == output.document_id
    assert document.metadata is not None
    assert document.metadata["S3_OBJECT_KEY"] == output.remote_key


async def test_existing_document_returned_without_download(
    temporal_client: Client, stack: LocalStack, source_server: SourceServer
) -> None:
    external_id = f"existing-{uuid.uuid4()}"
    created = stack.vellum_client().documents.upload(
        label="existing.pdf",
        contents=b"already there",
        external_id=external_id,
        add_to_index_names=[INDEX_NAME],
    )
    url = source_server.add("/wf-existing.pdf", ScriptedResponse(body=b"new bytes"))
    input = workflow_input(url, ExecutionSource.DRATA_WEBAPP_PROD, external_id)

    async with running_worker(temporal_client) as task_queue:
        output = await run_workflow(temporal_client, task_queue, input)

    assert output.existing is True
    assert output.document_id == created.document_id
    assert source_server.request_counts["/wf-existing.pdf"] == 0
    assert not s3_has(stack, output.remote_key)


async def test_second_run_leaves_one_document(
    temporal_client: Client, stack: LocalStack, source_server: SourceServer
) -> None:
    url = source_server.add("/wf-twice.pdf", ScriptedResponse(body=os.urandom(512)))
    input = workflow_input(url, ExecutionSource.DRATA_WEBAPP_PROD)

    async with running_worker(temporal_client) as task_queue:
        first = await run_workflow(temporal_client, task_queue, input)
        count_after_first = index_count(stack)
        second = await run_workflow(temporal_client, task_queue, input)

    assert second.document_id == first.document_id
    assert second.existing is True
    assert index_count(stack) == count_after_first
    assert source_server.request_counts["/wf-twice.pdf"] == 1


async def test_started_by_type_name_with_json(
    temporal_client: Client, stack: LocalStack, source_server: SourceServer
) -> None:
    url = source_server.add("/wf-json.pdf", ScriptedResponse(body=b"started by name"))
    external_id = f"json-{uuid.uuid4()}"
    arguments = {
        "s3_url": url,
        "source": "drata_webapp_prod",
        "external_id": external_id,
        "filename": "by-name.pdf",
        "tenant_id": "tenant-w",
        "tenant_name": "Tenant W",
        "index_id": stack.index_id,
        "metadata": None,
    }

    async with running_worker(temporal_client) as task_queue:
        result = await temporal_client.execute_workflow(
            "CreateVellumDocumentWorkflowV1",
            arguments,
            id=f"test-{uuid.uuid4()}",
            task_queue=task_queue,
        )

    assert result["s3_uploaded"] is True
    assert s3_has(stack, result["remote_key"])


@pytest.mark.parametrize("external_id", ["a/b", "a?b", "a#b"])
async def test_invalid_external_id_fails_before_io(
    temporal_client: Client, source_server: SourceServer, external_id: str
) -> None:
    url = source_server.add("/wf-invalid.pdf", ScriptedResponse(body=b"never read"))
    input = workflow_input(url, ExecutionSource.LOCAL, external_id)

    async with running_worker(temporal_client) as task_queue:
        with pytest.raises(WorkflowFailureError) as raised:
            await run_workflow(temporal_client, task_queue, input)

    cause = raised.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "InvalidInput"
    assert cause.non_retryable
    assert "external_id" in cause.message
    assert source_server.request_counts["/wf-invalid.pdf"] == 0


async def test_non_retryable_download_fails_after_one_attempt(
    temporal_client: Client, source_server: SourceServer
) -> None:
    url = source_server.add(
        "/wf-expired.pdf", ScriptedResponse(status=403, body=b"expired")
    )
    input = workflow_input(url, ExecutionSource.DRATA_WEBAPP_PROD)

    async with running_worker(temporal_client) as task_queue:
        with pytest.raises(WorkflowFailureError):
            await run_workflow(temporal_client, task_queue, input)

    assert source_server.request_counts["/wf-expired.pdf"] == 1

"""Hostile file names and metadata through the whole workflow."""

from __future__ import annotations

import json
import uuid

import pytest
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError

from ai_services.local_stack.stack import ARCHIVE_BUCKET, INDEX_NAME, LocalStack
from ai_services.shared.documents import MAX_S3_KEY_BYTES, document_label
from ai_services.shared.runtime.context import ExecutionSource
from ai_services.temporal_workers.workflows.vellum.create_vellum_document_workflow_v1 import (  # noqa: E501
    CreateVellumDocumentWorkflowInput,
    CreateVellumDocumentWorkflowV1,
)
from tests.helpers.source_server import ScriptedResponse, SourceServer
from tests.workflows.worker import running_worker

pytestmark = pytest.mark.usefixtures("worker_env")

HOSTILE_FILENAMES = {
    "parent": "../../other-tenant/x.pdf",
    "absolute": "/etc/passwd",
    "double-slash": "a//b.pdf",
    "dot-dot": "..",
    "empty": "",
    "nul": "a\x00b.pdf",
    "crlf": "report\r\n.pdf",
    "long": "n" * 1100 + ".pdf",
}


def hostile_input(
    url: str, filename: str, **changes: object
) -> CreateVellumDocumentWorkflowInput:
    values: dict[str, object] = {
        "s3_url": url,
        "source": ExecutionSource.DRATA_WEBAPP_PROD,
        "external_id": f"hostile-{uuid.uuid4()}",
        "filename": filename,
        "tenant_id": "tenant-h",
        "tenant_name": "Tenant H",
        "index_id": INDEX_NAME,
        "metadata": None,
    }
    values.update(changes)
    return CreateVellumDocumentWorkflowInput(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("filename", HOSTILE_FILENAMES.values(), ids=HOSTILE_FILENAMES)
async def test_hostile_filename_stays_in_tenant_prefix(
    temporal_client: Client,
    stack: LocalStack,
    source_server: SourceServer,
    filename: str,
) -> None:
    url = source_server.add(
        f"/hostile-{uuid.uuid4()}.pdf", ScriptedResponse(body=b"payload")
    )
    input = hostile_input(url, filename)

    async with running_worker(temporal_client) as task_queue:
        output = await temporal_client.execute_workflow(
            CreateVellumDocumentWorkflowV1.run,
            input,
            id=f"test-{uuid.uuid4()}",
            task_queue=task_queue,
        )

    key = output.remote_key
    segments = key.split("/")
    assert segments[:2] == ["tenants", "tenant-h"]
    assert len(segments) == 4
    assert all(segment not in ("", ".", "..") for segment in segments)
    assert not any(ord(character) < 32 or ord(character) == 127 for character in key)
    assert len(key.encode()) <= MAX_S3_KEY_BYTES
    stored = stack.s3_client().get_object(Bucket=ARCHIVE_BUCKET, Key=key)
    assert stored["Body"].read() == b"payload"
    document = stack.vellum_client().documents.retrieve(input.external_id)
    assert document.label == document_label(filename)


@pytest.mark.parametrize("key", ["S3_BUCKET", "S3_OBJECT_KEY"])
async def test_metadata_cannot_override_location(
    temporal_client: Client, source_server: SourceServer, key: str
) -> None:
    url = source_server.add(f"/override-{key}.pdf", ScriptedResponse(body=b"payload"))
    input = hostile_input(url, "x.pdf", metadata={key: "elsewhere"})

    async with running_worker(temporal_client) as task_queue:
        with pytest.raises(WorkflowFailureError) as raised:
            await temporal_client.execute_workflow(
                CreateVellumDocumentWorkflowV1.run,
                input,
                id=f"test-{uuid.uuid4()}",
                task_queue=task_queue,
            )

    cause = raised.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "InvalidInput"
    assert key in cause.message
    assert source_server.request_counts[f"/override-{key}.pdf"] == 0


async def test_external_id_of_other_tenant_rejected(
    temporal_client: Client, stack: LocalStack, source_server: SourceServer
) -> None:
    external_id = f"shared-{uuid.uuid4()}"
    other_key = f"tenants/other-tenant/{uuid.uuid4().hex}/x.pdf"
    stack.vellum_client().documents.upload(
        label="x.pdf",
        contents=b"other tenant's bytes",
        external_id=external_id,
        metadata=json.dumps({"S3_BUCKET": ARCHIVE_BUCKET, "S3_OBJECT_KEY": other_key}),
    )
    url = source_server.add("/conflict.pdf", ScriptedResponse(body=b"payload"))
    input = hostile_input(url, "x.pdf", external_id=external_id)

    async with running_worker(temporal_client) as task_queue:
        with pytest.raises(WorkflowFailureError) as raised:
            await temporal_client.execute_workflow(
                CreateVellumDocumentWorkflowV1.run,
                input,
                id=f"test-{uuid.uuid4()}",
                task_queue=task_queue,
            )

    cause = raised.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "ExternalIdConflict"
    assert cause.non_retryable
    assert source_server.request_counts["/conflict.pdf"] == 0

"""Helpers shared by the activity tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import botocore.exceptions
import httpx
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from ai_services.local_stack.stack import ARCHIVE_BUCKET, INDEX_NAME, LocalStack
from ai_services.shared.documents import build_remote_key
from ai_services.shared.runtime.context import ExecutionSource
from ai_services.temporal_workers.activities import transfers
from ai_services.temporal_workers.activities.vellum.download_and_upload_document_activity import (  # noqa: E501
    DownloadAndUploadDocumentActivityInput,
    DownloadAndUploadDocumentActivityOutput,
    download_and_upload_document_activity,
)
from tests.conftest import clear_client_caches


def make_input(
    url: str,
    source: ExecutionSource = ExecutionSource.DRATA_WEBAPP_PROD,
    *,
    index_id: str = INDEX_NAME,
    filename: str = "report.pdf",
) -> DownloadAndUploadDocumentActivityInput:
    external_id = f"activity-{uuid.uuid4()}"
    return DownloadAndUploadDocumentActivityInput(
        source_url=url,
        source=source,
        bucket=ARCHIVE_BUCKET,
        remote_key=build_remote_key("tenant-a", external_id, filename),
        external_id=external_id,
        filename=filename,
        tenant_id="tenant-a",
        tenant_name="Tenant A",
        index_id=index_id,
        content_type="application/pdf",
        metadata={"team": "risk"},
    )


def run_activity(
    input: DownloadAndUploadDocumentActivityInput,
    heartbeats: list[dict[str, object]] | None = None,
) -> DownloadAndUploadDocumentActivityOutput:
    environment = ActivityEnvironment()
    if heartbeats is not None:
        environment.on_heartbeat = lambda *details: heartbeats.append(details[0])
    result: DownloadAndUploadDocumentActivityOutput = environment.run(
        download_and_upload_document_activity, input
    )
    return result


def run_failing(
    input: DownloadAndUploadDocumentActivityInput,
    heartbeats: list[dict[str, object]] | None = None,
) -> ApplicationError:
    with pytest.raises(ApplicationError) as raised:
        run_activity(input, heartbeats)
    return raised.value


def s3_object(stack: LocalStack, key: str) -> bytes | None:
    try:
        response = stack.s3_client().get_object(Bucket=ARCHIVE_BUCKET, Key=key)
    except botocore.exceptions.ClientError as error:
        assert error.response["Error"]["Code"] == "NoSuchKey"
        return None
    return bytes(response["Body"].read())


def vellum_bytes(stack: LocalStack, external_id: str) -> bytes | None:
    """Return the stored bytes of the document with `external_id`, or None."""
    try:
        document = stack.vellum_client().documents.retrieve(external_id)
    except Exception:
        return None
    response = httpx.get(
        str(document.original_file_url),
        headers={"X-API-KEY": stack.secrets.vellum_api_key},
    )
    response.raise_for_status()
    return response.content


def vellum_uploads(stack: LocalStack, external_id: str) -> int:
    """Count the upload requests the Vellum-compatible server got for an id."""
    with httpx.Client(
        base_url=stack.vellum_url,
        headers={"X-API-KEY": stack.secrets.vellum_api_key},
    ) as client:
        entries = client.get("/_emulator/requests").json()
    return sum(
        1
        for entry in entries
        if entry["path"] == "/v1/upload-document"
        and entry["external_id"] == external_id
    )


@pytest.fixture
def fast_heartbeats(monkeypatch: pytest.MonkeyPatch) -> None:
    """Heartbeat every 0.2 s instead of every few seconds."""
    monkeypatch.setattr(transfers, "HEARTBEAT_INTERVAL_SECONDS", 0.2)


@contextmanager
def settings_overridden(
    monkeypatch: pytest.MonkeyPatch, **variables: str
) -> Iterator[None]:
    """Set worker settings for one test and rebuild the cached clients."""
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    clear_client_caches()
    try:
        yield
    finally:
        monkeypatch.undo()
        clear_client_caches()

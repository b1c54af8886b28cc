"""Legacy second step: download the archived copy from S3 and upload it to Vellum.

It stays registered for workflow executions that started before the
single-download activity and still replay through the old path. It downloads
the document a second time, from S3.
"""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import activity

from ai_services.settings import get_settings
from ai_services.temporal_workers.activities.steps import upload_document_to_vellum
from ai_services.temporal_workers.activities.transfers import (
    CHUNK_BYTES,
    closing_buffer,
    heartbeating,
    new_spooled_buffer,
)
from ai_services.temporal_workers.helpers.clients import (
    get_s3_client,
)
from ai_services.temporal_workers.helpers.http_errors import (
    TransferStep,
    format_ids,
    temporal_http_errors,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateVellumDocumentActivityInput:
    bucket: str
    remote_key: str
    external_id: str
    filename: str
    tenant_id: str
    tenant_name: str
    index_id: str
    content_type: str | None = None
    metadata: dict[str, str] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateVellumDocumentActivityOutput:
    document_id: str


@activity.defn
def create_vellum_document_activity(
    input: CreateVellumDocumentActivityInput,
) -> CreateVellumDocumentActivityOutput:
    """Read `bucket/remote_key` from S3 and upload it as a Vellum document."""
    settings = get_settings()
    ids = {"tenant_id": input.tenant_id, "external_id": input.external_id}
    with heartbeating():
        buffer = new_spooled_buffer()
        with closing_buffer(buffer):
            with temporal_http_errors(TransferStep.S3_DOWNLOAD, ids):
                # One GET, streamed into the spooled buffer.
                response = get_s3_client().get_object(
                    Bucket=input.bucket, Key=input.remote_key
                )
                for chunk in response["Body"].iter_chunks(CHUNK_BYTES):
                    buffer.write(chunk)
                buffer.seek(0)
            document_id = upload_document_to_vellum(
                buffer,
                settings,
                filename=input.filename,
                external_id=input.external_id,
                index_id=input.index_id,
                content_type=input.content_type,
                metadata=input.metadata,
                bucket=input.bucket,
                remote_key=input.remote_key,
                ids=ids,
            )
    activity.logger.info(
        "Uploaded document to Vellum as document_id=%s for %s",
        document_id,
        format_ids(ids),
    )
    return CreateVellumDocumentActivityOutput(document_id=document_id)

"""Download a document once, archive it in S3 for Drata runs, upload it to Vellum."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import activity

from ai_services.settings import get_settings
from ai_services.shared.runtime.context import ExecutionSource
from ai_services.temporal_workers.activities.steps import (
    archive_in_s3,
    download_source,
    upload_document_to_vellum,
)
from ai_services.temporal_workers.activities.transfers import (
    closing_buffer,
    heartbeating,
)
from ai_services.temporal_workers.helpers.http_errors import format_ids


@dataclass(frozen=True, slots=True, kw_only=True)
class DownloadAndUploadDocumentActivityInput:
    source_url: str
    source: ExecutionSource
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
class DownloadAndUploadDocumentActivityOutput:
    document_id: str
    bucket: str
    remote_key: str


@activity.defn
def download_and_upload_document_activity(
    input: DownloadAndUploadDocumentActivityInput,
) -> DownloadAndUploadDocumentActivityOutput:
    """Download the source once, then upload it to S3 (Drata runs only) and Vellum.

    Raises:
        ApplicationError: retryable or not, as `raise_temporal_http_error()` and
            `_raise_vellum_error()` classify the failure.
    """
    settings = get_settings()
    ids = {"tenant_id": input.tenant_id, "external_id": input.external_id}
    logger = activity.logger
    logger.info(
        "Downloading document (source=%s, attempt=%d) for %s",
        input.source.value,
        activity.info().attempt,
        format_ids(ids),
    )

    with (
        heartbeating(),
        closing_buffer(download_source(input.source_url, settings, ids)) as buffer,
    ):
        if input.source.drata_run:
            archive_in_s3(
                buffer,
                bucket=input.bucket,
                key=input.remote_key,
                content_type=input.content_type,
                ids=ids,
            )
            logger.info(
                "Archived document in s3://%s/%s for %s",
                input.bucket,
                input.remote_key,
                format_ids(ids),
            )
        else:
            logger.info(
                "Skipped the S3 upload: source=%s is not a Drata run, for %s",
                input.source.value,
                format_ids(ids),
            )

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

    logger.info(
        "Uploaded document to Vellum as document_id=%s for %s",
        document_id,
        format_ids(ids),
    )
    return DownloadAndUploadDocumentActivityOutput(
        document_id=document_id, bucket=input.bucket, remote_key=input.remote_key
    )

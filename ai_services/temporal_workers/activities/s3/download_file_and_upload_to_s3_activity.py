"""Legacy first step: download from the presigned URL and archive in S3.

Kept registered, unchanged in behaviour, for workflow executions that started
before the single-download activity and still replay through the old path.
"""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import activity

from ai_services.settings import get_settings
from ai_services.temporal_workers.activities.transfers import (
    DownloadLimits,
    buffer_size,
    closing_buffer,
    download_to_buffer,
    heartbeat_progress,
    heartbeating,
    put_s3_object,
)
from ai_services.temporal_workers.helpers.clients import get_http_session, get_s3_client
from ai_services.temporal_workers.helpers.http_errors import (
    TransferStep,
    format_ids,
    temporal_http_errors,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class DownloadFileAndUploadToS3ActivityInput:
    source_url: str
    bucket: str
    remote_key: str
    tenant_id: str
    external_id: str
    content_type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DownloadFileAndUploadToS3ActivityOutput:
    bucket: str
    remote_key: str
    size: int


@activity.defn
def download_file_and_upload_to_s3_activity(
    input: DownloadFileAndUploadToS3ActivityInput,
) -> DownloadFileAndUploadToS3ActivityOutput:
    """Download the source and store it at `bucket/remote_key`, for every source."""
    settings = get_settings()
    ids = {"tenant_id": input.tenant_id, "external_id": input.external_id}
    limits = DownloadLimits.from_settings(settings)
    with heartbeating():
        with temporal_http_errors(TransferStep.DOWNLOAD, ids):
            buffer = download_to_buffer(
                get_http_session(),
                input.source_url,
                limits,
                ids,
                heartbeat_progress("download"),
            )
        with closing_buffer(buffer):
            size = buffer_size(buffer)
            with temporal_http_errors(TransferStep.S3_UPLOAD, ids):
                put_s3_object(
                    get_s3_client(),
                    buffer,
                    bucket=input.bucket,
                    key=input.remote_key,
                    content_type=input.content_type,
                    progress=heartbeat_progress("s3_upload"),
                )
    activity.logger.info(
        "Archived document in s3://%s/%s (%d bytes) for %s",
        input.bucket,
        input.remote_key,
        size,
        format_ids(ids),
    )
    return DownloadFileAndUploadToS3ActivityOutput(
        bucket=input.bucket, remote_key=input.remote_key, size=size
    )

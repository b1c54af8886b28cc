"""Legacy first step: download from the presigned URL and archive in S3.

Kept registered, unchanged in behaviour, for workflow executions that started
before the single-download activity and still replay through the old path.
"""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import activity

from ai_services.settings import get_settings
from ai_services.temporal_workers.activities.steps import (
    archive_in_s3,
    download_source,
)
from ai_services.temporal_workers.activities.transfers import (
    buffer_size,
    closing_buffer,
    heartbeating,
)
from ai_services.temporal_workers.helpers.http_errors import format_ids


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
    with (
        heartbeating(),
        closing_buffer(download_source(input.source_url, settings, ids)) as buffer,
    ):
        size = buffer_size(buffer)
        archive_in_s3(
            buffer,
            bucket=input.bucket,
            key=input.remote_key,
            content_type=input.content_type,
            ids=ids,
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

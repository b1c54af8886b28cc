"""The transfer steps of the activities, each with its client, its progress
report and its error translation, so that every activity classifies failures the
same way."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO

from ai_services.settings import Settings
from ai_services.shared.documents import build_document_metadata
from ai_services.temporal_workers.activities.transfers import (
    DownloadLimits,
    download_to_buffer,
    heartbeat_progress,
    put_s3_object,
    upload_to_vellum,
)
from ai_services.temporal_workers.helpers.clients import (
    get_http_session,
    get_s3_client,
    get_vellum_client,
)
from ai_services.temporal_workers.helpers.http_errors import (
    TransferStep,
    temporal_http_errors,
)
from ai_services.temporal_workers.helpers.vellum_errors import temporal_vellum_errors


def download_source(url: str, settings: Settings, ids: Mapping[str, str]) -> IO[bytes]:
    """Download the source once into a spooled buffer; the caller closes it."""
    with temporal_http_errors(TransferStep.DOWNLOAD, ids):
        return download_to_buffer(
            get_http_session(),
            url,
            DownloadLimits.from_settings(settings),
            ids,
            heartbeat_progress("download"),
        )


def archive_in_s3(
    buffer: IO[bytes],
    *,
    bucket: str,
    key: str,
    content_type: str | None,
    ids: Mapping[str, str],
) -> None:
    """Upload the buffer to `bucket/key`, then rewind it."""
    with temporal_http_errors(TransferStep.S3_UPLOAD, ids):
        put_s3_object(
            get_s3_client(),
            buffer,
            bucket=bucket,
            key=key,
            content_type=content_type,
            progress=heartbeat_progress("s3_upload"),
        )


def upload_document_to_vellum(
    buffer: IO[bytes],
    settings: Settings,
    *,
    filename: str,
    external_id: str,
    index_id: str,
    content_type: str | None,
    metadata: dict[str, str] | None,
    bucket: str,
    remote_key: str,
    ids: Mapping[str, str],
) -> str:
    """Upload the buffer to Vellum, with the S3 location in its metadata.

    Returns:
        The Vellum document id.
    """
    with temporal_vellum_errors("Vellum upload", ids):
        return upload_to_vellum(
            get_vellum_client(),
            buffer,
            filename=filename,
            external_id=external_id,
            index_id=index_id,
            content_type=content_type,
            metadata=build_document_metadata(
                metadata, bucket=bucket, remote_key=remote_key
            ),
            timeout_seconds=settings.vellum_timeout_seconds,
            progress=heartbeat_progress("vellum_upload"),
        )

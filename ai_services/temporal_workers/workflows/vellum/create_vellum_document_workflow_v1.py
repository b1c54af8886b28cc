"""The workflow that turns one presigned document URL into one Vellum document."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from ai_services.settings import get_settings
    from ai_services.shared.documents import (
        InvalidDocumentInputError,
        build_remote_key,
        check_identifier,
        check_metadata,
        tenant_key_prefix,
    )
    from ai_services.shared.runtime.context import ExecutionSource
    from ai_services.temporal_workers.activities.s3.download_file_and_upload_to_s3_activity import (  # noqa: E501
        DownloadFileAndUploadToS3ActivityInput,
        download_file_and_upload_to_s3_activity,
    )
    from ai_services.temporal_workers.activities.vellum.create_vellum_document_activity import (  # noqa: E501
        CreateVellumDocumentActivityInput,
        create_vellum_document_activity,
    )
    from ai_services.temporal_workers.activities.vellum.download_and_upload_document_activity import (  # noqa: E501
        DownloadAndUploadDocumentActivityInput,
        download_and_upload_document_activity,
    )
    from ai_services.temporal_workers.activities.vellum.get_vellum_document_activity import (  # noqa: E501
        GetVellumDocumentActivityInput,
        get_vellum_document_by_external_id_activity,
    )
    from ai_services.temporal_workers.helpers.retry_policies import (
        RetryKind,
        get_retry_policy,
    )

# Marker written into new histories. Histories without it were recorded by the
# two-activity code (download to S3, then S3 to Vellum) and replay through it.
SINGLE_DOWNLOAD_PATCH = "create-vellum-document-single-download"

# One attempt of a transfer: a 32 MiB document needs seconds on a healthy
# network; 5 minutes leaves room for slow sources and S3 or Vellum latency.
TRANSFER_START_TO_CLOSE = timedelta(minutes=5)
# Transfers heartbeat their progress at least every few seconds, so a worker that
# dies mid-transfer is noticed after this long, not after 5 minutes.
TRANSFER_HEARTBEAT_TIMEOUT = timedelta(seconds=30)
LOOKUP_START_TO_CLOSE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateVellumDocumentWorkflowInput:
    s3_url: str
    source: ExecutionSource
    external_id: str
    filename: str
    tenant_id: str
    tenant_name: str
    # The document index's UUID or its unique name.
    index_id: str
    metadata: dict[str, str] | None = None
    content_type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateVellumDocumentWorkflowOutput:
    document_id: str
    bucket: str
    remote_key: str
    s3_uploaded: bool
    # True when the document existed already and nothing was downloaded.
    existing: bool = False


# NOTE: input that fails to decode (a metadata value that is not a string, a
# null filename) fails the workflow task, not the workflow. Temporal retries the
# task until the workflow is terminated.
@workflow.defn(name="CreateVellumDocumentWorkflowV1")
class CreateVellumDocumentWorkflowV1:
    """Create exactly one Vellum document for an external id.

    Drata runs also archive the same bytes in the service's S3 bucket.
    """

    @workflow.run
    async def run(
        self, input: CreateVellumDocumentWorkflowInput
    ) -> CreateVellumDocumentWorkflowOutput:
        try:
            check_identifier("external_id", input.external_id)
            check_metadata(input.metadata)
            remote_key = build_remote_key(
                input.tenant_id, input.external_id, input.filename
            )
        except InvalidDocumentInputError as error:
            raise ApplicationError(
                str(error), type="InvalidInput", non_retryable=True
            ) from None
        bucket = get_settings().aws_s3_bucket
        log_ids = f"tenant_id={input.tenant_id}, external_id={input.external_id}"

        existing = await workflow.execute_activity(
            get_vellum_document_by_external_id_activity,
            GetVellumDocumentActivityInput(
                external_id=input.external_id, tenant_id=input.tenant_id
            ),
            start_to_close_timeout=LOOKUP_START_TO_CLOSE,
            retry_policy=get_retry_policy(RetryKind.VELLUM),
        )
        if existing is not None:
            existing_key = existing.metadata.get("S3_OBJECT_KEY", remote_key)
            if not existing_key.startswith(tenant_key_prefix(input.tenant_id)):
                # Vellum keeps one document per external id in the whole workspace.
                raise ApplicationError(
                    f"external_id {input.external_id!r} belongs to a document of "
                    f"another tenant, not tenant_id={input.tenant_id}: use external "
                    "ids that are unique across tenants",
                    type="ExternalIdConflict",
                    non_retryable=True,
                )
            workflow.logger.info(
                "Document exists as document_id=%s; nothing to download, for %s",
                existing.document_id,
                log_ids,
            )
            return CreateVellumDocumentWorkflowOutput(
                document_id=existing.document_id,
                bucket=existing.metadata.get("S3_BUCKET", bucket),
                remote_key=existing.metadata.get("S3_OBJECT_KEY", remote_key),
                s3_uploaded=False,
                existing=True,
            )

        if workflow.patched(SINGLE_DOWNLOAD_PATCH):
            document = await workflow.execute_activity(
                download_and_upload_document_activity,
                DownloadAndUploadDocumentActivityInput(
                    source_url=input.s3_url,
                    source=input.source,
                    bucket=bucket,
                    remote_key=remote_key,
                    external_id=input.external_id,
                    filename=input.filename,
                    tenant_id=input.tenant_id,
                    tenant_name=input.tenant_name,
                    index_id=input.index_id,
                    content_type=input.content_type,
                    metadata=input.metadata,
                ),
                start_to_close_timeout=TRANSFER_START_TO_CLOSE,
                heartbeat_timeout=TRANSFER_HEARTBEAT_TIMEOUT,
                # The most restrictive policy, because the activity writes to S3.
                retry_policy=get_retry_policy(RetryKind.S3),
            )
            return CreateVellumDocumentWorkflowOutput(
                document_id=document.document_id,
                bucket=document.bucket,
                remote_key=document.remote_key,
                s3_uploaded=input.source.drata_run,
            )

        # Recorded before the single-download activity existed: archive in S3 for
        # every source, then download from S3 again for Vellum.
        archived = await workflow.execute_activity(
            download_file_and_upload_to_s3_activity,
            DownloadFileAndUploadToS3ActivityInput(
                source_url=input.s3_url,
                bucket=bucket,
                remote_key=remote_key,
                tenant_id=input.tenant_id,
                external_id=input.external_id,
                content_type=input.content_type,
            ),
            start_to_close_timeout=TRANSFER_START_TO_CLOSE,
            retry_policy=get_retry_policy(RetryKind.S3),
        )
        created = await workflow.execute_activity(
            create_vellum_document_activity,
            CreateVellumDocumentActivityInput(
                bucket=archived.bucket,
                remote_key=archived.remote_key,
                external_id=input.external_id,
                filename=input.filename,
                tenant_id=input.tenant_id,
                tenant_name=input.tenant_name,
                index_id=input.index_id,
                content_type=input.content_type,
                metadata=input.metadata,
            ),
            start_to_close_timeout=TRANSFER_START_TO_CLOSE,
            retry_policy=get_retry_policy(RetryKind.VELLUM),
        )
        return CreateVellumDocumentWorkflowOutput(
            document_id=created.document_id,
            bucket=archived.bucket,
            remote_key=archived.remote_key,
            s3_uploaded=True,
        )

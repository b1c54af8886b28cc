"""The workflow as it was before the single-download activity.

It runs under the production workflow name, on a task queue of its own, to
measure the legacy two-activity path against the current one, and it recorded
the histories that the replay tests check.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from ai_services.settings import get_settings
    from ai_services.shared.documents import build_remote_key
    from ai_services.temporal_workers.activities.s3.download_file_and_upload_to_s3_activity import (  # noqa: E501
        DownloadFileAndUploadToS3ActivityInput,
        download_file_and_upload_to_s3_activity,
    )
    from ai_services.temporal_workers.activities.vellum.create_vellum_document_activity import (  # noqa: E501
        CreateVellumDocumentActivityInput,
        create_vellum_document_activity,
    )
    from ai_services.temporal_workers.activities.vellum.get_vellum_document_activity import (  # noqa: E501
        GetVellumDocumentActivityInput,
        get_vellum_document_by_external_id_activity,
    )
    from ai_services.temporal_workers.helpers.retry_policies import (
        RetryKind,
        get_retry_policy,
    )
    from ai_services.temporal_workers.workflows.vellum.create_vellum_document_workflow_v1 import (  # noqa: E501
        LOOKUP_START_TO_CLOSE,
        TRANSFER_START_TO_CLOSE,
        CreateVellumDocumentWorkflowInput,
        CreateVellumDocumentWorkflowOutput,
    )


@workflow.defn(name="CreateVellumDocumentWorkflowV1")
class LegacyCreateVellumDocumentWorkflow:
    """The two-activity workflow: presigned URL to S3, then S3 to Vellum."""

    @workflow.run
    async def run(
        self, input: CreateVellumDocumentWorkflowInput
    ) -> CreateVellumDocumentWorkflowOutput:
        remote_key = build_remote_key(
            input.tenant_id, input.external_id, input.filename
        )
        bucket = get_settings().aws_s3_bucket
        existing = await workflow.execute_activity(
            get_vellum_document_by_external_id_activity,
            GetVellumDocumentActivityInput(
                external_id=input.external_id, tenant_id=input.tenant_id
            ),
            start_to_close_timeout=LOOKUP_START_TO_CLOSE,
            retry_policy=get_retry_policy(RetryKind.VELLUM),
        )
        if existing is not None:
            return CreateVellumDocumentWorkflowOutput(
                document_id=existing.document_id,
                bucket=bucket,
                remote_key=remote_key,
                s3_uploaded=False,
                existing=True,
            )
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

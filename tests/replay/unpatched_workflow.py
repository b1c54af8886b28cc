"""The current workflow with its legacy branch removed, as a careless change would
leave it: the replay tests show that it cannot replay the legacy histories."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from ai_services.settings import get_settings
    from ai_services.shared.documents import build_remote_key
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
    from ai_services.temporal_workers.workflows.vellum.create_vellum_document_workflow_v1 import (  # noqa: E501
        LOOKUP_START_TO_CLOSE,
        TRANSFER_START_TO_CLOSE,
        CreateVellumDocumentWorkflowInput,
        CreateVellumDocumentWorkflowOutput,
    )


@workflow.defn(name="CreateVellumDocumentWorkflowV1")
class SingleDownloadOnlyWorkflow:
    """Single-download path only, under the production workflow name."""

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
        assert existing is None
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
            retry_policy=get_retry_policy(RetryKind.S3),
        )
        return CreateVellumDocumentWorkflowOutput(
            document_id=document.document_id,
            bucket=document.bucket,
            remote_key=document.remote_key,
            s3_uploaded=input.source.drata_run,
        )

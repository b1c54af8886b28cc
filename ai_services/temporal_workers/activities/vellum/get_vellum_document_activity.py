"""Find an existing Vellum document by its external id."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import activity
from vellum.core import ApiError, RequestOptions

from ai_services.settings import get_settings
from ai_services.temporal_workers.helpers.clients import get_vellum_client
from ai_services.temporal_workers.helpers.http_errors import format_ids
from ai_services.temporal_workers.helpers.vellum_errors import temporal_vellum_errors


@dataclass(frozen=True, slots=True, kw_only=True)
class GetVellumDocumentActivityInput:
    external_id: str
    tenant_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class GetVellumDocumentActivityOutput:
    document_id: str
    external_id: str
    metadata: dict[str, str]


@activity.defn
def get_vellum_document_by_external_id_activity(
    input: GetVellumDocumentActivityInput,
) -> GetVellumDocumentActivityOutput | None:
    """Return the Vellum document with `external_id`, or None when there is none."""
    ids = {"tenant_id": input.tenant_id, "external_id": input.external_id}
    settings = get_settings()
    with temporal_vellum_errors("Vellum document lookup", ids):
        try:
            document = get_vellum_client().documents.retrieve(
                input.external_id,
                request_options=RequestOptions(
                    max_retries=0,
                    timeout_in_seconds=settings.vellum_timeout_seconds,
                ),
            )
        except ApiError as error:
            if error.status_code == 404:
                activity.logger.info("No Vellum document yet for %s", format_ids(ids))
                return None
            raise

    metadata = {
        str(key): str(value) for key, value in (document.metadata or {}).items()
    }
    activity.logger.info(
        "Found Vellum document_id=%s for %s", document.id, format_ids(ids)
    )
    return GetVellumDocumentActivityOutput(
        document_id=document.id,
        external_id=document.external_id or input.external_id,
        metadata=metadata,
    )

"""JSON shapes of documents and document indexes, as vellum-ai 1.14.8 parses them.

``DocumentRead`` and ``SlimDocument`` require ``id``, ``label``,
``last_uploaded_at``, ``processing_state`` and ``document_to_document_indexes``,
and accept only ``"ACTIVE"`` or null as a document ``status``. Each index link
requires ``id`` and ``environment_document_index_id``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from ai_services.vellum_server.store import (
    FAILED,
    PROCESSED,
    DocumentIndexRecord,
    DocumentRecord,
)

DOCUMENT_STATUS: Final = "ACTIVE"

_INDEXING_STATE_BY_PROCESSING_STATE: Final = {
    PROCESSED: "INDEXED",
    FAILED: "FAILED",
}


def format_datetime(value: datetime) -> str:
    """Format a time as ISO-8601 in UTC with a ``Z`` suffix."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _links_json(document: DocumentRecord) -> list[dict[str, Any]]:
    # Indexing follows processing here: QUEUED stays QUEUED, PROCESSED becomes
    # INDEXED and FAILED stays FAILED.
    indexing_state = _INDEXING_STATE_BY_PROCESSING_STATE.get(
        document.processing_state, document.processing_state
    )
    return [
        {
            "id": link.id,
            # This server has one environment, so the environment-specific index
            # id is the index id itself.
            "environment_document_index_id": link.document_index_id,
            "document_index_id": link.document_index_id,
            "indexing_state": indexing_state,
        }
        for link in document.links
    ]


def slim_document_json(document: DocumentRecord) -> dict[str, Any]:
    """Build a ``SlimDocument``, the item shape of the document list."""
    return {
        "id": document.id,
        "external_id": document.external_id,
        "last_uploaded_at": format_datetime(document.last_uploaded_at),
        "label": document.label,
        "processing_state": document.processing_state,
        "processing_failure_reason": document.processing_failure_reason,
        "status": DOCUMENT_STATUS,
        "keywords": list(document.keywords),
        "metadata": document.metadata,
        "document_to_document_indexes": _links_json(document),
    }


def document_json(
    document: DocumentRecord, original_file_url: str | None
) -> dict[str, Any]:
    """Build a ``DocumentRead``, with ``processing_failure_reason`` as an extra key."""
    return {
        **slim_document_json(document),
        "original_file_url": original_file_url,
    }


def document_index_json(index: DocumentIndexRecord) -> dict[str, Any]:
    """Build a ``DocumentIndexRead`` with the ``indexing_config`` given at creation."""
    return {
        "id": index.id,
        "created": format_datetime(index.created),
        "label": index.label,
        "name": index.name,
        "status": index.status,
        "indexing_config": index.indexing_config,
    }

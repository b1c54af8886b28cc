"""Endpoints under ``/v1/document-indexes``."""

from __future__ import annotations

import logging
from typing import Any, Final

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ai_services.vellum_server.context import get_context
from ai_services.vellum_server.documents_api import document_not_found
from ai_services.vellum_server.http_helpers import (
    page_json,
    parse_ordering,
    parse_pagination,
    read_json_object,
)
from ai_services.vellum_server.serialize import document_index_json
from ai_services.vellum_server.store import (
    UNSET,
    DocumentNotFoundError,
    DuplicateIndexNameError,
    IndexNotFoundError,
    InvalidOrderingError,
    Unset,
)

logger = logging.getLogger(__name__)

# Index statuses in vellum-ai 1.14.8 (EntityStatus).
INDEX_STATUSES: Final = ("ACTIVE", "ARCHIVED", "PENDING_DELETION")
DEFAULT_INDEX_STATUS: Final = "ACTIVE"


def index_not_found(reference: str) -> HTTPException:
    """Build the 404 for an index UUID or name that matches nothing."""
    return HTTPException(404, f"No document index has the name or id {reference!r}.")


def _required_text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise HTTPException(400, f"{name} is required and must be a non-empty string.")
    return value


def _optional_status(body: dict[str, Any]) -> str | None:
    status = body.get("status")
    if status is None:
        return None
    if status not in INDEX_STATUSES:
        raise HTTPException(
            400, f"status must be one of {', '.join(INDEX_STATUSES)}, got {status!r}."
        )
    assert isinstance(status, str)
    return status


def _indexing_config(body: dict[str, Any]) -> dict[str, Any]:
    config = body.get("indexing_config")
    if not isinstance(config, dict):
        raise HTTPException(400, "indexing_config is required and must be an object.")
    vectorizer = config.get("vectorizer")
    if not isinstance(vectorizer, dict) or not isinstance(
        vectorizer.get("model_name"), str
    ):
        raise HTTPException(
            400,
            "indexing_config.vectorizer must be an object with a model_name, e.g. "
            '{"model_name": "text-embedding-3-small", "config": {}}.',
        )
    return config


async def create_index(request: Request) -> Response:
    """Create a document index with a unique ``name``."""
    context = get_context(request)
    body = await read_json_object(request)
    label = _required_text(body, "label")
    name = _required_text(body, "name")
    if "/" in name:
        raise HTTPException(
            400, "name must not contain '/', since it is used in paths."
        )
    indexing_config = _indexing_config(body)
    status = _optional_status(body) or DEFAULT_INDEX_STATUS
    copy_from = body.get("copy_documents_from_index_id")
    if copy_from is not None and not isinstance(copy_from, str):
        raise HTTPException(400, "copy_documents_from_index_id must be a string.")

    try:
        index = await run_in_threadpool(
            context.store.create_index,
            name=name,
            label=label,
            status=status,
            indexing_config=indexing_config,
            copy_documents_from=copy_from or None,
        )
    except DuplicateIndexNameError as error:
        raise HTTPException(
            400, f"A document index named {name!r} already exists."
        ) from error
    except IndexNotFoundError as error:
        raise index_not_found(error.reference) from error
    logger.info("Created document index %s (name=%r)", index.id, index.name)
    return JSONResponse(document_index_json(index), status_code=201)


async def list_indexes(request: Request) -> Response:
    """List document indexes, optionally filtered by status or search text."""
    context = get_context(request)
    params = request.query_params
    limit, offset = parse_pagination(params)
    try:
        page = await run_in_threadpool(
            context.store.list_indexes,
            search=params.get("search") or None,
            status=params.get("status") or None,
            ordering=parse_ordering(params),
            limit=limit,
            offset=offset,
        )
    except InvalidOrderingError as error:
        raise HTTPException(400, f"Invalid ordering: {error}.") from error
    results = [document_index_json(index) for index in page.items]
    return JSONResponse(
        page_json(
            request, count=page.count, limit=limit, offset=offset, results=results
        )
    )


async def retrieve_index(request: Request) -> Response:
    """Return one document index by UUID or name.

    ``mask_indexing_config`` is accepted and ignored, because the configuration
    contains no secrets here.
    """
    context = get_context(request)
    reference: str = request.path_params["id"]
    index = await run_in_threadpool(context.store.get_index, reference)
    if index is None:
        raise index_not_found(reference)
    return JSONResponse(document_index_json(index))


async def update_index(request: Request) -> Response:
    """Change an index's label and status: PUT needs ``label``, PATCH does not."""
    context = get_context(request)
    reference: str = request.path_params["id"]
    body = await read_json_object(request)
    if request.method == "PUT" or body.get("label") is not None:
        label: str | Unset = _required_text(body, "label")
    else:
        label = UNSET
    status = _optional_status(body)
    index = await run_in_threadpool(
        context.store.update_index,
        reference,
        label=label,
        status=UNSET if status is None else status,
    )
    if index is None:
        raise index_not_found(reference)
    return JSONResponse(document_index_json(index))


async def delete_index(request: Request) -> Response:
    """Delete a document index but keep its documents."""
    context = get_context(request)
    reference: str = request.path_params["id"]
    if not await run_in_threadpool(context.store.delete_index, reference):
        raise index_not_found(reference)
    logger.info("Deleted document index %r", reference)
    return Response(status_code=204)


async def add_document_to_index(request: Request) -> Response:
    """Add an existing document to an index, which is a no-op the second time."""
    context = get_context(request)
    index_reference: str = request.path_params["id"]
    document_reference: str = request.path_params["document_id"]
    try:
        await run_in_threadpool(
            context.store.add_document_to_index, index_reference, document_reference
        )
    except IndexNotFoundError as error:
        raise index_not_found(error.reference) from error
    except DocumentNotFoundError as error:
        raise document_not_found(error.reference) from error
    return Response(status_code=204)


async def remove_document_from_index(request: Request) -> Response:
    """Remove a document from an index but keep the document."""
    context = get_context(request)
    index_reference: str = request.path_params["id"]
    document_reference: str = request.path_params["document_id"]
    try:
        removed = await run_in_threadpool(
            context.store.remove_document_from_index,
            index_reference,
            document_reference,
        )
    except IndexNotFoundError as error:
        raise index_not_found(error.reference) from error
    except DocumentNotFoundError as error:
        raise document_not_found(error.reference) from error
    if not removed:
        raise HTTPException(
            404,
            f"Document {document_reference!r} is not in document index "
            f"{index_reference!r}.",
        )
    return Response(status_code=204)

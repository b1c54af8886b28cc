"""Endpoints under ``/v1/upload-document`` and ``/v1/documents``."""

from __future__ import annotations

import logging
from typing import Any, Final

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ai_services.vellum_server.context import ServerContext, get_context
from ai_services.vellum_server.http_helpers import (
    page_json,
    parse_ordering,
    parse_pagination,
    read_json_object,
)
from ai_services.vellum_server.request_log import record_form
from ai_services.vellum_server.serialize import (
    DOCUMENT_STATUS,
    document_json,
    slim_document_json,
)
from ai_services.vellum_server.store import (
    UNSET,
    DocumentRecord,
    DocumentUpload,
    IndexNotFoundError,
    InvalidOrderingError,
    StoredContent,
    UpsertResult,
)
from ai_services.vellum_server.upload_form import (
    MAX_LABEL_CHARS,
    UploadFields,
    parse_upload_form,
)

logger = logging.getLogger(__name__)

# Room for the text parts and multipart framing of an upload whose file is at the
# size limit. A body whose Content-Length exceeds the limit plus this is rejected
# before parsing, so it is never spooled to disk. A chunked body without a
# Content-Length is parsed first and rejected by the file size check.
FORM_OVERHEAD_ALLOWANCE_BYTES: Final = 1024 * 1024

# Limits passed to Starlette's multipart parser. Each text part (label,
# metadata, ...) may be at most 1 MiB, the default of Starlette 1.10.
_MAX_FORM_FILES: Final = 10
_MAX_FORM_FIELDS: Final = 1000


def document_not_found(reference: str) -> HTTPException:
    """Build the 404 for a document UUID or external id that matches nothing."""
    return HTTPException(404, f"No document has the id or external_id {reference!r}.")


def original_file_url(request: Request, document: DocumentRecord) -> str | None:
    """Return where the document's file can be downloaded.

    Stored files are served by this server, at a URL built from the request's
    base URL. A document uploaded by URL reports that URL, which this server
    never downloads.
    """
    if document.content_id is None:
        return document.url
    return str(request.url_for("emulator_file", document_id=document.id))


async def _drain_body(request: Request) -> None:
    async for _ in request.stream():
        pass


async def _reject_oversized_body(request: Request, context: ServerContext) -> None:
    raw_length = request.headers.get("content-length")
    if raw_length is None or not raw_length.isdigit():
        return
    body_bytes = int(raw_length)
    if body_bytes <= context.max_document_bytes + FORM_OVERHEAD_ALLOWANCE_BYTES:
        return
    # Reading the body before responding lets the client finish sending and read
    # the 400, where closing early would show up as a connection error.
    await _drain_body(request)
    raise HTTPException(
        400,
        f"The request body is {body_bytes} bytes, larger than the maximum document "
        f"size of {context.max_document_bytes} bytes plus "
        f"{FORM_OVERHEAD_ALLOWANCE_BYTES} bytes for the other form fields.",
    )


async def _store_upload(context: ServerContext, fields: UploadFields) -> UpsertResult:
    # Checking the index names first avoids writing a file only to reject the
    # upload. The upsert checks them again inside its transaction.
    for reference in fields.index_references:
        if await run_in_threadpool(context.store.get_index, reference) is None:
            raise IndexNotFoundError(reference)

    stored = None
    if fields.contents is not None:
        content_id, size = await run_in_threadpool(
            context.content_files.save, fields.contents.file
        )
        stored = StoredContent(
            content_id=content_id,
            filename=fields.contents.filename,
            content_type=fields.contents.content_type,
            size_bytes=size,
        )

    upload = DocumentUpload(
        label=fields.label,
        external_id=fields.external_id,
        keywords=fields.keywords,
        metadata=fields.metadata,
        url=fields.url,
        content=stored,
        index_references=fields.index_references,
    )
    try:
        return await run_in_threadpool(context.store.upsert_document, upload)
    except BaseException:
        if stored is not None:
            await run_in_threadpool(context.content_files.delete, stored.content_id)
        raise


async def upload_document(request: Request) -> Response:
    """Create a document, or replace the one with the same ``external_id``."""
    context = get_context(request)
    await _reject_oversized_body(request, context)

    async with request.form(
        max_files=_MAX_FORM_FILES, max_fields=_MAX_FORM_FIELDS
    ) as form:
        record_form(request.scope, form)
        fields = parse_upload_form(form, max_document_bytes=context.max_document_bytes)
        try:
            result = await _store_upload(context, fields)
        except IndexNotFoundError as error:
            raise HTTPException(
                404,
                f"No document index has the name or id {error.reference!r} "
                "given in add_to_index_names.",
            ) from error

    if result.replaced_content_id is not None:
        await run_in_threadpool(
            context.content_files.delete, result.replaced_content_id
        )
    context.processor.schedule(result.document_id, result.version)
    logger.info(
        "%s document %s (external_id=%r, version %d)",
        "Created" if result.created else "Replaced",
        result.document_id,
        fields.external_id,
        result.version,
    )
    return JSONResponse(
        {"document_id": result.document_id},
        status_code=201 if result.created else 200,
    )


async def list_documents(request: Request) -> Response:
    """List documents, optionally only those in one index (UUID or name)."""
    context = get_context(request)
    params = request.query_params
    limit, offset = parse_pagination(params)
    index_reference = params.get("document_index_id") or None
    try:
        page = await run_in_threadpool(
            context.store.list_documents,
            index_reference=index_reference,
            search=params.get("search") or None,
            ordering=parse_ordering(params),
            limit=limit,
            offset=offset,
        )
    except IndexNotFoundError as error:
        raise HTTPException(
            404, f"No document index has the name or id {error.reference!r}."
        ) from error
    except InvalidOrderingError as error:
        raise HTTPException(400, f"Invalid ordering: {error}.") from error
    results = [slim_document_json(document) for document in page.items]
    return JSONResponse(
        page_json(
            request, count=page.count, limit=limit, offset=offset, results=results
        )
    )


async def retrieve_document(request: Request) -> Response:
    """Return one document by UUID or, failing that, by external id."""
    context = get_context(request)
    reference: str = request.path_params["id"]
    document = await run_in_threadpool(context.store.get_document, reference)
    if document is None:
        raise document_not_found(reference)
    return JSONResponse(document_json(document, original_file_url(request, document)))


def _patch_arguments(body: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}

    label = body.get("label")
    if label is not None:
        if not isinstance(label, str) or not label.strip():
            raise HTTPException(400, "label must be a non-empty string.")
        if len(label) > MAX_LABEL_CHARS:
            raise HTTPException(
                400,
                f"label is {len(label)} characters long, but the maximum is "
                f"{MAX_LABEL_CHARS}.",
            )
        changes["label"] = label

    status = body.get("status")
    if status is not None and status != DOCUMENT_STATUS:
        raise HTTPException(
            400, f"status must be {DOCUMENT_STATUS!r} or null, got {status!r}."
        )

    if "keywords" in body:
        keywords = body["keywords"]
        if keywords is not None and (
            not isinstance(keywords, list)
            or not all(isinstance(keyword, str) for keyword in keywords)
        ):
            raise HTTPException(400, "keywords must be a list of strings or null.")
        changes["keywords"] = keywords

    if "metadata" in body:
        metadata = body["metadata"]
        if metadata is not None and not isinstance(metadata, dict):
            raise HTTPException(400, "metadata must be a JSON object or null.")
        changes["metadata"] = metadata
    return changes


async def update_document(request: Request) -> Response:
    """Change the label, keywords or metadata of a document.

    Keys missing from the body stay unchanged. A null ``label`` or ``status``
    is ignored, and null ``keywords`` or ``metadata`` clear the field.
    """
    context = get_context(request)
    reference: str = request.path_params["id"]
    changes = _patch_arguments(await read_json_object(request))
    document = await run_in_threadpool(
        context.store.update_document,
        reference,
        label=changes.get("label", UNSET),
        keywords=changes.get("keywords", UNSET),
        metadata=changes.get("metadata", UNSET),
    )
    if document is None:
        raise document_not_found(reference)
    return JSONResponse(document_json(document, original_file_url(request, document)))


async def delete_document(request: Request) -> Response:
    """Delete a document, its index memberships and its stored file."""
    context = get_context(request)
    reference: str = request.path_params["id"]
    document = await run_in_threadpool(context.store.delete_document, reference)
    if document is None:
        raise document_not_found(reference)
    if document.content_id is not None:
        await run_in_threadpool(context.content_files.delete, document.content_id)
    logger.info(
        "Deleted document %s (external_id=%r)", document.id, document.external_id
    )
    return Response(status_code=204)

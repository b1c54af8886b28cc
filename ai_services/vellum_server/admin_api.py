"""Endpoints under ``/_emulator/`` for tests and failure drills.

They need the same ``X-API-KEY`` header as the Vellum endpoints, and are left
out of the request log and of fault injection.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import BinaryIO, Final
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from ai_services.vellum_server.context import get_context
from ai_services.vellum_server.faults import InvalidFaultError
from ai_services.vellum_server.http_helpers import read_json_object
from ai_services.vellum_server.store import DocumentNotFoundError

logger = logging.getLogger(__name__)

ADMIN_PATH_PREFIX: Final = "/_emulator/"

_READ_CHUNK_BYTES: Final = 256 * 1024


def _content_disposition(filename: str) -> str:
    # RFC 6266: a plain ASCII filename, plus an RFC 5987 filename* whenever the
    # name needs escaping, e.g. for non-ASCII characters.
    encoded = quote(filename, safe="")
    if encoded == filename:
        return f'attachment; filename="{filename}"'
    fallback = (
        "".join(
            character if character.isascii() and character.isprintable() else "_"
            for character in filename
        )
        .replace('"', "_")
        .replace("\\", "_")
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def _iterate_file(file: BinaryIO) -> Iterator[bytes]:
    try:
        while chunk := file.read(_READ_CHUNK_BYTES):
            yield chunk
    finally:
        file.close()


async def download_file(request: Request) -> Response:
    """Serve a document's stored bytes with its original filename and type."""
    context = get_context(request)
    reference: str = request.path_params["document_id"]
    try:
        document, file = await run_in_threadpool(
            context.store.open_content, reference, context.content_files.open
        )
    except DocumentNotFoundError as error:
        raise HTTPException(
            404, f"No document with a stored file has the id {reference!r}."
        ) from error
    # Set directly, because Starlette would append a charset to a text/* media
    # type, which changes the stored content type.
    headers = {
        "Content-Type": document.content_type or "application/octet-stream",
        "Content-Disposition": _content_disposition(document.filename or "upload"),
        "Content-Length": str(document.size_bytes or 0),
    }
    return StreamingResponse(_iterate_file(file), headers=headers)


async def add_fault(request: Request) -> Response:
    """Queue a fault from a JSON definition and return it with its id."""
    context = get_context(request)
    body = await read_json_object(request)
    try:
        fault = context.faults.add(body)
    except InvalidFaultError as error:
        raise HTTPException(400, f"Invalid fault: {error}.") from error
    logger.info("Queued fault %s", fault.to_json())
    return JSONResponse(fault.to_json(), status_code=201)


async def list_faults(request: Request) -> Response:
    """Return the pending faults, oldest first."""
    context = get_context(request)
    return JSONResponse([fault.to_json() for fault in context.faults.pending()])


async def clear_faults(request: Request) -> Response:
    """Remove every pending fault."""
    context = get_context(request)
    return JSONResponse({"deleted": context.faults.clear()})


async def list_requests(request: Request) -> Response:
    """Return the request log, in the order the responses finished."""
    context = get_context(request)
    return JSONResponse(context.request_log.to_json())


async def clear_requests(request: Request) -> Response:
    """Empty the request log."""
    context = get_context(request)
    return JSONResponse({"deleted": context.request_log.clear()})


async def reset(request: Request) -> Response:
    """Delete every document, index, stored file, fault and request log entry."""
    context = get_context(request)
    content_ids = await run_in_threadpool(context.store.delete_everything)
    for content_id in content_ids:
        await run_in_threadpool(context.content_files.delete, content_id)
    faults = context.faults.clear()
    requests = context.request_log.clear()
    logger.info(
        "Reset: deleted all documents and indexes, %d stored file(s), %d fault(s) "
        "and %d request log entries",
        len(content_ids),
        faults,
        requests,
    )
    return JSONResponse(
        {
            "deleted_files": len(content_ids),
            "deleted_faults": faults,
            "deleted_requests": requests,
        }
    )

"""The Starlette application of the Vellum-compatible server."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Final

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Route

from ai_services.settings import (
    DEFAULT_MAX_DOCUMENT_BYTES as SETTINGS_MAX_DOCUMENT_BYTES,
)
from ai_services.vellum_server import admin_api, documents_api, indexes_api
from ai_services.vellum_server.context import ServerContext
from ai_services.vellum_server.http_helpers import (
    http_exception_handler,
    internal_error_handler,
)
from ai_services.vellum_server.middleware import EmulatorMiddleware

# Vellum's guide (docs.vellum.ai/product/documents/uploading-documents) allows
# "up to 32MB" per document without saying whether MB means 10**6 or 2**20 bytes.
# This server uses the worker's default, 32 MiB, so that a document the worker
# accepts is never rejected here for its size.
# NOTE: if Vellum means 32 * 10**6 bytes, it rejects documents between the two
# sizes that this server accepts.
DEFAULT_MAX_DOCUMENT_BYTES: Final = SETTINGS_MAX_DOCUMENT_BYTES
DEFAULT_PROCESSING_DELAY_SECONDS: Final = 0.2


def _routes() -> list[Route]:
    return [
        Route("/v1/upload-document", documents_api.upload_document, methods=["POST"]),
        Route("/v1/documents", documents_api.list_documents, methods=["GET"]),
        Route("/v1/documents/{id}", documents_api.retrieve_document, methods=["GET"]),
        Route("/v1/documents/{id}", documents_api.update_document, methods=["PATCH"]),
        Route("/v1/documents/{id}", documents_api.delete_document, methods=["DELETE"]),
        Route("/v1/document-indexes", indexes_api.list_indexes, methods=["GET"]),
        Route("/v1/document-indexes", indexes_api.create_index, methods=["POST"]),
        Route("/v1/document-indexes/{id}", indexes_api.retrieve_index, methods=["GET"]),
        Route(
            "/v1/document-indexes/{id}",
            indexes_api.update_index,
            methods=["PUT", "PATCH"],
        ),
        Route(
            "/v1/document-indexes/{id}", indexes_api.delete_index, methods=["DELETE"]
        ),
        Route(
            "/v1/document-indexes/{id}/documents/{document_id}",
            indexes_api.add_document_to_index,
            methods=["POST"],
        ),
        Route(
            "/v1/document-indexes/{id}/documents/{document_id}",
            indexes_api.remove_document_from_index,
            methods=["DELETE"],
        ),
        Route(
            "/_emulator/files/{document_id}",
            admin_api.download_file,
            methods=["GET"],
            name="emulator_file",
        ),
        Route("/_emulator/faults", admin_api.add_fault, methods=["POST"]),
        Route("/_emulator/faults", admin_api.list_faults, methods=["GET"]),
        Route("/_emulator/faults", admin_api.clear_faults, methods=["DELETE"]),
        Route("/_emulator/requests", admin_api.list_requests, methods=["GET"]),
        Route("/_emulator/requests", admin_api.clear_requests, methods=["DELETE"]),
        Route("/_emulator/reset", admin_api.reset, methods=["POST"]),
    ]


def create_app(
    state_dir: Path,
    api_key: str,
    *,
    max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES,
    processing_delay: float = DEFAULT_PROCESSING_DELAY_SECONDS,
) -> Starlette:
    """Create the ASGI app of a Vellum-compatible server.

    The database opens when the app's lifespan starts, so serve the app with
    uvicorn, or wrap it in ``starlette.testclient.TestClient`` as a context
    manager.

    Args:
        state_dir: Folder for the SQLite database and the uploaded files,
            created if missing.
        api_key: Value that every request must send in ``X-API-KEY``.
        max_document_bytes: Largest accepted upload file, in bytes.
        processing_delay: Seconds between an upload and its move from QUEUED to
            PROCESSED or FAILED.

    Returns:
        The Starlette application.

    Raises:
        ValueError: ``api_key`` is empty, ``max_document_bytes`` is below 1, or
            ``processing_delay`` is negative or not finite.
    """
    if not api_key:
        raise ValueError("api_key must not be empty")
    if max_document_bytes < 1:
        raise ValueError(
            f"max_document_bytes must be at least 1, got {max_document_bytes}"
        )
    if not math.isfinite(processing_delay) or processing_delay < 0:
        raise ValueError(
            f"processing_delay must be a finite number of seconds >= 0, "
            f"got {processing_delay}"
        )

    context = ServerContext(
        state_dir=state_dir,
        api_key=api_key,
        max_document_bytes=max_document_bytes,
        processing_delay=processing_delay,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await context.start()
        try:
            yield
        finally:
            await context.stop()

    app = Starlette(
        routes=_routes(),
        middleware=[Middleware(EmulatorMiddleware, context=context)],
        exception_handlers={
            HTTPException: http_exception_handler,
            Exception: internal_error_handler,
        },
        lifespan=lifespan,
    )
    # The Vellum SDK never adds a trailing slash, and a redirect from "/path/" to
    # "/path" would make a client send the request body a second time.
    app.router.redirect_slashes = False
    app.state.server_context = context
    return app

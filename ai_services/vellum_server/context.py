"""Objects shared by the middleware and the endpoints of one app instance."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Final

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from ai_services.vellum_server.content_files import ContentFileStore
from ai_services.vellum_server.faults import FaultQueue
from ai_services.vellum_server.processing import DocumentProcessor
from ai_services.vellum_server.request_log import RequestLog
from ai_services.vellum_server.store import DocumentStore

logger = logging.getLogger(__name__)

DATABASE_FILENAME: Final = "vellum.sqlite3"


class ServerContext:
    """State folder, settings and in-memory queues of one server.

    The database opens in ``start`` and closes in ``stop``, which the app's
    lifespan calls. Endpoints therefore work only while the lifespan runs, as it
    does under uvicorn and inside ``starlette.testclient.TestClient``.
    """

    def __init__(
        self,
        *,
        state_dir: Path,
        api_key: str,
        max_document_bytes: int,
        processing_delay: float,
    ) -> None:
        self.state_dir = state_dir
        self.api_key = api_key
        self.max_document_bytes = max_document_bytes
        self.processing_delay = processing_delay
        self.faults = FaultQueue()
        self.request_log = RequestLog()
        self._content_files: ContentFileStore | None = None
        self._store: DocumentStore | None = None
        self._processor: DocumentProcessor | None = None

    @property
    def store(self) -> DocumentStore:
        """The open database, or RuntimeError before ``start``."""
        if self._store is None:
            raise RuntimeError("the server has not started: run the app's lifespan")
        return self._store

    @property
    def content_files(self) -> ContentFileStore:
        """The content file folder, or RuntimeError before ``start``."""
        if self._content_files is None:
            raise RuntimeError("the server has not started: run the app's lifespan")
        return self._content_files

    @property
    def processor(self) -> DocumentProcessor:
        """The background processor, or RuntimeError before ``start``."""
        if self._processor is None:
            raise RuntimeError("the server has not started: run the app's lifespan")
        return self._processor

    async def start(self) -> None:
        """Open the state folder, clean up after a crash and resume processing."""
        store, content_files = await run_in_threadpool(self._open_state_dir)
        self._store = store
        self._content_files = content_files
        self._processor = DocumentProcessor(store, self.processing_delay)

        queued = await run_in_threadpool(store.list_queued_documents)
        for document_id, version in queued:
            self._processor.schedule(document_id, version)
        logger.info(
            "Opened state folder %s, where %d queued document(s) resume processing",
            self.state_dir,
            len(queued),
        )

    async def stop(self) -> None:
        """Cancel pending processing and close the database."""
        if self._processor is not None:
            await self._processor.stop()
            self._processor = None
        if self._store is not None:
            self._store.close()
            self._store = None
        self._content_files = None

    def _open_state_dir(self) -> tuple[DocumentStore, ContentFileStore]:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        content_files = ContentFileStore(self.state_dir)
        store = DocumentStore(self.state_dir / DATABASE_FILENAME)
        removed_temp = content_files.remove_temp_files()
        removed_unused = content_files.remove_unreferenced(
            store.referenced_content_ids()
        )
        if removed_temp or removed_unused:
            logger.info(
                "Removed %d unfinished upload file(s) and %d unused content file(s) "
                "from %s",
                removed_temp,
                removed_unused,
                self.state_dir,
            )
        return store, content_files


def get_context(request: Request) -> ServerContext:
    """Return the context that ``create_app`` attached to the app."""
    context = request.app.state.server_context
    assert isinstance(context, ServerContext)
    return context

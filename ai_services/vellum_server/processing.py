"""Background processing that moves queued documents to their final state."""

from __future__ import annotations

import asyncio
import logging

from starlette.concurrency import run_in_threadpool

from ai_services.vellum_server.store import DocumentStore

logger = logging.getLogger(__name__)


class DocumentProcessor:
    """Finishes each queued document version after a fixed delay.

    Real Vellum extracts and indexes text asynchronously. This server only
    waits, then marks the document PROCESSED, or FAILED with INVALID_FILE when
    the uploaded file is empty. Tasks run on the event loop that calls
    ``schedule``. A task cut short by ``stop`` leaves the document QUEUED, and
    the next start schedules it again.
    """

    def __init__(self, store: DocumentStore, delay_seconds: float) -> None:
        self._store = store
        self._delay_seconds = delay_seconds
        self._tasks: set[asyncio.Task[None]] = set()

    def schedule(self, document_id: str, version: int) -> None:
        """Start the delayed processing of one document version."""
        task = asyncio.get_running_loop().create_task(
            self._finish_after_delay(document_id, version),
            name=f"process-document-{document_id}-v{version}",
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        """Cancel every pending task and wait until they have ended."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _finish_after_delay(self, document_id: str, version: int) -> None:
        await asyncio.sleep(self._delay_seconds)
        try:
            state = await run_in_threadpool(
                self._store.finish_processing, document_id, version
            )
        except Exception:
            # The document stays QUEUED and is scheduled again at the next start.
            logger.exception(
                "Processing failed for document %s version %d, which stays QUEUED",
                document_id,
                version,
            )
            return
        if state is not None:
            logger.info("Document %s version %d is now %s", document_id, version, state)

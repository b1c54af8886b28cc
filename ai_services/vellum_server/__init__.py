"""A local HTTP server that implements Vellum's documents and document-index API.

The unmodified ``vellum-ai`` SDK works against it when all three base URLs of
``VellumEnvironment`` point to the server. Run it with
``python -m ai_services.vellum_server --help``, or build the ASGI app in process
with ``create_app``.
"""

from ai_services.vellum_server.app import (
    DEFAULT_MAX_DOCUMENT_BYTES,
    DEFAULT_PROCESSING_DELAY_SECONDS,
    create_app,
)

__all__ = [
    "DEFAULT_MAX_DOCUMENT_BYTES",
    "DEFAULT_PROCESSING_DELAY_SECONDS",
    "create_app",
]

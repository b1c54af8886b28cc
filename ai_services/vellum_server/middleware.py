"""Authentication, fault injection, request logging and access logging."""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from typing import Final

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ai_services.vellum_server.admin_api import ADMIN_PATH_PREFIX
from ai_services.vellum_server.context import ServerContext
from ai_services.vellum_server.faults import DELAY_ONLY_STATUS, Fault
from ai_services.vellum_server.http_helpers import (
    escape_control_characters,
    json_error,
)
from ai_services.vellum_server.request_log import (
    RequestLogEntry,
    record_form,
    recorded_external_id,
    recorded_form_fields,
)

logger = logging.getLogger(__name__)

API_KEY_HEADER: Final = "x-api-key"


async def _drain_body(receive: Receive) -> None:
    # Reading the whole body lets the client finish sending and read the
    # response, where responding early would show up as a connection error.
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def _record_form(scope: Scope, receive: Receive) -> None:
    request = Request(scope, receive)
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        await _drain_body(receive)
        return
    try:
        async with request.form() as form:
            record_form(scope, form)
    except (HTTPException, MultiPartException) as error:
        # The fault response goes out anyway, only without the form's details.
        logger.info("Cannot read the fields of an invalid form: %s", error)


class EmulatorMiddleware:
    """Check the API key, apply queued faults, and log every request.

    Every path, ``/_emulator/`` included, needs the ``X-API-KEY`` header. Faults
    and the request log apply only to the other paths, after authentication,
    so a request with a bad key never consumes a fault. The access log line has
    the method, the path without its query string, the status and the duration.
    """

    def __init__(self, app: ASGIApp, context: ServerContext) -> None:
        self.app = app
        self.context = context
        self._api_key = context.api_key.encode("utf-8")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        method: str = scope["method"]
        path: str = scope["path"]
        is_admin_path = path.startswith(ADMIN_PATH_PREFIX)
        scope.setdefault("state", {})
        status = 500
        started = time.perf_counter()
        received_at = time.time()

        async def send_and_capture_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._dispatch(
                scope, receive, send_and_capture_status, is_admin_path=is_admin_path
            )
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            logger.info(
                "%s %s %d %.1f ms",
                method,
                escape_control_characters(path),
                status,
                elapsed_ms,
            )
            if not is_admin_path:
                self.context.request_log.append(
                    RequestLogEntry(
                        method=method,
                        path=path,
                        status=status,
                        external_id=recorded_external_id(scope),
                        form_fields=recorded_form_fields(scope),
                        received_at=received_at,
                    )
                )

    async def _dispatch(
        self, scope: Scope, receive: Receive, send: Send, *, is_admin_path: bool
    ) -> None:
        api_key = Headers(scope=scope).get(API_KEY_HEADER)
        if not api_key:
            await _drain_body(receive)
            response = json_error(401, "Missing X-API-KEY header.")
            await response(scope, receive, send)
            return
        # Starlette decodes header values as latin-1, so encoding them back gives
        # the bytes that the client sent.
        if not hmac.compare_digest(api_key.encode("latin-1"), self._api_key):
            await _drain_body(receive)
            response = json_error(403, "Invalid API key in the X-API-KEY header.")
            await response(scope, receive, send)
            return

        fault = None
        if not is_admin_path:
            fault = self.context.faults.take(scope["method"], scope["path"])
        if fault is None:
            await self.app(scope, receive, send)
            return

        await self._apply_fault(fault, scope, receive, send)

    async def _apply_fault(
        self, fault: Fault, scope: Scope, receive: Receive, send: Send
    ) -> None:
        logger.info(
            "Applying fault %d (status %d, delay %.3f s, %d use(s) left) to %s %s",
            fault.id,
            fault.status,
            fault.delay_seconds,
            fault.remaining,
            scope["method"],
            escape_control_characters(scope["path"]),
        )
        if fault.delay_seconds > 0:
            await asyncio.sleep(fault.delay_seconds)
        if fault.status == DELAY_ONLY_STATUS:
            await self.app(scope, receive, send)
            return

        await _record_form(scope, receive)
        headers = None
        if fault.retry_after is not None:
            headers = {"Retry-After": fault.retry_after}
        response = json_error(
            fault.status,
            f"Fault {fault.id} injected by the Vellum-compatible server: "
            f"HTTP {fault.status}.",
            headers,
        )
        await response(scope, receive, send)

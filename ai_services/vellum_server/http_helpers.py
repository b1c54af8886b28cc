"""JSON bodies, JSON errors and limit/offset pagination shared by the endpoints."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

logger = logging.getLogger(__name__)


def escape_control_characters(text: str) -> str:
    """Replace control characters with ``\\xNN`` escapes for a one-line log entry.

    Request paths are percent-decoded, so a path can contain line breaks that
    would forge extra log lines.
    """
    return "".join(
        character if character.isprintable() else f"\\x{ord(character):02x}"
        for character in text
    )


def json_error(
    status_code: int, detail: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """Build the ``{"detail": ...}`` error body used by every endpoint."""
    return JSONResponse({"detail": detail}, status_code=status_code, headers=headers)


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    """Render a Starlette HTTPException, such as 404 or 405 from routing, as JSON."""
    assert isinstance(exc, HTTPException)
    logger.info(
        "%s %s failed with %d: %s",
        request.method,
        escape_control_characters(request.url.path),
        exc.status_code,
        exc.detail,
    )
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=exc.headers)
    return json_error(exc.status_code, str(exc.detail), exc.headers)


async def internal_error_handler(request: Request, exc: Exception) -> Response:
    """Render an unhandled exception as a JSON 500. uvicorn logs the traceback."""
    return json_error(500, "Internal server error. See the server log for details.")


async def read_json_object(request: Request) -> dict[str, Any]:
    """Parse the request body as a JSON object, where an empty body is ``{}``.

    Raises:
        HTTPException: 400 when the body is not valid JSON or not an object.
    """
    body = await request.body()
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise HTTPException(
            400, f"The request body is not valid JSON: {error}"
        ) from error
    if not isinstance(value, dict):
        raise HTTPException(400, "The request body must be a JSON object.")
    return value


def _parse_non_negative_int(params: QueryParams, name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise HTTPException(400, f"{name} must be a non-negative integer, got {raw!r}.")
    return value


def parse_pagination(params: QueryParams) -> tuple[int | None, int]:
    """Return ``(limit, offset)`` from the query, where no limit means all results.

    Raises:
        HTTPException: 400 when ``limit`` is not a positive integer or ``offset``
            is not a non-negative integer.
    """
    limit = _parse_non_negative_int(params, "limit")
    if limit == 0:
        raise HTTPException(400, "limit must be a positive integer, got '0'.")
    offset = _parse_non_negative_int(params, "offset") or 0
    return limit, offset


def parse_ordering(params: QueryParams) -> list[str]:
    """Return the comma-separated ``ordering`` fields, e.g. ``-created,label``."""
    raw = params.get("ordering") or ""
    return [field for field in (part.strip() for part in raw.split(",")) if field]


def page_json(
    request: Request,
    *,
    count: int,
    limit: int | None,
    offset: int,
    results: list[dict[str, Any]],
) -> dict[str, Any]:
    """Build a limit/offset page with absolute ``next`` and ``previous`` URLs."""
    next_url = None
    if limit is not None and offset + limit < count:
        next_url = str(request.url.include_query_params(offset=offset + limit))
    previous_url = None
    if offset > 0:
        previous_offset = 0 if limit is None else max(0, offset - limit)
        previous_url = str(request.url.include_query_params(offset=previous_offset))
    return {
        "count": count,
        "next": next_url,
        "previous": previous_url,
        "results": results,
    }

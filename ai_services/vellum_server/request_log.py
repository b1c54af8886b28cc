"""The in-memory log of requests served on Vellum's API paths."""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
from typing import Any, Final

from starlette.datastructures import FormData
from starlette.types import Scope

MAX_ENTRIES: Final = 10_000
"""Number of entries kept. The oldest entries are dropped first."""

_EXTERNAL_ID_STATE_KEY: Final = "vellum_server_external_id"
_FORM_FIELDS_STATE_KEY: Final = "vellum_server_form_fields"


@dataclass(frozen=True, slots=True)
class RequestLogEntry:
    """One served request: path without its query string, and the final status."""

    method: str
    path: str
    status: int
    external_id: str | None
    # Names of the non-empty multipart fields, sorted; None for other bodies.
    form_fields: tuple[str, ...] | None
    # Unix time, in seconds, when the request arrived.
    received_at: float


class RequestLog:
    """Served requests in the order their responses finished."""

    def __init__(self) -> None:
        self._entries: deque[RequestLogEntry] = deque(maxlen=MAX_ENTRIES)

    def append(self, entry: RequestLogEntry) -> None:
        """Add an entry, dropping the oldest one when the log is full."""
        self._entries.append(entry)

    def to_json(self) -> list[dict[str, Any]]:
        """Return the entries as JSON objects, oldest first."""
        return [asdict(entry) for entry in self._entries]

    def clear(self) -> int:
        """Remove every entry and return how many there were."""
        removed = len(self._entries)
        self._entries.clear()
        return removed


def record_external_id(scope: Scope, external_id: str | None) -> None:
    """Attach the upload's external id to the request for its log entry."""
    scope.setdefault("state", {})[_EXTERNAL_ID_STATE_KEY] = external_id


def record_form(scope: Scope, form: FormData) -> None:
    """Attach the upload's external id and its non-empty field names to the request."""
    value = form.get("external_id")
    record_external_id(scope, value if isinstance(value, str) and value else None)
    names = sorted({name for name, item in form.multi_items() if item != ""})
    scope.setdefault("state", {})[_FORM_FIELDS_STATE_KEY] = tuple(names)


def recorded_form_fields(scope: Scope) -> tuple[str, ...] | None:
    """Return the field names attached by ``record_form``, if any."""
    value = scope.get("state", {}).get(_FORM_FIELDS_STATE_KEY)
    return value if isinstance(value, tuple) else None


def recorded_external_id(scope: Scope) -> str | None:
    """Return the external id attached by ``record_external_id``, if any."""
    value = scope.get("state", {}).get(_EXTERNAL_ID_STATE_KEY)
    return value if isinstance(value, str) else None

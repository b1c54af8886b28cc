"""The in-memory log of requests served on Vellum's API paths."""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
from typing import Any, Final

from starlette.types import Scope

MAX_ENTRIES: Final = 10_000
"""Number of entries kept. The oldest entries are dropped first."""

_EXTERNAL_ID_STATE_KEY: Final = "vellum_server_external_id"


@dataclass(frozen=True, slots=True)
class RequestLogEntry:
    """One served request: path without its query string, and the final status."""

    method: str
    path: str
    status: int
    external_id: str | None


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


def recorded_external_id(scope: Scope) -> str | None:
    """Return the external id attached by ``record_external_id``, if any."""
    value = scope.get("state", {}).get(_EXTERNAL_ID_STATE_KEY)
    return value if isinstance(value, str) else None

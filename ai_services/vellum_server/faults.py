"""Injected faults: queued error responses and delays for failure drills.

A fault matches requests by method and exact path (both optional) and applies to
the next ``count`` matching requests. Status 0 means "delay only": the request
waits ``delay_seconds`` and is then served normally. With any other status, the
request gets that status and a JSON error body after the delay, and the endpoint
does not run.

The queue lives in memory, so a restart or a reset clears it. It is only used
from the event loop thread and needs no lock.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, Final

DELAY_ONLY_STATUS: Final = 0
MAX_DELAY_SECONDS: Final = 600.0

_FIELDS: Final = frozenset(
    {"status", "retry_after", "delay_seconds", "count", "method", "path"}
)


class InvalidFaultError(ValueError):
    """Raised when a fault definition is invalid. The message names the field."""


@dataclass(slots=True)
class Fault:
    """A queued fault and how many more requests it applies to."""

    id: int
    status: int
    retry_after: str | None
    delay_seconds: float
    remaining: int
    method: str | None
    path: str | None

    def matches(self, method: str, path: str) -> bool:
        """Return whether a request with this method and path triggers the fault."""
        if self.method is not None and self.method != method.upper():
            return False
        return self.path is None or self.path == path

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form, where ``count`` is the number of requests left."""
        return {
            "id": self.id,
            "status": self.status,
            "retry_after": self.retry_after,
            "delay_seconds": self.delay_seconds,
            "count": self.remaining,
            "method": self.method,
            "path": self.path,
        }


def _parse_status(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidFaultError("status must be an integer")
    if value != DELAY_ONLY_STATUS and not 400 <= value <= 599:
        raise InvalidFaultError(
            f"status must be 0 (delay only) or an HTTP status from 400 to 599, "
            f"got {value}"
        )
    return value


def _parse_retry_after(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return str(int(value)) if float(value).is_integer() else str(value)
    raise InvalidFaultError(
        "retry_after must be a non-empty string or a non-negative number of seconds"
    )


def _parse_delay(value: object) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidFaultError("delay_seconds must be a number")
    delay = float(value)
    if not math.isfinite(delay) or not 0 <= delay <= MAX_DELAY_SECONDS:
        raise InvalidFaultError(
            f"delay_seconds must be between 0 and {MAX_DELAY_SECONDS:g}, got {value}"
        )
    return delay


def _parse_count(value: object) -> int:
    if value is None:
        return 1
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidFaultError("count must be a positive integer")
    return value


def _parse_method(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.isalpha():
        raise InvalidFaultError("method must be an HTTP method such as 'POST'")
    return value.upper()


def _parse_path(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith("/"):
        raise InvalidFaultError("path must be a string that starts with '/'")
    return value


class FaultQueue:
    """Pending faults in the order they were added."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    def add(self, definition: object) -> Fault:
        """Validate a JSON fault definition and queue it.

        Raises:
            InvalidFaultError: The definition is not an object, has an unknown
                key, or has an invalid value.
        """
        if not isinstance(definition, dict):
            raise InvalidFaultError("the fault definition must be a JSON object")
        unknown = sorted(set(definition) - _FIELDS)
        if unknown:
            raise InvalidFaultError(
                f"unknown fault field(s) {', '.join(unknown)}, "
                f"expected only {', '.join(sorted(_FIELDS))}"
            )
        if "status" not in definition:
            raise InvalidFaultError("status is required (0 means delay only)")

        fault = Fault(
            id=next(self._ids),
            status=_parse_status(definition["status"]),
            retry_after=_parse_retry_after(definition.get("retry_after")),
            delay_seconds=_parse_delay(definition.get("delay_seconds")),
            remaining=_parse_count(definition.get("count")),
            method=_parse_method(definition.get("method")),
            path=_parse_path(definition.get("path")),
        )
        if fault.status == DELAY_ONLY_STATUS and fault.delay_seconds == 0:
            raise InvalidFaultError(
                "a fault with status 0 only delays the request, "
                "so set delay_seconds above 0"
            )
        self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """Consume one use of the oldest fault matching the request.

        Returns:
            A copy of the matched fault, or None when no fault matches.
        """
        for fault in self._faults:
            if fault.matches(method, path):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return Fault(
                    id=fault.id,
                    status=fault.status,
                    retry_after=fault.retry_after,
                    delay_seconds=fault.delay_seconds,
                    remaining=fault.remaining,
                    method=fault.method,
                    path=fault.path,
                )
        return None

    def pending(self) -> list[Fault]:
        """Return the faults that still apply to at least one request."""
        return list(self._faults)

    def clear(self) -> int:
        """Remove every pending fault and return how many there were."""
        removed = len(self._faults)
        self._faults.clear()
        return removed

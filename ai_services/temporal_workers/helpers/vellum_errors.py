"""Turn failures of the Vellum SDK into Temporal errors marked retryable or not."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from typing import NoReturn

import httpx
import pydantic
from temporalio.exceptions import ApplicationError, CancelledError
from vellum.core import ApiError

from ai_services.temporal_workers.helpers.http_errors import (
    FailureFacts,
    build_failure_message,
    parse_retry_after,
    summarize_error_body,
)
from ai_services.temporal_workers.helpers.redaction import redact_secrets
from ai_services.temporal_workers.helpers.retry_policies import is_retryable_status

VELLUM_ERROR_TYPE = "VellumRequestFailed"


def describe_vellum_failure(error: BaseException) -> FailureFacts:
    """Classify an exception raised by a Vellum SDK call as retryable or not."""
    if isinstance(error, ApiError) and error.status_code is not None:
        body = error.body if isinstance(error.body, str) else json.dumps(error.body)
        headers = {key.lower(): value for key, value in (error.headers or {}).items()}
        status = error.status_code
        retryable = is_retryable_status(status)
        # The SDK raises ApiError with a 2xx status when a success body is not JSON.
        if 200 <= status < 300:
            retryable = True
        return FailureFacts(
            status,
            summarize_error_body(body),
            retryable,
            parse_retry_after(headers.get("retry-after")),
        )
    if isinstance(error, pydantic.ValidationError):
        # A 2xx whose JSON the SDK's models reject: most likely a proxy or an
        # outage page, so another attempt may get a proper response.
        return FailureFacts(None, "response did not match the SDK's model", True)
    if isinstance(error, httpx.UnsupportedProtocol | httpx.InvalidURL):
        # VELLUM_API_URL is malformed; no retry changes that.
        summary = redact_secrets(f"{type(error).__name__}: {error}")
        return FailureFacts(None, summary, retryable=False)
    if isinstance(error, httpx.HTTPError):
        summary = redact_secrets(f"{type(error).__name__}: {error}")
        return FailureFacts(None, summary, retryable=True)
    return FailureFacts(None, redact_secrets(f"{type(error).__name__}: {error}"), True)


def _hint_for(status: int | None) -> str:
    if status in (401, 403):
        return "check VELLUM_API_KEY"
    if status == 404:
        return "check that the document index exists (index_id)"
    if status == 413:
        return "the document is larger than Vellum accepts"
    return "fix the request and start a new run"


def _raise_vellum_error(
    error: BaseException, *, action: str, ids: Mapping[str, str]
) -> NoReturn:
    """Raise a Vellum SDK failure again as an `ApplicationError`.

    Args:
        error: the exception from the SDK call (`ApiError` and its subclasses,
            httpx transport errors, or a response validation error).
        action: what was being done, e.g. "Vellum upload".
        ids: ids to name in the message.

    Raises:
        ApplicationError: always; retryable for 5xx, 408, 429 and errors without
            a response, non-retryable for other 4xx. A Retry-After header becomes
            the next retry delay.
    """
    facts = describe_vellum_failure(error)
    raise ApplicationError(
        build_failure_message(action, facts, ids, _hint_for(facts.status)),
        {"step": "vellum", "status": facts.status},
        type=VELLUM_ERROR_TYPE,
        non_retryable=not facts.retryable,
        next_retry_delay=facts.retry_after,
    ) from None


@contextlib.contextmanager
def temporal_vellum_errors(action: str, ids: Mapping[str, str]) -> Iterator[None]:
    """Pass `ApplicationError` and cancellation through; raise the rest as Temporal
    errors with `_raise_vellum_error()`."""
    try:
        yield
    except (ApplicationError, CancelledError):
        raise
    except Exception as error:
        _raise_vellum_error(error, action=action, ids=ids)

"""Turn download and S3 failures into Temporal errors marked retryable or not.

`raise_temporal_http_error()` is the one place where a `requests`, `botocore`,
connection or timeout error becomes an `ApplicationError`. Whether it is retried
comes from `retry_policies.is_retryable_status()`, the rule every activity shares.
"""

from __future__ import annotations

import contextlib
import email.utils
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, NoReturn

import botocore.exceptions
import requests
from temporalio.exceptions import ApplicationError, CancelledError

from ai_services.temporal_workers.helpers.redaction import redact_secrets
from ai_services.temporal_workers.helpers.retry_policies import (
    is_retryable_s3_error_code,
    is_retryable_status,
)

BODY_EXCERPT_CHARS = 300
# A Retry-After beyond this is treated as this: Temporal keeps the delay, so no
# thread waits, but a day-long pause is more likely a server mistake than a plan.
MAX_RETRY_AFTER = timedelta(hours=1)

# Raised before any response, for a reason no retry changes: a malformed URL, a
# missing credential, invalid request parameters.
PERMANENT_CLIENT_ERRORS = (
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
    botocore.exceptions.NoCredentialsError,
    botocore.exceptions.ParamValidationError,
)

_XML_CODE = re.compile(r"<Code>(.*?)</Code>", re.DOTALL)
_XML_MESSAGE = re.compile(r"<Message>(.*?)</Message>", re.DOTALL)


class TransferStep(Enum):
    """A step of a document transfer: its wording in messages and its error type."""

    DOWNLOAD = ("download from the source URL", "SourceDownloadFailed")
    S3_UPLOAD = ("upload to S3", "S3UploadFailed")
    S3_DOWNLOAD = ("download from S3", "S3DownloadFailed")

    def __init__(self, description: str, error_type: str) -> None:
        self.description = description
        self.error_type = error_type


class HttpStatusError(requests.HTTPError):
    """An HTTP error status whose body excerpt was read before the stream closed."""

    def __init__(self, response: requests.Response, body_excerpt: bytes) -> None:
        super().__init__(f"HTTP {response.status_code}", response=response)
        self.body_excerpt = body_excerpt


@dataclass(frozen=True, slots=True)
class FailureFacts:
    """Facts about a failed request taken from its exception, with secrets removed."""

    status: int | None
    summary: str
    retryable: bool
    retry_after: timedelta | None = None


def summarize_error_body(body: str) -> str:
    """Shorten an error body to its S3 code and message, or to an excerpt."""
    code = _XML_CODE.search(body)
    if code:
        message = _XML_MESSAGE.search(body)
        text = code.group(1) + (f": {message.group(1)}" if message else "")
    else:
        text = " ".join(body.split())
    text = redact_secrets(text)
    if len(text) > BODY_EXCERPT_CHARS:
        text = text[:BODY_EXCERPT_CHARS] + "..."
    return text


def parse_retry_after(value: str | None) -> timedelta | None:
    """Parse a Retry-After header, in seconds or as an HTTP date, capped at an hour."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        # Past the cap anyway; also keeps int() and timedelta from overflowing.
        seconds = int(value[:12])
        delay = timedelta(seconds=min(seconds, int(MAX_RETRY_AFTER.total_seconds())))
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        delay = max(when - datetime.now(UTC), timedelta(0))
    return min(delay, MAX_RETRY_AFTER)


def _extract_status_and_body_from_exception(
    error: BaseException,
) -> tuple[int | None, str]:
    """Return the HTTP status (None without a response) and a short, safe summary."""
    if isinstance(error, requests.HTTPError) and error.response is not None:
        response = error.response
        if isinstance(error, HttpStatusError):
            raw = error.body_excerpt
        else:
            # Only non-streamed responses get here: streaming callers raise
            # HttpStatusError, so this does not read a large body.
            raw = response.content or b""
        body = raw.decode("utf-8", errors="replace")
        return response.status_code, summarize_error_body(body) or response.reason
    if isinstance(error, botocore.exceptions.ClientError):
        details: Mapping[str, Any] = error.response.get("Error", {})
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        code = str(details.get("Code", "")).strip()
        message = str(details.get("Message", "")).strip()
        summary = f"{code}: {message}" if message else code
        return status, redact_secrets(summary)
    return None, redact_secrets(f"{type(error).__name__}: {error}")


def describe_failure(error: BaseException) -> FailureFacts:
    """Classify a download or S3 exception as retryable or not."""
    status, summary = _extract_status_and_body_from_exception(error)
    retry_after = None
    if isinstance(error, requests.HTTPError) and error.response is not None:
        retry_after = parse_retry_after(error.response.headers.get("Retry-After"))
    if isinstance(error, botocore.exceptions.ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        retryable = is_retryable_s3_error_code(code) or (
            status is not None and is_retryable_status(status)
        )
        return FailureFacts(status, summary, retryable)
    if status is not None:
        return FailureFacts(status, summary, is_retryable_status(status), retry_after)
    if isinstance(error, PERMANENT_CLIENT_ERRORS):
        # Configuration or request errors found before any response.
        return FailureFacts(None, summary, retryable=False)
    # No response at all: connection refused or reset, timeouts, a truncated body.
    # A later attempt can succeed on each of these.
    return FailureFacts(None, summary, retryable=True)


def format_ids(ids: Mapping[str, str]) -> str:
    """Format ids as `key=value` pairs for messages and log lines."""
    return ", ".join(f"{key}={value}" for key, value in ids.items())


def build_failure_message(
    step_description: str, facts: FailureFacts, ids: Mapping[str, str], hint: str
) -> str:
    """Write the one-line message an operator reads in the Temporal UI."""
    status = f"HTTP {facts.status}" if facts.status is not None else "no response"
    outcome = "will be retried" if facts.retryable else f"not retried: {hint}"
    return (
        f"{step_description} failed with {status} ({facts.summary}) "
        f"for {format_ids(ids)}; {outcome}"
    )


def _hint_for(step: TransferStep, status: int | None) -> str:
    if step is TransferStep.DOWNLOAD and status in (401, 403):
        return (
            "the presigned URL was rejected, most likely expired; "
            "start a new run with a fresh URL"
        )
    if step is TransferStep.DOWNLOAD and status == 404:
        return "the source object does not exist; check the URL"
    if step is not TransferStep.DOWNLOAD and status in (401, 403):
        return "check the worker's AWS credentials and the bucket policy"
    if step is not TransferStep.DOWNLOAD and status == 404:
        return "check that the bucket exists (AWS_S3_BUCKET)"
    return "fix the request and start a new run"


def raise_temporal_http_error(
    error: BaseException, *, step: TransferStep, ids: Mapping[str, str]
) -> NoReturn:
    """Raise `error` again as an `ApplicationError` for Temporal's retry logic.

    Args:
        error: the exception from `requests`, `botocore`, or the transfer code.
        step: the transfer step that failed.
        ids: ids to name in the message, e.g. tenant_id and external_id.

    Raises:
        ApplicationError: always; retryable for 5xx, 408, 429, S3 throttling and
            errors without a response, non-retryable for other 4xx.
    """
    facts = describe_failure(error)
    raise ApplicationError(
        build_failure_message(
            step.description, facts, ids, _hint_for(step, facts.status)
        ),
        {"step": step.name.lower(), "status": facts.status},
        type=step.error_type,
        non_retryable=not facts.retryable,
        next_retry_delay=facts.retry_after,
    ) from None


@contextlib.contextmanager
def temporal_http_errors(step: TransferStep, ids: Mapping[str, str]) -> Iterator[None]:
    """Pass `ApplicationError` and cancellation through; raise the rest as Temporal
    errors with `raise_temporal_http_error()`."""
    try:
        yield
    except (ApplicationError, CancelledError):
        raise
    except Exception as error:
        raise_temporal_http_error(error, step=step, ids=ids)

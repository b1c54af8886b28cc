"""Retry policies, and the one rule that decides which failures are retried.

Every activity turns its failures into `ApplicationError`s through
`http_errors.raise_temporal_http_error()` or `vellum_errors._raise_vellum_error()`,
and both ask `is_retryable_status()` and `is_retryable_s3_error_code()` here.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from temporalio.common import RetryPolicy

# 408 Request Timeout and 429 Too Many Requests are the two 4xx statuses that a
# later attempt can succeed on; every 5xx can too.
RETRYABLE_CLIENT_STATUSES = frozenset({408, 429})

# S3 error codes that a later attempt can succeed on although some of them come
# with a 4xx status (RequestTimeout is a 400, SlowDown a 503, ExpiredToken a 400
# that refreshed credentials fix).
RETRYABLE_S3_ERROR_CODES = frozenset(
    {
        "RequestTimeout",
        "RequestTimeoutException",
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "InternalError",
        "ServiceUnavailable",
        "OperationAborted",
        "RequestTimeTooSkewed",
        "ExpiredToken",
        "IncompleteBody",
        "KMS.ThrottlingException",
    }
)

# Error types raised with non_retryable=True already stop retries; listing them
# here also stops them when the flag was lost, e.g. in an older activity version.
NON_RETRYABLE_ERROR_TYPES = ("InvalidInput", "DocumentTooLarge", "EmptyDocument")


def is_retryable_status(status: int) -> bool:
    """Return whether an HTTP status from a source, S3 or Vellum is worth retrying."""
    return status >= 500 or status in RETRYABLE_CLIENT_STATUSES


def is_retryable_s3_error_code(code: str) -> bool:
    """Return whether an S3 error code is transient, whatever its HTTP status."""
    return code in RETRYABLE_S3_ERROR_CODES


class RetryKind(StrEnum):
    """Which remote system an activity depends on, and so how it is retried."""

    DEFAULT = "default"
    VELLUM = "vellum"
    # The most restrictive policy: an activity that writes to S3 and Vellum uses it.
    S3 = "s3"


_POLICIES: dict[RetryKind, RetryPolicy] = {
    RetryKind.DEFAULT: RetryPolicy(
        initial_interval=timedelta(seconds=1),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(minutes=1),
        maximum_attempts=10,
        non_retryable_error_types=list(NON_RETRYABLE_ERROR_TYPES),
    ),
    RetryKind.VELLUM: RetryPolicy(
        initial_interval=timedelta(seconds=1),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(minutes=2),
        maximum_attempts=8,
        non_retryable_error_types=list(NON_RETRYABLE_ERROR_TYPES),
    ),
    # 6 attempts with 2, 4, 8, 16 and 32 s between them ride out about a minute of
    # S3 or Vellum unavailability. A Retry-After from Vellum replaces one interval.
    RetryKind.S3: RetryPolicy(
        initial_interval=timedelta(seconds=2),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(minutes=1),
        maximum_attempts=6,
        non_retryable_error_types=list(NON_RETRYABLE_ERROR_TYPES),
    ),
}


def get_retry_policy(kind: RetryKind) -> RetryPolicy:
    """Return the retry policy for activities that depend on `kind`."""
    return _POLICIES[kind]

from datetime import timedelta

import botocore.exceptions
import httpx
import pytest
import requests
from temporalio.exceptions import ApplicationError
from vellum import BadRequestError, InternalServerError, NotFoundError
from vellum.core import ApiError

from ai_services.temporal_workers.helpers.http_errors import (
    HttpStatusError,
    TransferStep,
    parse_retry_after,
    raise_temporal_http_error,
)
from ai_services.temporal_workers.helpers.vellum_errors import _raise_vellum_error

IDS = {"tenant_id": "t1", "external_id": "e1"}
EXPIRED_BODY = (
    b"<?xml version='1.0'?><Error><Code>AccessDenied</Code>"
    b"<Message>Request has expired</Message><Resource>/b/k?X-Amz-Signature=s3cr3t"
    b"</Resource></Error>"
)


def http_error(status: int, body: bytes = b"", headers: dict[str, str] | None = None):
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers or {})
    return HttpStatusError(response, body)


def s3_error(status: int, code: str) -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError(
        {
            "Error": {"Code": code, "Message": f"{code} message"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "PutObject",
    )


def raised_http(error: BaseException, step=TransferStep.DOWNLOAD) -> ApplicationError:
    with pytest.raises(ApplicationError) as raised:
        raise_temporal_http_error(error, step=step, ids=IDS)
    return raised.value


def raised_vellum(error: BaseException) -> ApplicationError:
    with pytest.raises(ApplicationError) as raised:
        _raise_vellum_error(error, action="Vellum upload", ids=IDS)
    return raised.value


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_download_4xx_not_retryable(status: int) -> None:
    assert raised_http(http_error(status)).non_retryable


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503])
def test_download_5xx_408_429_retryable(status: int) -> None:
    assert not raised_http(http_error(status)).non_retryable


def test_expired_url_message_names_s3_code_not_signature() -> None:
    error = raised_http(http_error(403, EXPIRED_BODY))
    assert "AccessDenied: Request has expired" in error.message
    assert "s3cr3t" not in error.message
    assert "external_id=e1" in error.message
    assert error.type == "SourceDownloadFailed"


def test_connection_errors_retryable() -> None:
    error = requests.ConnectionError(
        "Max retries exceeded with url: /k?X-Amz-Signature=s3cr3t"
    )
    application_error = raised_http(error)
    assert not application_error.non_retryable
    assert "s3cr3t" not in application_error.message
    assert not raised_http(requests.ReadTimeout("read timed out")).non_retryable


def test_retry_after_becomes_next_retry_delay() -> None:
    error = raised_http(http_error(429, headers={"Retry-After": "7"}))
    assert error.next_retry_delay == timedelta(seconds=7)


@pytest.mark.parametrize(
    ("status", "code", "retryable"),
    [
        (503, "SlowDown", True),
        (400, "ExpiredToken", True),
        (409, "OperationAborted", True),
        (500, "InternalError", True),
        (400, "RequestTimeout", True),
        (403, "AccessDenied", False),
        (404, "NoSuchBucket", False),
    ],
)
def test_s3_errors(status: int, code: str, retryable: bool) -> None:
    error = raised_http(s3_error(status, code), step=TransferStep.S3_UPLOAD)
    assert error.non_retryable is not retryable
    assert error.type == "S3UploadFailed"


def test_s3_connection_error_retryable() -> None:
    error = botocore.exceptions.EndpointConnectionError(endpoint_url="http://x")
    assert not raised_http(error, step=TransferStep.S3_UPLOAD).non_retryable


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (BadRequestError(body={"detail": "label missing"}), False),
        (NotFoundError(body={"detail": "no index"}), False),
        (ApiError(status_code=403, body={"detail": "bad key"}), False),
        (InternalServerError(body={"detail": "boom"}), True),
        (ApiError(status_code=503, body="unavailable"), True),
        (ApiError(status_code=429, body={"detail": "slow down"}), True),
        (httpx.ReadTimeout("timed out"), True),
        (httpx.ConnectError("refused"), True),
    ],
)
def test_vellum_errors(error: BaseException, retryable: bool) -> None:
    application_error = raised_vellum(error)
    assert application_error.non_retryable is not retryable
    assert application_error.type == "VellumRequestFailed"


def test_vellum_retry_after() -> None:
    error = ApiError(status_code=429, headers={"Retry-After": "3600"}, body={})
    assert raised_vellum(error).next_retry_delay == timedelta(hours=1)


def test_parse_retry_after() -> None:
    assert parse_retry_after(None) is None
    assert parse_retry_after("2") == timedelta(seconds=2)
    assert parse_retry_after("99999") == timedelta(hours=1)
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == timedelta(0)
    assert parse_retry_after("soon") is None


@pytest.mark.parametrize(
    "error",
    [
        botocore.exceptions.NoCredentialsError(),
        requests.exceptions.MissingSchema("no scheme"),
    ],
)
def test_configuration_errors_not_retryable(error: BaseException) -> None:
    assert raised_http(error, step=TransferStep.S3_UPLOAD).non_retryable


def test_malformed_vellum_url_not_retryable() -> None:
    assert raised_vellum(httpx.UnsupportedProtocol("no scheme")).non_retryable


def test_huge_retry_after_capped() -> None:
    assert parse_retry_after("9" * 30) == timedelta(hours=1)

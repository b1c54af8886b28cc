import logging

import pytest

from ai_services.temporal_workers.helpers.redaction import redact_secrets, strip_query
from ai_services.temporal_workers.helpers.source_urls import (
    InvalidSourceUrlError,
    check_source_url,
)
from ai_services.temporal_workers.workers.main_worker import RedactingFilter

PRODUCTION_HOSTS = ("s3.amazonaws.com", "*.amazonaws.com")
LOCAL_HOSTS = ("127.0.0.1:9000",)


def test_redaction_removes_presigned_query() -> None:
    text = (
        "Max retries exceeded with url: /b/k.pdf?X-Amz-Signature=abc123&"
        "X-Amz-Credential=AKIA (caused by ...)"
    )
    redacted = redact_secrets(text)
    assert "abc123" not in redacted
    assert "AKIA" not in redacted
    assert "/b/k.pdf" in redacted


def test_redaction_removes_signature_parameters_and_xml() -> None:
    text = (
        "Signature=zzz <AWSAccessKeyId>AKIAXYZ</AWSAccessKeyId>"
        "<StringToSign>AWS4-HMAC\nsecret</StringToSign>"
    )
    redacted = redact_secrets(text)
    assert "zzz" not in redacted
    assert "AKIAXYZ" not in redacted
    assert "secret" not in redacted


def test_strip_query() -> None:
    assert strip_query("https://h/b/k.pdf?X-Amz-Signature=1#f") == "https://h/b/k.pdf"


@pytest.mark.parametrize(
    "url",
    [
        "https://bucket.s3.amazonaws.com/key.pdf?X-Amz-Signature=1",
        "https://s3.amazonaws.com/bucket/key.pdf",
        "https://bucket.s3.eu-west-1.amazonaws.com/key.pdf",
        "https://bucket.s3.amazonaws.com./key.pdf",
        "https://BUCKET.S3.AMAZONAWS.COM/key.pdf",
    ],
)
def test_production_hosts_accepted(url: str) -> None:
    check_source_url(url, PRODUCTION_HOSTS)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:1/",
        "https://example.com/x.pdf",
        "http://bucket.s3.amazonaws.com/key.pdf",
        "https://user:pw@bucket.s3.amazonaws.com/key.pdf",
        "https://amazonaws.com.evil.example/key.pdf",
        "https://127.0.0.1\\.amazonaws.com/key.pdf",
        "https://a%2e.amazonaws.com/key.pdf",
    ],
)
def test_hostile_urls_rejected(url: str) -> None:
    with pytest.raises(InvalidSourceUrlError):
        check_source_url(url, PRODUCTION_HOSTS)


def test_http_allowed_for_exact_local_entry() -> None:
    check_source_url("http://127.0.0.1:9000/b/k", LOCAL_HOSTS)
    with pytest.raises(InvalidSourceUrlError, match="not allowed"):
        check_source_url("http://127.0.0.1:9001/b/k", LOCAL_HOSTS)


def test_rejection_message_has_no_query() -> None:
    with pytest.raises(InvalidSourceUrlError) as raised:
        check_source_url(
            "https://example.com/k?X-Amz-Signature=secret", PRODUCTION_HOSTS
        )
    assert "secret" not in str(raised.value)


def test_log_filter_redacts_records() -> None:
    record = logging.LogRecord(
        "urllib3",
        logging.WARNING,
        __file__,
        1,
        "Failed to parse headers (url=%s)",
        ("https://h/k?X-Amz-Signature=s3cr3t",),
        None,
    )
    RedactingFilter().filter(record)
    assert "s3cr3t" not in record.getMessage()
    assert "https://h/k" in record.getMessage()

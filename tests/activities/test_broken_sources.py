"""Sources that misbehave: the activity fails with the right retry decision and
stores nothing, neither in S3 nor in Vellum."""

from __future__ import annotations

import os
import re
import time

import pytest

from ai_services.local_stack.stack import LocalStack
from ai_services.temporal_workers.activities.transfers import CHUNK_BYTES
from tests.activities.support import (
    fast_heartbeats,  # noqa: F401 (fixture)
    make_input,
    run_activity,
    run_failing,
    s3_object,
    settings_overridden,
    vellum_bytes,
    vellum_uploads,
)
from tests.helpers.source_server import ScriptedResponse, SourceServer

pytestmark = pytest.mark.usefixtures("worker_env")

EXPIRED_BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    b"<Message>Request has expired</Message><RequestId>1</RequestId></Error>"
)
MAX_BYTES = 1024 * 1024


def assert_nothing_stored(stack: LocalStack, remote_key: str, external_id: str) -> None:
    assert s3_object(stack, remote_key) is None
    assert vellum_bytes(stack, external_id) is None
    assert vellum_uploads(stack, external_id) == 0


def test_expired_url_not_retried(
    stack: LocalStack, source_server: SourceServer
) -> None:
    url = source_server.add(
        "/expired.pdf", ScriptedResponse(status=403, body=EXPIRED_BODY)
    )
    input = make_input(url)

    error = run_failing(input)

    assert error.non_retryable
    assert "HTTP 403" in error.message
    assert "AccessDenied: Request has expired" in error.message
    assert source_server.request_counts["/expired.pdf"] == 1
    assert_nothing_stored(stack, input.remote_key, input.external_id)


def test_truncated_body_retried(stack: LocalStack, source_server: SourceServer) -> None:
    answer = ScriptedResponse(body=os.urandom(1000), content_length=2048)
    url = source_server.add("/truncated.pdf", answer)
    input = make_input(url)

    error = run_failing(input)

    assert not error.non_retryable
    assert error.type == "SourceDownloadFailed"
    assert_nothing_stored(stack, input.remote_key, input.external_id)


def test_empty_body_not_retried(stack: LocalStack, source_server: SourceServer) -> None:
    url = source_server.add("/empty.pdf", ScriptedResponse(body=b""))
    input = make_input(url)

    error = run_failing(input)

    assert error.non_retryable
    assert error.type == "EmptyDocument"
    assert "empty document" in error.message
    assert_nothing_stored(stack, input.remote_key, input.external_id)


def test_too_large_with_content_length(
    stack: LocalStack, source_server: SourceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = source_server.add(
        "/large-declared.bin", ScriptedResponse(body=os.urandom(4 * MAX_BYTES))
    )
    input = make_input(url)
    heartbeats: list[dict[str, object]] = []

    with settings_overridden(monkeypatch, MAX_DOCUMENT_BYTES=str(MAX_BYTES)):
        error = run_failing(input, heartbeats)

    assert error.non_retryable
    assert error.type == "DocumentTooLarge"
    assert f"maximum of {MAX_BYTES} bytes" in error.message
    # Rejected on the Content-Length header, before any of the body was read.
    assert heartbeats == []
    assert_nothing_stored(stack, input.remote_key, input.external_id)


def test_too_large_without_content_length(
    stack: LocalStack, source_server: SourceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = ScriptedResponse(body=os.urandom(8 * MAX_BYTES), omit_content_length=True)
    url = source_server.add("/large-undeclared.bin", answer)
    input = make_input(url)
    heartbeats: list[dict[str, object]] = []

    with settings_overridden(monkeypatch, MAX_DOCUMENT_BYTES=str(MAX_BYTES)):
        error = run_failing(input, heartbeats)

    assert error.non_retryable
    assert error.type == "DocumentTooLarge"
    stopped = re.search(r"download stopped after (\d+) bytes", error.message)
    assert stopped is not None
    # The download stops within one chunk of passing the limit.
    assert MAX_BYTES < int(stopped.group(1)) <= MAX_BYTES + CHUNK_BYTES
    assert_nothing_stored(stack, input.remote_key, input.external_id)


@pytest.mark.timeout(60)
@pytest.mark.usefixtures("fast_heartbeats")
def test_trickling_source_hits_deadline(
    stack: LocalStack, source_server: SourceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 100 bytes a second for two minutes.
    answer = ScriptedResponse(body=os.urandom(12_000), trickle_bytes_per_second=100)
    url = source_server.add("/trickle.bin", answer)
    input = make_input(url)
    heartbeats: list[dict[str, object]] = []
    started = time.monotonic()

    with settings_overridden(monkeypatch, DOWNLOAD_DEADLINE_SECONDS="3"):
        error = run_failing(input, heartbeats)

    elapsed = time.monotonic() - started
    assert not error.non_retryable
    assert "deadline of 3 s" in error.message
    assert 3 <= elapsed < 10
    assert len(heartbeats) >= 3
    assert all(beat["step"] == "download" for beat in heartbeats)
    assert_nothing_stored(stack, input.remote_key, input.external_id)


@pytest.mark.timeout(60)
def test_silent_source_hits_read_timeout(
    stack: LocalStack, source_server: SourceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = source_server.add("/silent.bin", ScriptedResponse(hang=True))
    input = make_input(url)
    started = time.monotonic()

    with settings_overridden(monkeypatch, DOWNLOAD_READ_TIMEOUT_SECONDS="2"):
        error = run_failing(input)

    elapsed = time.monotonic() - started
    assert not error.non_retryable
    assert "ReadTimeout" in error.message
    assert 2 <= elapsed < 10
    assert_nothing_stored(stack, input.remote_key, input.external_id)


def test_compressing_source_stores_document_bytes(
    stack: LocalStack, source_server: SourceServer
) -> None:
    body = b"policy text that compresses well " * 100
    response = ScriptedResponse(body=body, gzip_if_accepted=True)
    input = make_input(source_server.add("/gzip.txt", response))

    run_activity(input)

    assert s3_object(stack, input.remote_key) == body
    assert vellum_bytes(stack, input.external_id) == body


@pytest.mark.parametrize(
    ("status", "headers"),
    [(206, {"Content-Range": "bytes 0-9/100"}), (302, {}), (300, {})],
    ids=["partial", "redirect-without-location", "multiple-choices"],
)
def test_status_other_than_200_not_stored(
    stack: LocalStack,
    source_server: SourceServer,
    status: int,
    headers: dict[str, str],
) -> None:
    response = ScriptedResponse(status=status, body=b"0123456789", headers=headers)
    input = make_input(source_server.add(f"/status-{status}.bin", response))

    error = run_failing(input)

    assert error.non_retryable
    assert f"HTTP {status}" in error.message
    assert_nothing_stored(stack, input.remote_key, input.external_id)

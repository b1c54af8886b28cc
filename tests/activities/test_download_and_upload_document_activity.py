"""The single-download activity against SeaweedFS, the Vellum-compatible server and
a scripted source server."""

from __future__ import annotations

import hashlib
import logging
import os
from datetime import timedelta

import httpx
import pytest

from ai_services.local_stack.stack import ARCHIVE_BUCKET, LocalStack
from ai_services.shared.runtime.context import ExecutionSource
from tests.activities.support import (
    fast_heartbeats,  # noqa: F401 (fixture)
    make_input,
    run_activity,
    run_failing,
    s3_object,
    vellum_bytes,
)
from tests.conftest import clear_client_caches
from tests.helpers.source_server import ScriptedResponse, SourceServer

pytestmark = pytest.mark.usefixtures("worker_env")

EXPIRED_BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    b"<Message>Request has expired</Message></Error>"
)


def sha256(data: bytes | None) -> str:
    assert data is not None
    return hashlib.sha256(data).hexdigest()


def queue_vellum_fault(admin: httpx.Client, status: int, **extra: object) -> None:
    response = admin.post(
        "/_emulator/faults",
        json={
            "status": status,
            "count": 1,
            "method": "POST",
            "path": "/v1/upload-document",
            **extra,
        },
    )
    response.raise_for_status()


def test_drata_run_downloads_archives_and_uploads(
    stack: LocalStack, source_server: SourceServer
) -> None:
    body = os.urandom(1024)
    url = source_server.add("/drata.pdf", ScriptedResponse(body=body))
    input = make_input(url, ExecutionSource.DRATA_WEBAPP_PROD)

    output = run_activity(input)

    assert source_server.request_counts["/drata.pdf"] == 1
    assert output.bucket == ARCHIVE_BUCKET
    assert output.remote_key == input.remote_key
    assert sha256(s3_object(stack, input.remote_key)) == sha256(body)
    assert sha256(vellum_bytes(stack, input.external_id)) == sha256(body)
    document = stack.vellum_client().documents.retrieve(input.external_id)
    assert document.id == output.document_id
    assert document.label == "report.pdf"
    assert document.metadata == {
        "team": "risk",
        "S3_BUCKET": ARCHIVE_BUCKET,
        "S3_OBJECT_KEY": input.remote_key,
    }


def test_local_run_skips_s3_and_logs_it(
    stack: LocalStack, source_server: SourceServer, caplog: pytest.LogCaptureFixture
) -> None:
    body = os.urandom(1024)
    url = source_server.add("/local.pdf", ScriptedResponse(body=body))
    input = make_input(url, ExecutionSource.LOCAL)

    with caplog.at_level(logging.INFO):
        output = run_activity(input)

    assert source_server.request_counts["/local.pdf"] == 1
    assert s3_object(stack, input.remote_key) is None
    assert sha256(vellum_bytes(stack, input.external_id)) == sha256(body)
    skipped = [r for r in caplog.records if "Skipped the S3 upload" in r.getMessage()]
    assert len(skipped) == 1
    assert input.external_id in skipped[0].getMessage()
    assert "source=local" in skipped[0].getMessage()
    document = stack.vellum_client().documents.retrieve(output.document_id)
    assert document.metadata is not None
    assert document.metadata["S3_BUCKET"] == ARCHIVE_BUCKET
    assert document.metadata["S3_OBJECT_KEY"] == input.remote_key


def test_index_given_by_uuid(stack: LocalStack, source_server: SourceServer) -> None:
    url = source_server.add("/by-uuid.pdf", ScriptedResponse(body=b"indexed by uuid"))
    input = make_input(url, ExecutionSource.LOCAL, index_id=stack.index_id)

    output = run_activity(input)

    document = stack.vellum_client().documents.retrieve(output.document_id)
    index_ids = [
        link.document_index_id for link in document.document_to_document_indexes
    ]
    assert index_ids == [stack.index_id]


@pytest.mark.parametrize("status", [400, 403, 404])
def test_download_4xx_not_retryable(
    stack: LocalStack, source_server: SourceServer, status: int
) -> None:
    path = f"/client-error-{status}.pdf"
    url = source_server.add(path, ScriptedResponse(status=status, body=EXPIRED_BODY))
    input = make_input(url, ExecutionSource.DRATA_WEBAPP_PROD)

    error = run_failing(input)

    assert error.non_retryable
    assert error.type == "SourceDownloadFailed"
    assert f"HTTP {status}" in error.message
    assert "AccessDenied: Request has expired" in error.message
    assert "test-signature" not in error.message
    assert source_server.request_counts[path] == 1
    assert s3_object(stack, input.remote_key) is None
    assert vellum_bytes(stack, input.external_id) is None


@pytest.mark.parametrize("status", [429, 500, 503])
def test_download_5xx_and_429_retryable(
    stack: LocalStack, source_server: SourceServer, status: int
) -> None:
    path = f"/server-error-{status}.pdf"
    answer = ScriptedResponse(status=status, body=b"busy", headers={"Retry-After": "3"})
    url = source_server.add(path, answer)
    input = make_input(url, ExecutionSource.DRATA_WEBAPP_PROD)

    error = run_failing(input)

    assert not error.non_retryable
    assert error.next_retry_delay == timedelta(seconds=3)
    assert s3_object(stack, input.remote_key) is None
    assert vellum_bytes(stack, input.external_id) is None


def test_s3_failure_retryable(
    stack: LocalStack, source_server: SourceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = source_server.add("/s3-down.pdf", ScriptedResponse(body=b"document"))
    input = make_input(url, ExecutionSource.DRATA_WEBAPP_PROD)
    # Nothing listens on port 9 of the loopback address: connection refused.
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")
    clear_client_caches()
    try:
        error = run_failing(input)
    finally:
        monkeypatch.undo()
        clear_client_caches()

    assert not error.non_retryable
    assert error.type == "S3UploadFailed"
    assert vellum_bytes(stack, input.external_id) is None


@pytest.mark.parametrize("status", [400, 403, 404, 413])
def test_vellum_4xx_not_retryable(
    stack: LocalStack,
    source_server: SourceServer,
    vellum_admin: httpx.Client,
    status: int,
) -> None:
    url = source_server.add(f"/vellum-{status}.pdf", ScriptedResponse(body=b"document"))
    input = make_input(url, ExecutionSource.LOCAL)
    queue_vellum_fault(vellum_admin, status)

    error = run_failing(input)

    assert error.non_retryable
    assert error.type == "VellumRequestFailed"
    assert f"HTTP {status}" in error.message
    assert vellum_bytes(stack, input.external_id) is None


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_vellum_5xx_and_429_retryable(
    stack: LocalStack,
    source_server: SourceServer,
    vellum_admin: httpx.Client,
    status: int,
) -> None:
    url = source_server.add(f"/vellum-{status}.pdf", ScriptedResponse(body=b"document"))
    input = make_input(url, ExecutionSource.LOCAL)
    queue_vellum_fault(vellum_admin, status, retry_after="2")

    error = run_failing(input)

    assert not error.non_retryable
    assert error.next_retry_delay == timedelta(seconds=2)
    assert stack.secrets.vellum_api_key not in error.message


def test_unknown_index_not_retryable(source_server: SourceServer) -> None:
    url = source_server.add("/unknown-index.pdf", ScriptedResponse(body=b"document"))
    input = make_input(url, ExecutionSource.LOCAL, index_id="no-such-index")

    error = run_failing(input)

    assert error.non_retryable
    assert "HTTP 404" in error.message


@pytest.mark.parametrize("size", [1024, 9 * 1024 * 1024], ids=["1KiB", "9MiB"])
def test_bytes_identical_in_s3_and_vellum(
    stack: LocalStack, source_server: SourceServer, size: int
) -> None:
    body = os.urandom(size)
    path = f"/bytes-{size}.bin"
    url = source_server.add(path, ScriptedResponse(body=body))
    input = make_input(url, ExecutionSource.DRATA_WEBAPP_PROD)

    run_activity(input)

    assert source_server.request_counts[path] == 1
    assert sha256(s3_object(stack, input.remote_key)) == sha256(body)
    assert sha256(vellum_bytes(stack, input.external_id)) == sha256(body)


@pytest.mark.usefixtures("fast_heartbeats")
def test_heartbeats_report_progress(source_server: SourceServer) -> None:
    # 512 KiB a second for 2 MiB: a four-second download.
    body = os.urandom(2 * 1024 * 1024)
    answer = ScriptedResponse(body=body, trickle_bytes_per_second=512 * 1024)
    url = source_server.add("/heartbeat.bin", answer)
    input = make_input(url, ExecutionSource.DRATA_WEBAPP_PROD)
    heartbeats: list[dict[str, object]] = []

    run_activity(input, heartbeats)

    downloads = [beat for beat in heartbeats if beat["step"] == "download"]
    assert len(downloads) >= 3
    done = [int(str(beat["bytes_done"])) for beat in downloads]
    assert done == sorted(done)
    assert 0 < done[-1] <= len(body)
    assert all(beat["bytes_total"] == len(body) for beat in downloads)


@pytest.mark.usefixtures("fast_heartbeats")
def test_heartbeats_while_vellum_responds_slowly(
    source_server: SourceServer, vellum_admin: httpx.Client
) -> None:
    url = source_server.add("/slow-vellum.pdf", ScriptedResponse(body=b"document"))
    input = make_input(url, ExecutionSource.LOCAL)
    # Status 0: the upload is served normally, after a delay of 1.5 s.
    queue_vellum_fault(vellum_admin, 0, delay_seconds=1.5)
    heartbeats: list[dict[str, object]] = []

    run_activity(input, heartbeats)

    waiting = [beat for beat in heartbeats if beat["step"] == "vellum_upload"]
    assert len(waiting) >= 3

"""Concurrent uploads from threads sharing one SDK client."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import vellum

from .server_process import wait_for_processing_state

pytestmark = pytest.mark.timeout(60)


def test_concurrent_uploads_distinct_external_ids(client: vellum.Vellum) -> None:
    def upload(number: int) -> str:
        return client.documents.upload(
            label=f"Concurrent {number}",
            contents=(f"file-{number}.txt", f"body {number}".encode(), "text/plain"),
            external_id=f"concurrent-{number}",
        ).document_id

    with ThreadPoolExecutor(max_workers=50) as pool:
        document_ids = list(pool.map(upload, range(50)))

    listed = client.documents.list()
    assert len(set(document_ids)) == 50
    assert listed.count == 50
    external_ids = {document.external_id for document in listed.results or []}
    assert external_ids == {f"concurrent-{number}" for number in range(50)}


def test_concurrent_uploads_same_external_id(
    client: vellum.Vellum, admin: httpx.Client
) -> None:
    bodies = {f"version {number}".encode() for number in range(20)}

    def upload(body: bytes) -> str:
        return client.documents.upload(
            label=body.decode(), contents=body, external_id="shared"
        ).document_id

    with ThreadPoolExecutor(max_workers=20) as pool:
        document_ids = list(pool.map(upload, sorted(bodies)))

    listed = client.documents.list()
    assert listed.count == 1
    assert set(document_ids) == {document_ids[0]}
    document = wait_for_processing_state(client, "shared", "PROCESSED")
    assert document.id == document_ids[0]
    assert document.original_file_url is not None
    content = admin.get(document.original_file_url).content
    assert content in bodies
    assert document.label == content.decode()
    log = admin.get("/_emulator/requests").json()
    upload_statuses = sorted(
        entry["status"] for entry in log if entry["path"] == "/v1/upload-document"
    )
    assert upload_statuses == [200] * 19 + [201]

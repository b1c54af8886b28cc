"""Persistence across a restart of the server process on the same state folder."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import httpx
import pytest

from .server_process import (
    API_KEY,
    make_vellum_client,
    start_server,
    wait_for_processing_state,
)

pytestmark = pytest.mark.timeout(60)


def test_restart_keeps_documents(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    log_dir = tmp_path / "logs"
    # A long delay keeps the document QUEUED until the first server stops.
    first = start_server(state_dir, log_dir, extra_args=["--processing-delay", "60"])
    try:
        client = make_vellum_client(first.url)
        client.document_indexes.create(
            label="Persistent",
            name="persistent",
            indexing_config={"vectorizer": {"model_name": "private-vectorizer"}},
        )
        uploaded = client.documents.upload(
            label="Kept",
            contents=("kept.txt", b"kept bytes", "text/plain"),
            external_id="kept-1",
            add_to_index_names=["persistent"],
            metadata=json.dumps({"k": "v"}),
        )
        before = client.documents.retrieve(uploaded.document_id)
    finally:
        first_status = first.stop()
    assert first_status == 0
    assert before.processing_state == "QUEUED"

    stray_temp_file = state_dir / "tmp" / "interrupted-upload.part"
    stray_temp_file.write_bytes(b"partial")
    second = start_server(state_dir, log_dir, extra_args=["--processing-delay", "0.1"])
    try:
        client = make_vellum_client(second.url)
        after = wait_for_processing_state(client, "kept-1", "PROCESSED")
        listed = client.documents.list(document_index_id="persistent")
        assert after.original_file_url is not None
        response = httpx.get(
            after.original_file_url, headers={"X-API-KEY": API_KEY}, timeout=10
        )
    finally:
        second_status = second.stop(signal.SIGINT)

    assert second_status == 0
    assert after.id == uploaded.document_id
    assert after.label == "Kept"
    assert after.metadata == {"k": "v"}
    assert after.last_uploaded_at == before.last_uploaded_at
    assert after.document_to_document_indexes[0].indexing_state == "INDEXED"
    assert listed.count == 1
    assert after.original_file_url.startswith(second.url)
    assert first.url != second.url
    assert response.content == b"kept bytes"
    assert not stray_temp_file.exists()


def test_restart_after_kill_keeps_committed_uploads(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    log_dir = tmp_path / "logs"
    first = start_server(state_dir, log_dir)
    try:
        client = make_vellum_client(first.url)
        for number in range(3):
            client.documents.upload(
                label=f"Before kill {number}",
                contents=f"body {number}".encode(),
                external_id=f"killed-{number}",
            )
    finally:
        first_status = first.stop(signal.SIGKILL)
    assert first_status == -signal.SIGKILL

    # A content file without a document, as left by a crash between writing the
    # file and committing its row.
    orphan_file = state_dir / "files" / ("0" * 32)
    orphan_file.write_bytes(b"orphan")
    second = start_server(state_dir, log_dir)
    try:
        client = make_vellum_client(second.url)
        listed = client.documents.list()
        document = client.documents.retrieve("killed-2")
        assert document.original_file_url is not None
        response = httpx.get(
            document.original_file_url, headers={"X-API-KEY": API_KEY}, timeout=10
        )
    finally:
        second.stop()

    assert listed.count == 3
    assert response.content == b"body 2"
    assert not orphan_file.exists()

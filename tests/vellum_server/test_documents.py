"""Uploads, retrieval, upsert and listing through the unmodified vellum-ai SDK."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest
import vellum

from .server_process import PROCESSING_DELAY_SECONDS, wait_for_processing_state

pytestmark = pytest.mark.timeout(30)

INDEXING_CONFIG = {"vectorizer": {"model_name": "text-embedding-3-small", "config": {}}}


def _create_index(client: vellum.Vellum, name: str) -> vellum.DocumentIndexRead:
    return client.document_indexes.create(
        label=f"Label of {name}", name=name, indexing_config=INDEXING_CONFIG
    )


def _download(admin: httpx.Client, url: str) -> httpx.Response:
    response = admin.get(url)
    assert response.status_code == 200, response.text
    return response


def _filename_from_disposition(header: str) -> str:
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == "filename*":
            return unquote(value.removeprefix("UTF-8''"))
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == "filename":
            return value.strip('"')
    raise AssertionError(f"no filename in {header!r}")


def test_upload_from_bytes(client: vellum.Vellum, admin: httpx.Client) -> None:
    uploaded = client.documents.upload(
        label="Bytes", contents=b"raw bytes", external_id="bytes-1"
    )

    document = client.documents.retrieve(uploaded.document_id)
    assert document.id == uploaded.document_id
    assert document.label == "Bytes"
    assert document.external_id == "bytes-1"
    assert document.status == "ACTIVE"
    assert document.original_file_url is not None
    response = _download(admin, document.original_file_url)
    assert response.content == b"raw bytes"
    assert response.headers["content-type"] == "application/octet-stream"
    assert _filename_from_disposition(response.headers["content-disposition"]) == (
        "upload"
    )


def test_upload_from_open_file(
    client: vellum.Vellum, admin: httpx.Client, tmp_path: Path
) -> None:
    path = tmp_path / "report.txt"
    path.write_bytes(b"line one\nline two\n")

    with path.open("rb") as file:
        uploaded = client.documents.upload(label="Report", contents=file)

    document = client.documents.retrieve(uploaded.document_id)
    assert document.external_id is None
    assert document.original_file_url is not None
    response = _download(admin, document.original_file_url)
    assert response.content == b"line one\nline two\n"
    assert response.headers["content-type"] == "text/plain"
    assert _filename_from_disposition(response.headers["content-disposition"]) == (
        "report.txt"
    )


def test_upload_from_tuple(client: vellum.Vellum, admin: httpx.Client) -> None:
    uploaded = client.documents.upload(
        label="Notes",
        contents=("notes.md", b"# Notes\n", "text/markdown"),
        keywords=["alpha", "beta"],
        metadata=json.dumps({"S3_BUCKET": "bucket", "nested": {"n": 1}}),
    )

    document = client.documents.retrieve(uploaded.document_id)
    assert document.keywords == ["alpha", "beta"]
    assert document.metadata == {"S3_BUCKET": "bucket", "nested": {"n": 1}}
    assert document.original_file_url is not None
    response = _download(admin, document.original_file_url)
    assert response.content == b"# Notes\n"
    assert response.headers["content-type"] == "text/markdown"
    assert _filename_from_disposition(response.headers["content-disposition"]) == (
        "notes.md"
    )


def test_upload_non_ascii_filename_and_label(
    client: vellum.Vellum, admin: httpx.Client
) -> None:
    filename = "Prüfbericht \u2013 日本語.txt"
    label = "Étiquette 🗂 日本語"

    uploaded = client.documents.upload(
        label=label,
        contents=(filename, "Grüße".encode(), "text/plain"),
        external_id="ext-ü-日本",
    )

    document = client.documents.retrieve(uploaded.document_id)
    assert document.label == label
    assert document.external_id == "ext-ü-日本"
    assert document.original_file_url is not None
    response = _download(admin, document.original_file_url)
    assert response.content == "Grüße".encode()
    assert _filename_from_disposition(response.headers["content-disposition"]) == (
        filename
    )


def test_retrieve_by_external_id(client: vellum.Vellum) -> None:
    uploaded = client.documents.upload(
        label="By external id", contents=b"x", external_id="tenant-1 doc 42"
    )

    by_external_id = client.documents.retrieve("tenant-1 doc 42")
    by_document_id = client.documents.retrieve(uploaded.document_id)

    assert by_external_id.id == uploaded.document_id
    assert by_document_id.external_id == "tenant-1 doc 42"


def test_upload_with_url(client: vellum.Vellum) -> None:
    uploaded = client.documents.upload(
        label="Linked", url="https://example.invalid/files/report.pdf"
    )

    document = client.documents.retrieve(uploaded.document_id)
    assert document.original_file_url == "https://example.invalid/files/report.pdf"


def test_upload_none_fields_count_as_absent(client: vellum.Vellum) -> None:
    # The SDK sends an explicit None as an empty-string part.
    uploaded = client.documents.upload(
        label="Nones",
        contents=b"x",
        external_id=None,
        keywords=None,
        metadata=None,
        add_to_index_names=None,
        url=None,
    )

    document = client.documents.retrieve(uploaded.document_id)
    assert document.external_id is None
    assert document.keywords == []
    assert document.metadata is None
    assert document.document_to_document_indexes == []


def test_upload_accepts_json_array_fields(
    client: vellum.Vellum, admin: httpx.Client
) -> None:
    first = _create_index(client, "json-a")
    second = _create_index(client, "json-b")

    response = admin.post(
        "/v1/upload-document",
        data={
            "label": "JSON arrays",
            "add_to_index_names": '["json-a", "json-b"]',
            "keywords": '["k1", "k2"]',
        },
        files={"contents": ("a.txt", b"a", "text/plain")},
    )

    assert response.status_code == 201, response.text
    document = client.documents.retrieve(response.json()["document_id"])
    assert document.keywords == ["k1", "k2"]
    index_ids = {
        link.document_index_id for link in document.document_to_document_indexes
    }
    assert index_ids == {first.id, second.id}


def test_upsert_replaces_document(client: vellum.Vellum, admin: httpx.Client) -> None:
    first_index = _create_index(client, "upsert-first")
    second_index = _create_index(client, "upsert-second")
    original = client.documents.upload(
        label="Version 1",
        contents=("v1.txt", b"version one", "text/plain"),
        external_id="upsert-1",
        add_to_index_names=["upsert-first"],
        keywords=["old"],
        metadata=json.dumps({"version": 1}),
    )
    before = client.documents.retrieve(original.document_id)

    replacement = client.documents.upload(
        label="Version 2",
        contents=("v2.txt", b"version two", "text/plain"),
        external_id="upsert-1",
        add_to_index_names=["upsert-second"],
        keywords=["new"],
        metadata=json.dumps({"version": 2}),
    )

    after = client.documents.retrieve("upsert-1")
    assert replacement.document_id == original.document_id
    assert after.id == original.document_id
    assert after.label == "Version 2"
    assert after.keywords == ["new"]
    assert after.metadata == {"version": 2}
    assert after.last_uploaded_at > before.last_uploaded_at
    assert after.processing_state == "QUEUED"
    index_ids = {link.document_index_id for link in after.document_to_document_indexes}
    assert index_ids == {first_index.id, second_index.id}
    assert after.original_file_url is not None
    response = _download(admin, after.original_file_url)
    assert response.content == b"version two"
    assert _filename_from_disposition(response.headers["content-disposition"]) == (
        "v2.txt"
    )
    listed = client.documents.list(search="upsert-1")
    assert listed.count == 1


def test_list_filters_by_index_id_and_name(client: vellum.Vellum) -> None:
    index = _create_index(client, "list-index")
    in_index = [
        client.documents.upload(
            label=f"In index {number}",
            contents=b"x",
            external_id=f"in-{number}",
            add_to_index_names=["list-index"],
        ).document_id
        for number in range(3)
    ]
    client.documents.upload(label="Elsewhere", contents=b"x", external_id="out-1")

    by_id = client.documents.list(document_index_id=index.id)
    by_name = client.documents.list(document_index_id="list-index")
    everything = client.documents.list()

    assert by_id.count == 3
    assert [document.id for document in by_id.results or []] == in_index
    assert by_name.count == 3
    assert [document.id for document in by_name.results or []] == in_index
    assert everything.count == 4


def test_list_limit_and_offset(client: vellum.Vellum) -> None:
    ids = [
        client.documents.upload(label=f"Page {number}", contents=b"x").document_id
        for number in range(5)
    ]

    page = client.documents.list(limit=2, offset=1)

    assert page.count == 5
    assert [document.id for document in page.results or []] == ids[1:3]
    assert page.next is not None
    assert "offset=3" in page.next
    assert page.previous is not None
    last_page = client.documents.list(limit=2, offset=4)
    assert [document.id for document in last_page.results or []] == ids[4:]
    assert last_page.next is None


def test_list_ordering_and_search(client: vellum.Vellum) -> None:
    for label in ("beta", "alpha", "gamma"):
        client.documents.upload(label=label, contents=b"x", external_id=f"ord-{label}")

    by_label = client.documents.list(ordering="-label")
    searched = client.documents.list(search="ALP")

    assert [document.label for document in by_label.results or []] == [
        "gamma",
        "beta",
        "alpha",
    ]
    assert [document.label for document in searched.results or []] == ["alpha"]


def test_index_create_and_retrieve(client: vellum.Vellum) -> None:
    created = _create_index(client, "my-index")

    by_name = client.document_indexes.retrieve("my-index")
    by_id = client.document_indexes.retrieve(created.id)
    listed = client.document_indexes.list()

    assert by_name.id == created.id
    assert by_name.name == "my-index"
    assert by_name.label == "Label of my-index"
    assert by_name.status == "ACTIVE"
    assert by_name.indexing_config.vectorizer.model_name == "text-embedding-3-small"
    assert by_id.name == "my-index"
    assert listed.count == 1


def test_index_update_and_destroy(client: vellum.Vellum) -> None:
    _create_index(client, "changing")

    renamed = client.document_indexes.partial_update("changing", label="Renamed")
    archived = client.document_indexes.update(
        "changing", label="Archived", status="ARCHIVED"
    )
    client.document_indexes.destroy("changing")

    assert renamed.label == "Renamed"
    assert archived.status == "ARCHIVED"
    with pytest.raises(vellum.core.ApiError) as error:
        client.document_indexes.retrieve("changing")
    assert error.value.status_code == 404


def test_index_add_and_remove_document(client: vellum.Vellum) -> None:
    index = _create_index(client, "membership")
    uploaded = client.documents.upload(label="Member", contents=b"x", external_id="m-1")

    client.document_indexes.add_document(document_id="m-1", id="membership")
    added = client.documents.retrieve(uploaded.document_id)
    client.document_indexes.remove_document(document_id="m-1", id=index.id)
    removed = client.documents.retrieve(uploaded.document_id)

    assert [link.document_index_id for link in added.document_to_document_indexes] == [
        index.id
    ]
    assert removed.document_to_document_indexes == []


def test_document_partial_update_and_destroy(
    client: vellum.Vellum, admin: httpx.Client
) -> None:
    uploaded = client.documents.upload(
        label="Before", contents=b"x", external_id="patch-1", keywords=["k"]
    )
    before = client.documents.retrieve(uploaded.document_id)
    assert before.original_file_url is not None

    unchanged = client.documents.partial_update("patch-1")
    patched = client.documents.partial_update(
        "patch-1", label="After", metadata={"a": "b"}
    )
    client.documents.destroy("patch-1")

    assert unchanged.label == "Before"
    assert patched.label == "After"
    assert patched.metadata == {"a": "b"}
    assert patched.keywords == ["k"]
    with pytest.raises(vellum.core.ApiError) as error:
        client.documents.retrieve(uploaded.document_id)
    assert error.value.status_code == 404
    assert admin.get(before.original_file_url).status_code == 404


def test_processing_moves_queued_to_processed(client: vellum.Vellum) -> None:
    _create_index(client, "processing")
    uploaded = client.documents.upload(
        label="Processing",
        contents=b"some text",
        add_to_index_names=["processing"],
    )

    queued = client.documents.retrieve(uploaded.document_id)
    processed = wait_for_processing_state(
        client, uploaded.document_id, "PROCESSED", timeout=PROCESSING_DELAY_SECONDS + 10
    )

    assert queued.processing_state == "QUEUED"
    assert queued.document_to_document_indexes[0].indexing_state == "QUEUED"
    assert processed.document_to_document_indexes[0].indexing_state == "INDEXED"


def test_processing_empty_file_fails(client: vellum.Vellum) -> None:
    uploaded = client.documents.upload(
        label="Empty", contents=("empty.txt", b"", "text/plain"), external_id="empty"
    )

    failed = wait_for_processing_state(client, uploaded.document_id, "FAILED")
    listed = client.documents.list(search="empty")

    assert failed.processing_state == "FAILED"
    results = listed.results or []
    assert len(results) == 1
    assert results[0].processing_state == "FAILED"
    assert results[0].processing_failure_reason == "INVALID_FILE"

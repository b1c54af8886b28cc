"""The request log, reset and authentication of ``/_emulator/``."""

from __future__ import annotations

import httpx
import pytest
import vellum

from .server_process import ServerProcess

pytestmark = pytest.mark.timeout(30)


def test_request_log_in_order(client: vellum.Vellum, admin: httpx.Client) -> None:
    uploaded = client.documents.upload(label="x", contents=b"x", external_id="log-1")
    client.documents.retrieve("log-1")
    client.documents.list(search="secret-search-term")
    admin.post("/_emulator/faults", json={"status": 503, "path": "/v1/upload-document"})
    with pytest.raises(vellum.core.ApiError):
        client.documents.upload(label="y", contents=b"y", external_id="log-2")
    with pytest.raises(vellum.core.ApiError):
        client.documents.retrieve("missing")

    log = admin.get("/_emulator/requests").json()

    assert uploaded.document_id
    received = [entry.pop("received_at") for entry in log]
    assert received == sorted(received)
    upload_fields = ["contents", "external_id", "label"]
    assert log == [
        {
            "method": "POST",
            "path": "/v1/upload-document",
            "status": 201,
            "external_id": "log-1",
            "form_fields": upload_fields,
        },
        {
            "method": "GET",
            "path": "/v1/documents/log-1",
            "status": 200,
            "external_id": None,
            "form_fields": None,
        },
        {
            "method": "GET",
            "path": "/v1/documents",
            "status": 200,
            "external_id": None,
            "form_fields": None,
        },
        {
            "method": "POST",
            "path": "/v1/upload-document",
            "status": 503,
            "external_id": "log-2",
            "form_fields": upload_fields,
        },
        {
            "method": "GET",
            "path": "/v1/documents/missing",
            "status": 404,
            "external_id": None,
            "form_fields": None,
        },
    ]


def test_request_log_records_replacement_status(
    client: vellum.Vellum, admin: httpx.Client
) -> None:
    client.documents.upload(label="x", contents=b"x", external_id="again")
    client.documents.upload(label="x", contents=b"x", external_id="again")

    log = admin.get("/_emulator/requests").json()

    assert [entry["status"] for entry in log] == [201, 200]
    assert [entry["external_id"] for entry in log] == ["again", "again"]


def test_request_log_clear(client: vellum.Vellum, admin: httpx.Client) -> None:
    client.documents.list()

    cleared = admin.delete("/_emulator/requests").json()

    assert cleared == {"deleted": 1}
    assert admin.get("/_emulator/requests").json() == []


def test_reset_deletes_everything(client: vellum.Vellum, admin: httpx.Client) -> None:
    client.document_indexes.create(
        label="Index",
        name="reset-index",
        indexing_config={"vectorizer": {"model_name": "private-vectorizer"}},
    )
    uploaded = client.documents.upload(
        label="x", contents=b"x", add_to_index_names=["reset-index"]
    )
    file_url = client.documents.retrieve(uploaded.document_id).original_file_url
    assert file_url is not None
    admin.post("/_emulator/faults", json={"status": 503, "path": "/nowhere"})

    response = admin.post("/_emulator/reset")

    assert response.status_code == 200
    assert admin.get("/_emulator/requests").json() == []
    assert admin.get("/_emulator/faults").json() == []
    assert client.documents.list().count == 0
    assert client.document_indexes.list().count == 0
    assert admin.get(file_url).status_code == 404


def test_admin_paths_need_api_key(
    fresh_server: ServerProcess, client: vellum.Vellum
) -> None:
    uploaded = client.documents.upload(label="x", contents=b"x")
    file_url = client.documents.retrieve(uploaded.document_id).original_file_url
    assert file_url is not None

    missing = httpx.get(f"{fresh_server.url}/_emulator/requests", timeout=10)
    wrong = httpx.post(
        f"{fresh_server.url}/_emulator/reset",
        headers={"X-API-KEY": "wrong"},
        timeout=10,
    )
    file_without_key = httpx.get(file_url, timeout=10)

    assert missing.status_code == 401
    assert wrong.status_code == 403
    assert file_without_key.status_code == 401
    assert client.documents.list().count == 1


def test_original_file_url_uses_request_host(
    fresh_server: ServerProcess, client: vellum.Vellum, admin: httpx.Client
) -> None:
    uploaded = client.documents.upload(label="x", contents=b"hello")

    document = admin.get(
        f"/v1/documents/{uploaded.document_id}",
        headers={"Host": "vellum.test:1234"},
    ).json()

    assert document["original_file_url"] == (
        f"http://vellum.test:1234/_emulator/files/{uploaded.document_id}"
    )

"""Fault injection through ``/_emulator/faults``."""

from __future__ import annotations

import time

import httpx
import pytest
import vellum
from vellum.core import ApiError

pytestmark = pytest.mark.timeout(30)


def _add_fault(admin: httpx.Client, **definition: object) -> dict[str, object]:
    response = admin.post("/_emulator/faults", json=definition)
    assert response.status_code == 201, response.text
    fault: dict[str, object] = response.json()
    return fault


def test_fault_status_on_upload(client: vellum.Vellum, admin: httpx.Client) -> None:
    _add_fault(admin, status=503, path="/v1/upload-document")

    with pytest.raises(ApiError) as error:
        client.documents.upload(label="x", contents=b"x", external_id="faulted")
    uploaded = client.documents.upload(label="x", contents=b"x", external_id="faulted")

    assert error.value.status_code == 503
    assert "detail" in error.value.body
    assert client.documents.retrieve("faulted").id == uploaded.document_id
    assert client.documents.list().count == 1


def test_fault_500_on_upload_is_internal_server_error(
    client: vellum.Vellum, admin: httpx.Client
) -> None:
    _add_fault(admin, status=500, method="POST", path="/v1/upload-document")

    with pytest.raises(vellum.InternalServerError):
        client.documents.upload(label="x", contents=b"x")


def test_fault_retry_after_header(client: vellum.Vellum, admin: httpx.Client) -> None:
    _add_fault(admin, status=429, retry_after="2")

    with pytest.raises(ApiError) as error:
        client.documents.list()

    assert error.value.status_code == 429
    assert error.value.headers["retry-after"] == "2"


def test_fault_numeric_retry_after(admin: httpx.Client) -> None:
    fault = _add_fault(admin, status=503, retry_after=5)

    response = admin.get("/v1/documents")

    assert fault["retry_after"] == "5"
    assert response.headers["retry-after"] == "5"


def test_fault_without_retry_after_has_no_header(admin: httpx.Client) -> None:
    _add_fault(admin, status=502)

    response = admin.get("/v1/documents")

    assert response.status_code == 502
    assert "retry-after" not in response.headers


def test_fault_delay_then_status(client: vellum.Vellum, admin: httpx.Client) -> None:
    _add_fault(admin, status=504, delay_seconds=0.5, path="/v1/documents")

    started = time.monotonic()
    with pytest.raises(ApiError) as error:
        client.documents.list()
    elapsed = time.monotonic() - started

    assert error.value.status_code == 504
    assert elapsed >= 0.5


def test_fault_delay_only_serves_normally(
    client: vellum.Vellum, admin: httpx.Client
) -> None:
    _add_fault(admin, status=0, delay_seconds=0.5, path="/v1/upload-document")

    started = time.monotonic()
    uploaded = client.documents.upload(label="Slow", contents=b"x")
    elapsed = time.monotonic() - started

    assert elapsed >= 0.5
    assert client.documents.retrieve(uploaded.document_id).label == "Slow"


def test_fault_count(client: vellum.Vellum, admin: httpx.Client) -> None:
    _add_fault(admin, status=503, count=2, path="/v1/documents")

    statuses = []
    for _ in range(2):
        with pytest.raises(ApiError) as error:
            client.documents.list()
        statuses.append(error.value.status_code)
    page = client.documents.list()

    assert statuses == [503, 503]
    assert page.count == 0
    assert admin.get("/_emulator/faults").json() == []


def test_fault_matches_method_and_exact_path(
    client: vellum.Vellum, admin: httpx.Client
) -> None:
    _add_fault(admin, status=503, method="get", path="/v1/documents")

    uploaded = client.documents.upload(label="x", contents=b"x")
    retrieved = client.documents.retrieve(uploaded.document_id)
    pending_after_other_requests = admin.get("/_emulator/faults").json()
    with pytest.raises(ApiError) as error:
        client.documents.list()

    assert retrieved.id == uploaded.document_id
    assert len(pending_after_other_requests) == 1
    assert pending_after_other_requests[0]["method"] == "GET"
    assert error.value.status_code == 503


def test_faults_apply_in_order_added(admin: httpx.Client) -> None:
    _add_fault(admin, status=501, path="/v1/documents")
    _add_fault(admin, status=502)

    first = admin.get("/v1/documents")
    second = admin.get("/v1/documents")
    third = admin.get("/v1/documents")

    assert [first.status_code, second.status_code, third.status_code] == [501, 502, 200]


def test_faults_skip_admin_paths(admin: httpx.Client) -> None:
    _add_fault(admin, status=503)

    log = admin.get("/_emulator/requests")
    pending = admin.get("/_emulator/faults")

    assert log.status_code == 200
    assert len(pending.json()) == 1


def test_fault_list_and_clear(admin: httpx.Client) -> None:
    first = _add_fault(admin, status=503, count=3, retry_after="1")
    second = _add_fault(admin, status=0, delay_seconds=1.5, method="POST")

    pending = admin.get("/_emulator/faults").json()
    cleared = admin.delete("/_emulator/faults").json()

    assert pending == [first, second]
    assert first == {
        "id": first["id"],
        "status": 503,
        "retry_after": "1",
        "delay_seconds": 0.0,
        "count": 3,
        "method": None,
        "path": None,
    }
    assert cleared == {"deleted": 2}
    assert admin.get("/_emulator/faults").json() == []


@pytest.mark.parametrize(
    ("definition", "field"),
    [
        ({"status": 200}, "status"),
        ({"status": "503"}, "status"),
        ({}, "status"),
        ({"status": 0}, "delay_seconds"),
        ({"status": 503, "count": 0}, "count"),
        ({"status": 503, "delay_seconds": -1}, "delay_seconds"),
        ({"status": 503, "path": "v1/documents"}, "path"),
        ({"status": 503, "retryAfter": "2"}, "retryAfter"),
    ],
)
def test_invalid_fault_is_400(
    admin: httpx.Client, definition: dict[str, object], field: str
) -> None:
    response = admin.post("/_emulator/faults", json=definition)

    assert response.status_code == 400
    assert field in response.json()["detail"]
    assert admin.get("/_emulator/faults").json() == []

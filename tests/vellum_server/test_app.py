"""The app built by ``create_app``, run in process by Starlette's TestClient."""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import pytest
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    # Starlette 1.10 warns at import that its TestClient will move to httpx2.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

from ai_services.vellum_server import create_app

pytestmark = pytest.mark.timeout(30)


def test_create_app_in_process(tmp_path: Path) -> None:
    app = create_app(tmp_path / "state", "in-process-key", processing_delay=0)

    with TestClient(app, headers={"X-API-KEY": "in-process-key"}) as http:
        uploaded = http.post(
            "/v1/upload-document",
            data={"label": "In process", "external_id": "in-process-1"},
            files={"contents": ("a.txt", b"abc", "text/plain")},
        )
        deadline = time.monotonic() + 10
        document = http.get("/v1/documents/in-process-1")
        while document.json()["processing_state"] == "QUEUED":
            assert time.monotonic() < deadline, "the document stayed QUEUED"
            time.sleep(0.02)
            document = http.get("/v1/documents/in-process-1")

    assert uploaded.status_code == 201
    assert document.status_code == 200
    assert document.json()["id"] == uploaded.json()["document_id"]
    assert document.json()["processing_state"] == "PROCESSED"
    assert document.json()["original_file_url"].startswith("http://testserver/")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"api_key": ""}, "api_key"),
        ({"max_document_bytes": 0}, "max_document_bytes"),
        ({"processing_delay": -1.0}, "processing_delay"),
        ({"processing_delay": float("nan")}, "processing_delay"),
    ],
)
def test_create_app_rejects_invalid_settings(
    tmp_path: Path, arguments: dict[str, object], message: str
) -> None:
    settings: dict[str, object] = {"api_key": "key", **arguments}

    with pytest.raises(ValueError, match=message):
        create_app(tmp_path, **settings)  # type: ignore[arg-type]


def test_log_escapes_control_characters(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(tmp_path / "state", "key")

    with (
        caplog.at_level("INFO", logger="ai_services.vellum_server.middleware"),
        TestClient(app, headers={"X-API-KEY": "key"}) as http,
    ):
        response = http.get("/v1/documents/a%0Afake%20line")

    assert response.status_code == 404
    messages = [record.getMessage() for record in caplog.records]
    assert "GET /v1/documents/a\\x0afake line 404" in " ".join(messages)
    assert all("\n" not in message for message in messages)

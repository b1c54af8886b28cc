"""Error statuses, JSON error bodies and the SDK exception classes they map to."""

from __future__ import annotations

import httpx
import pytest
import vellum
from vellum.core import ApiError

from .server_process import (
    API_KEY,
    MAX_DOCUMENT_BYTES,
    ServerProcess,
    make_vellum_client,
)

pytestmark = pytest.mark.timeout(30)


def test_missing_api_key_is_401(fresh_server: ServerProcess) -> None:
    response = httpx.get(f"{fresh_server.url}/v1/documents", timeout=10)

    assert response.status_code == 401
    assert response.json() == {"detail": "Missing X-API-KEY header."}


def test_empty_api_key_is_401_api_error(fresh_server: ServerProcess) -> None:
    client = make_vellum_client(fresh_server.url, api_key="")

    with pytest.raises(ApiError) as error:
        client.documents.list()

    assert error.value.status_code == 401
    assert "detail" in error.value.body


def test_wrong_api_key_is_403_api_error(fresh_server: ServerProcess) -> None:
    client = make_vellum_client(fresh_server.url, api_key="wrong-key")

    with pytest.raises(ApiError) as error:
        client.documents.upload(label="x", contents=b"x")

    assert error.value.status_code == 403
    assert type(error.value) is ApiError
    assert error.value.body == {"detail": "Invalid API key in the X-API-KEY header."}


def test_api_key_header_name_is_case_insensitive(fresh_server: ServerProcess) -> None:
    response = httpx.get(
        f"{fresh_server.url}/v1/documents", headers={"x-api-key": API_KEY}, timeout=10
    )

    assert response.status_code == 200


def test_upload_to_unknown_index_is_not_found(client: vellum.Vellum) -> None:
    with pytest.raises(vellum.NotFoundError) as error:
        client.documents.upload(
            label="x", contents=b"x", add_to_index_names=["no-such-index"]
        )

    assert error.value.status_code == 404
    assert "no-such-index" in error.value.body["detail"]
    assert client.documents.list().count == 0


def test_retrieve_unknown_document_is_plain_404(client: vellum.Vellum) -> None:
    with pytest.raises(ApiError) as error:
        client.documents.retrieve("00000000-0000-0000-0000-000000000000")

    assert type(error.value) is ApiError
    assert error.value.status_code == 404
    assert "detail" in error.value.body


def test_retrieve_unknown_index_is_plain_404(client: vellum.Vellum) -> None:
    with pytest.raises(ApiError) as error:
        client.document_indexes.retrieve("no-such-index")

    assert type(error.value) is ApiError
    assert error.value.status_code == 404


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"label": "", "contents": b"x"}, "label"),
        ({"label": "   ", "contents": b"x"}, "label"),
        ({"label": "No contents"}, "contents"),
        (
            {"label": "Both", "contents": b"x", "url": "https://example.invalid/a"},
            "url",
        ),
        ({"label": "Bad JSON", "contents": b"x", "metadata": "{not json"}, "metadata"),
        ({"label": "JSON list", "contents": b"x", "metadata": "[1, 2]"}, "metadata"),
        ({"label": "Bad url", "url": "ftp://example.invalid/a"}, "url"),
        ({"label": "x" * 1001, "contents": b"x"}, "label"),
    ],
)
def test_invalid_upload_is_bad_request(
    client: vellum.Vellum, arguments: dict[str, object], field: str
) -> None:
    with pytest.raises(vellum.BadRequestError) as error:
        client.documents.upload(**arguments)  # type: ignore[arg-type]

    assert error.value.status_code == 400
    assert field in error.value.body["detail"]
    assert client.documents.list().count == 0


def test_oversized_upload_is_bad_request(client: vellum.Vellum) -> None:
    with pytest.raises(vellum.BadRequestError) as error:
        client.documents.upload(label="Big", contents=b"x" * (MAX_DOCUMENT_BYTES + 1))

    assert str(MAX_DOCUMENT_BYTES) in error.value.body["detail"]
    assert client.documents.list().count == 0


def test_upload_at_size_limit_is_accepted(client: vellum.Vellum) -> None:
    uploaded = client.documents.upload(label="Max", contents=b"x" * MAX_DOCUMENT_BYTES)

    assert client.documents.retrieve(uploaded.document_id).label == "Max"


def test_body_far_over_limit_is_rejected_before_parsing(
    client: vellum.Vellum,
) -> None:
    with pytest.raises(vellum.BadRequestError) as error:
        client.documents.upload(label="Huge", contents=b"x" * (3 * 1024 * 1024))

    assert "request body" in error.value.body["detail"]


def test_unknown_path_and_trailing_slash_are_json_404(admin: httpx.Client) -> None:
    unknown = admin.get("/v1/nothing-here")
    trailing = admin.get("/v1/documents/", follow_redirects=False)

    assert unknown.status_code == 404
    assert "detail" in unknown.json()
    assert trailing.status_code == 404
    assert "detail" in trailing.json()


def test_wrong_method_is_json_405(admin: httpx.Client) -> None:
    response = admin.put("/v1/upload-document")

    assert response.status_code == 405
    assert "detail" in response.json()


@pytest.mark.parametrize(
    ("query", "parameter"),
    [("limit=abc", "limit"), ("offset=-1", "offset"), ("ordering=size", "ordering")],
)
def test_invalid_list_query_is_400(
    admin: httpx.Client, query: str, parameter: str
) -> None:
    response = admin.get(f"/v1/documents?{query}")

    assert response.status_code == 400
    assert parameter in response.json()["detail"]


def test_list_with_unknown_index_is_404(client: vellum.Vellum) -> None:
    with pytest.raises(ApiError) as error:
        client.documents.list(document_index_id="no-such-index")

    assert error.value.status_code == 404


def test_duplicate_index_name_is_400(client: vellum.Vellum) -> None:
    config = {"vectorizer": {"model_name": "private-vectorizer"}}
    client.document_indexes.create(label="A", name="dup", indexing_config=config)

    with pytest.raises(ApiError) as error:
        client.document_indexes.create(label="B", name="dup", indexing_config=config)

    assert error.value.status_code == 400
    assert "dup" in error.value.body["detail"]


def test_invalid_patch_body_is_400(client: vellum.Vellum, admin: httpx.Client) -> None:
    client.documents.upload(label="x", contents=b"x", external_id="patch-err")

    not_json = admin.patch(
        "/v1/documents/patch-err",
        content=b"{oops",
        headers={"Content-Type": "application/json"},
    )
    bad_status = admin.patch("/v1/documents/patch-err", json={"status": "ARCHIVED"})

    assert not_json.status_code == 400
    assert bad_status.status_code == 400
    assert "status" in bad_status.json()["detail"]

"""Source URLs the worker must not fetch: rejected before any connection."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from ai_services.local_stack.stack import LocalStack
from ai_services.settings import DEFAULT_SOURCE_URL_ALLOWED_HOSTS
from tests.activities.support import (
    make_input,
    run_activity,
    run_failing,
    s3_object,
    settings_overridden,
    vellum_bytes,
)
from tests.helpers.source_server import ScriptedResponse, SourceServer

pytestmark = pytest.mark.usefixtures("worker_env")

PRODUCTION_HOSTS = ",".join(DEFAULT_SOURCE_URL_ALLOWED_HOSTS)
METADATA_URL = "http://169.254.169.254/latest/meta-data/"


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Record the address of every socket connection this process opens."""
    opened: list[Any] = []
    original = socket.socket.connect

    def record(self: socket.socket, address: Any) -> None:
        opened.append(address)
        if address[0] == "169.254.169.254":
            raise AssertionError("connection to a metadata address attempted")
        original(self, address)

    monkeypatch.setattr(socket.socket, "connect", record)
    yield opened


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        METADATA_URL,
        "http://127.0.0.1:1/",
        "https://downloads.example.com/report.pdf",
    ],
    ids=["file", "metadata", "loopback", "other-host"],
)
def test_url_rejected_before_connecting(
    stack: LocalStack,
    monkeypatch: pytest.MonkeyPatch,
    connections: list[Any],
    url: str,
) -> None:
    input = make_input(url)

    with settings_overridden(monkeypatch, SOURCE_URL_ALLOWED_HOSTS=PRODUCTION_HOSTS):
        error = run_failing(input)

    assert connections == []
    assert error.non_retryable
    assert error.type == "InvalidInput"
    assert "SOURCE_URL_ALLOWED_HOSTS" in error.message or "scheme" in error.message
    assert s3_object(stack, input.remote_key) is None
    assert vellum_bytes(stack, input.external_id) is None


def test_redirect_to_other_host_rejected(
    stack: LocalStack,
    source_server: SourceServer,
    monkeypatch: pytest.MonkeyPatch,
    connections: list[Any],
) -> None:
    answer = ScriptedResponse(status=302, headers={"Location": METADATA_URL})
    url = source_server.add("/redirect.pdf", answer)
    input = make_input(url)
    allowed = f"{PRODUCTION_HOSTS},{source_server.host}"

    with settings_overridden(monkeypatch, SOURCE_URL_ALLOWED_HOSTS=allowed):
        error = run_failing(input)

    assert source_server.request_counts["/redirect.pdf"] == 1
    assert all(address[0] == "127.0.0.1" for address in connections)
    assert error.non_retryable
    assert "169.254.169.254" in error.message
    assert s3_object(stack, input.remote_key) is None
    assert vellum_bytes(stack, input.external_id) is None


def test_redirect_to_allowed_host_followed(
    stack: LocalStack, source_server: SourceServer
) -> None:
    target = source_server.add(
        "/moved-target.pdf", ScriptedResponse(body=b"moved here")
    )
    answer = ScriptedResponse(status=301, headers={"Location": target})
    input = make_input(source_server.add("/moved.pdf", answer))

    run_activity(input)

    assert s3_object(stack, input.remote_key) == b"moved here"

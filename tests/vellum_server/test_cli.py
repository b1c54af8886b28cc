"""The command line: parser defaults, port 0, the API key sources, and the log."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from ai_services.vellum_server import DEFAULT_MAX_DOCUMENT_BYTES
from ai_services.vellum_server.cli import build_parser

from .server_process import REPO_ROOT, make_vellum_client, start_server

pytestmark = pytest.mark.timeout(60)


def test_parser_defaults(tmp_path: Path) -> None:
    args = build_parser().parse_args(["--port", "8080", "--state-dir", str(tmp_path)])

    assert args.host == "127.0.0.1"
    assert args.port == 8080
    assert args.state_dir == tmp_path
    assert args.api_key is None
    assert args.max_document_bytes == DEFAULT_MAX_DOCUMENT_BYTES == 32 * 1024 * 1024
    assert args.processing_delay == 0.2


@pytest.mark.parametrize(
    "arguments",
    [
        ["--port", "70000"],
        ["--port", "1", "--max-document-bytes", "0"],
        ["--port", "1", "--processing-delay", "-1"],
    ],
)
def test_parser_rejects_invalid_values(tmp_path: Path, arguments: list[str]) -> None:
    with pytest.raises(SystemExit) as error:
        build_parser().parse_args([*arguments, "--state-dir", str(tmp_path)])

    assert error.value.code == 2


def test_missing_api_key_fails(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin"}

    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "ai_services.vellum_server",
            "--port",
            "0",
            "--state-dir",
            str(tmp_path / "state"),
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert completed.returncode == 2
    assert "VELLUM_API_KEY" in completed.stderr
    assert "--api-key" in completed.stderr


def test_port_zero_and_key_from_environment(tmp_path: Path) -> None:
    env_key = "key-from-environment"
    server = start_server(
        tmp_path / "state", tmp_path / "logs", port=0, api_key=None, env_api_key=env_key
    )
    try:
        client = make_vellum_client(server.url, api_key=env_key)
        client.documents.list(search="query-value")
        with_wrong_key = httpx.get(
            f"{server.url}/v1/documents", headers={"X-API-KEY": "wrong"}, timeout=10
        )
    finally:
        status = server.stop(signal.SIGINT)
    log = server.stderr_text()

    assert status == 0
    assert server.url.startswith("http://127.0.0.1:")
    assert not server.url.endswith(":0")
    assert with_wrong_key.status_code == 403
    assert "GET /v1/documents 200" in log
    assert "GET /v1/documents 403" in log
    assert env_key not in log
    assert "query-value" not in log


def test_port_in_use_fails(tmp_path: Path) -> None:
    first = start_server(tmp_path / "first", tmp_path / "logs")
    port = first.url.rsplit(":", 1)[1]
    try:
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "ai_services.vellum_server",
                "--port",
                port,
                "--state-dir",
                str(tmp_path / "second"),
                "--api-key",
                "k",
            ],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )
    finally:
        first.stop()

    assert completed.returncode == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in completed.stderr

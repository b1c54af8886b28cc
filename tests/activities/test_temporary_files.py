"""The spooled download buffer leaves no temporary file behind: after success,
after failure and after cancellation."""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.testing import ActivityEnvironment

from ai_services.temporal_workers.activities.transfers import SPOOL_THRESHOLD_BYTES
from ai_services.temporal_workers.activities.vellum.download_and_upload_document_activity import (  # noqa: E501
    download_and_upload_document_activity,
)
from tests.activities.support import (
    fast_heartbeats,  # noqa: F401 (fixture)
    make_input,
    run_activity,
    settings_overridden,
)
from tests.helpers.source_server import ScriptedResponse, SourceServer

pytestmark = pytest.mark.usefixtures("worker_env")

# Larger than the spool threshold, so the buffer moves to a temporary file.
BODY_BYTES = 4 * SPOOL_THRESHOLD_BYTES


def open_temporary_files() -> list[str]:
    """Return the targets of this process's open descriptors in the temp folder."""
    folder = tempfile.gettempdir()
    targets = []
    for descriptor in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(descriptor)
        except OSError:
            continue
        if target.startswith(folder):
            targets.append(target)
    return targets


def test_no_temporary_file_after_success(source_server: SourceServer) -> None:
    before = open_temporary_files()
    url = source_server.add(
        "/spool-ok.bin", ScriptedResponse(body=os.urandom(BODY_BYTES))
    )

    run_activity(make_input(url))

    assert open_temporary_files() == before


def test_no_temporary_file_after_failure(
    source_server: SourceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = open_temporary_files()
    answer = ScriptedResponse(body=os.urandom(BODY_BYTES), omit_content_length=True)
    url = source_server.add("/spool-too-large.bin", answer)

    with (
        settings_overridden(monkeypatch, MAX_DOCUMENT_BYTES=str(BODY_BYTES // 2)),
        pytest.raises(ApplicationError),
    ):
        run_activity(make_input(url))

    assert open_temporary_files() == before


@pytest.mark.timeout(60)
@pytest.mark.usefixtures("fast_heartbeats")
def test_no_temporary_file_after_cancellation(source_server: SourceServer) -> None:
    before = open_temporary_files()
    # A megabyte a second: the buffer spools to a file after about a second.
    answer = ScriptedResponse(
        body=os.urandom(BODY_BYTES), trickle_bytes_per_second=SPOOL_THRESHOLD_BYTES
    )
    url = source_server.add("/spool-cancel.bin", answer)
    environment = ActivityEnvironment()
    spooled = threading.Event()

    def on_heartbeat(*details: dict[str, int]) -> None:
        if details[0]["bytes_done"] > SPOOL_THRESHOLD_BYTES:
            spooled.set()

    environment.on_heartbeat = on_heartbeat
    threading.Thread(
        target=lambda: spooled.wait(30) and environment.cancel(), daemon=True
    ).start()

    with pytest.raises(CancelledError):
        environment.run(download_and_upload_document_activity, make_input(url))

    assert spooled.is_set()
    assert open_temporary_files() == before

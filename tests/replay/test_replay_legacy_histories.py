"""Histories recorded by the two-activity workflow replay on the current code."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from ai_services.settings import get_settings
from ai_services.temporal_workers.workflows.vellum.create_vellum_document_workflow_v1 import (  # noqa: E501
    CreateVellumDocumentWorkflowV1,
)
from tests.replay.unpatched_workflow import SingleDownloadOnlyWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))

pytestmark = pytest.mark.usefixtures("worker_env")


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


def test_both_histories_committed() -> None:
    names = [path.name for path in HISTORIES]
    assert names == ["legacy_between_activities.json", "legacy_complete.json"]


@pytest.mark.parametrize("path", HISTORIES, ids=lambda path: path.stem)
async def test_legacy_history_replays_on_current_workflow(path: Path) -> None:
    get_settings()
    replayer = Replayer(workflows=[CreateVellumDocumentWorkflowV1])

    result = await replayer.replay_workflow(load(path))

    assert result.replay_failure is None


@pytest.mark.parametrize("path", HISTORIES, ids=lambda path: path.stem)
async def test_legacy_history_fails_without_patch_branch(path: Path) -> None:
    get_settings()
    replayer = Replayer(workflows=[SingleDownloadOnlyWorkflow])

    with pytest.raises(NondeterminismError, match="download_file_and_upload_to_s3"):
        await replayer.replay_workflow(load(path))

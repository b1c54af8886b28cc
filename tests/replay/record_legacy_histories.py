"""Record the legacy workflow's histories into tests/replay/histories/.

Run once, on the embedded stack, when the committed histories need to be made
again: `python -m tests.replay.record_legacy_histories`. It records one complete
run and one stopped between the two legacy activities.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import tempfile
import uuid
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker

from ai_services.benchmarks.legacy_workflow import LegacyCreateVellumDocumentWorkflow
from ai_services.local_stack.stack import INDEX_NAME, LocalStack
from ai_services.settings import get_settings
from ai_services.shared.runtime.context import ExecutionSource
from ai_services.temporal_workers.activities.s3.download_file_and_upload_to_s3_activity import (  # noqa: E501
    download_file_and_upload_to_s3_activity,
)
from ai_services.temporal_workers.activities.vellum.create_vellum_document_activity import (  # noqa: E501
    create_vellum_document_activity,
)
from ai_services.temporal_workers.activities.vellum.get_vellum_document_activity import (  # noqa: E501
    get_vellum_document_by_external_id_activity,
)
from ai_services.temporal_workers.workflows.vellum.create_vellum_document_workflow_v1 import (  # noqa: E501
    CreateVellumDocumentWorkflowInput,
)
from tests.helpers.source_server import ScriptedResponse, SourceServer

HISTORIES = Path(__file__).parent / "histories"


def legacy_input(url: str, external_id: str) -> CreateVellumDocumentWorkflowInput:
    return CreateVellumDocumentWorkflowInput(
        s3_url=url,
        source=ExecutionSource.DRATA_WEBAPP_PROD,
        external_id=external_id,
        filename="legacy.pdf",
        tenant_id="tenant-legacy",
        tenant_name="Legacy tenant",
        index_id=INDEX_NAME,
        metadata={"recorded": "legacy"},
        content_type="application/pdf",
    )


async def record(stack: LocalStack, source: SourceServer) -> None:
    client = await Client.connect(stack.temporal_address)
    url = source.add("/legacy.pdf", ScriptedResponse(body=b"legacy document bytes"))
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=4)
    task_queue = f"legacy-{uuid.uuid4()}"
    all_activities = [
        get_vellum_document_by_external_id_activity,
        download_file_and_upload_to_s3_activity,
        create_vellum_document_activity,
    ]

    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[LegacyCreateVellumDocumentWorkflow],
        activities=all_activities,
        activity_executor=executor,
    ):
        handle = await client.start_workflow(
            "CreateVellumDocumentWorkflowV1",
            legacy_input(url, "legacy-complete"),
            id="legacy-complete",
            task_queue=task_queue,
        )
        await handle.result()
        history = await handle.fetch_history()
    (HISTORIES / "legacy_complete.json").write_text(history.to_json())

    # Without the second activity on the worker, the run stops after the first.
    task_queue = f"legacy-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[LegacyCreateVellumDocumentWorkflow],
        activities=all_activities[:2],
        activity_executor=executor,
    ):
        handle = await client.start_workflow(
            "CreateVellumDocumentWorkflowV1",
            legacy_input(url, "legacy-between-activities"),
            id="legacy-between-activities",
            task_queue=task_queue,
        )
        while True:
            history = await handle.fetch_history()
            scheduled = [
                event
                for event in history.events
                if event.HasField("activity_task_scheduled_event_attributes")
            ]
            if len(scheduled) == 3:
                break
            await asyncio.sleep(0.2)
        await handle.terminate("recorded between the two legacy activities")
    (HISTORIES / "legacy_between_activities.json").write_text(history.to_json())
    executor.shutdown()


def main() -> None:
    source = SourceServer()
    with (
        tempfile.TemporaryDirectory() as state_dir,
        LocalStack(Path(state_dir), worker=False, ui=False) as stack,
    ):
        env = stack.client_env()
        env["SOURCE_URL_ALLOWED_HOSTS"] += f",{source.host}"
        os.environ.update(env)
        get_settings()
        asyncio.run(record(stack, source))
    source.stop()


if __name__ == "__main__":
    main()

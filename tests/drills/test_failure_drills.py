"""Failure drills on the real stack: crashed workers, outages, throttling.

Each drill runs CreateVellumDocumentWorkflowV1 on production workers in
subprocesses and checks the promise: one Vellum document per external id, the
same bytes in S3 and Vellum, S3 only for Drata runs. The last test searches the
workers' logs and every workflow's history for secrets.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import os
import subprocess
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import botocore.exceptions
import httpx
import pytest
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle

from ai_services.local_stack.stack import (
    ARCHIVE_BUCKET,
    INDEX_NAME,
    LocalStack,
    find_executable,
)
from ai_services.shared.documents import build_remote_key
from ai_services.shared.runtime.context import ExecutionSource
from ai_services.temporal_workers.workflows.vellum.create_vellum_document_workflow_v1 import (  # noqa: E501
    CreateVellumDocumentWorkflowInput,
    CreateVellumDocumentWorkflowOutput,
    CreateVellumDocumentWorkflowV1,
)
from tests.drills.conftest import WorkerFactory
from tests.helpers.source_server import ScriptedResponse, SourceServer

pytestmark = pytest.mark.timeout(300)

EXPIRED_BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    b"<Message>Request has expired</Message></Error>"
)


def drill_input(
    url: str,
    *,
    external_id: str | None = None,
    source: ExecutionSource = ExecutionSource.DRATA_WEBAPP_PROD,
) -> CreateVellumDocumentWorkflowInput:
    return CreateVellumDocumentWorkflowInput(
        s3_url=url,
        source=source,
        external_id=external_id or f"drill-{uuid.uuid4()}",
        filename="drill.pdf",
        tenant_id="tenant-drill",
        tenant_name="Drill tenant",
        index_id=INDEX_NAME,
        metadata={"drill": "yes"},
        content_type="application/pdf",
    )


async def start(
    client: Client, env: dict[str, str], input: CreateVellumDocumentWorkflowInput
) -> WorkflowHandle[CreateVellumDocumentWorkflowV1, CreateVellumDocumentWorkflowOutput]:
    return await client.start_workflow(
        CreateVellumDocumentWorkflowV1.run,
        input,
        id=f"drill/{input.external_id}",
        task_queue=env["TEMPORAL_TASK_QUEUE"],
    )


def documents_with(stack: LocalStack, external_id: str) -> list[str]:
    """Return the ids of every document with `external_id`, by listing them all."""
    client = stack.vellum_client()
    ids: list[str] = []
    offset = 0
    while True:
        page = client.documents.list(limit=100, offset=offset)
        results = page.results or []
        ids += [doc.id for doc in results if doc.external_id == external_id]
        offset += len(results)
        if not results or offset >= (page.count or 0):
            return ids


def s3_bytes(stack: LocalStack, key: str) -> bytes | None:
    try:
        response = stack.s3_client().get_object(Bucket=ARCHIVE_BUCKET, Key=key)
    except botocore.exceptions.ClientError:
        return None
    return bytes(response["Body"].read())


def vellum_bytes(stack: LocalStack, external_id: str) -> bytes:
    document = stack.vellum_client().documents.retrieve(external_id)
    response = httpx.get(
        str(document.original_file_url),
        headers={"X-API-KEY": stack.secrets.vellum_api_key},
    )
    response.raise_for_status()
    return response.content


def admin(stack: LocalStack) -> httpx.Client:
    return httpx.Client(
        base_url=stack.vellum_url,
        headers={"X-API-KEY": stack.secrets.vellum_api_key},
        timeout=10,
    )


def queue_upload_fault(stack: LocalStack, status: int, **extra: object) -> None:
    with admin(stack) as client:
        response = client.post(
            "/_emulator/faults",
            json={
                "status": status,
                "method": "POST",
                "path": "/v1/upload-document",
                **extra,
            },
        )
        response.raise_for_status()


def upload_log(stack: LocalStack, external_id: str) -> list[dict[str, object]]:
    with admin(stack) as client:
        entries = client.get("/_emulator/requests").json()
    return [
        entry
        for entry in entries
        if entry["path"] == "/v1/upload-document"
        and entry["external_id"] == external_id
    ]


def assert_one_document_with_bytes(
    stack: LocalStack, input: CreateVellumDocumentWorkflowInput, body: bytes, key: str
) -> None:
    digest = hashlib.sha256(body).hexdigest()
    assert len(documents_with(stack, input.external_id)) == 1
    assert hashlib.sha256(vellum_bytes(stack, input.external_id)).hexdigest() == digest
    stored = s3_bytes(stack, key)
    assert stored is not None
    assert hashlib.sha256(stored).hexdigest() == digest


async def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await asyncio.to_thread(condition):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not met in time")


# Crashed workers


async def test_worker_killed_during_download(
    drill_client: Client,
    drill_env: dict[str, str],
    drill_stack: LocalStack,
    source_server: SourceServer,
    start_worker: WorkerFactory,
) -> None:
    body = os.urandom(256 * 1024)
    # 32 KiB a second: the download takes 8 s, long enough to kill the worker.
    url = source_server.add(
        "/crash-download.pdf",
        ScriptedResponse(body=body, trickle_bytes_per_second=32 * 1024),
    )
    input = drill_input(url)
    first = start_worker()
    handle = await start(drill_client, drill_env, input)

    await wait_for(lambda: source_server.request_counts["/crash-download.pdf"] == 1)
    await asyncio.sleep(1.5)
    first.kill()
    start_worker()
    output = await handle.result()

    assert source_server.request_counts["/crash-download.pdf"] == 2
    assert output.s3_uploaded is True
    assert_one_document_with_bytes(drill_stack, input, body, output.remote_key)


async def test_worker_killed_during_vellum_upload(
    drill_client: Client,
    drill_env: dict[str, str],
    drill_stack: LocalStack,
    source_server: SourceServer,
    start_worker: WorkerFactory,
) -> None:
    body = os.urandom(64 * 1024)
    url = source_server.add("/crash-upload.pdf", ScriptedResponse(body=body))
    input = drill_input(url)
    # The first upload waits 10 s before it is served, so the worker dies in it.
    queue_upload_fault(drill_stack, 0, delay_seconds=10, count=1)
    first = start_worker()
    handle = await start(drill_client, drill_env, input)

    remote_key = build_remote_key(input.tenant_id, input.external_id, input.filename)
    await wait_for(lambda: s3_bytes(drill_stack, remote_key) is not None)
    await asyncio.sleep(1.0)
    first.kill()
    start_worker()
    output = await handle.result()

    assert output.remote_key == remote_key
    assert_one_document_with_bytes(drill_stack, input, body, output.remote_key)


# Outages and throttling


async def test_seaweedfs_down_for_20_seconds(
    drill_client: Client,
    drill_env: dict[str, str],
    drill_stack: LocalStack,
    source_server: SourceServer,
    start_worker: WorkerFactory,
) -> None:
    body = os.urandom(32 * 1024)
    url = source_server.add("/s3-outage.pdf", ScriptedResponse(body=body))
    input = drill_input(url)
    start_worker()

    outage = asyncio.create_task(asyncio.to_thread(drill_stack.restart_seaweedfs, 20))
    await asyncio.sleep(0.5)
    handle = await start(drill_client, drill_env, input)
    output = await handle.result()
    await outage

    assert source_server.request_counts["/s3-outage.pdf"] >= 2
    assert_one_document_with_bytes(drill_stack, input, body, output.remote_key)


async def test_vellum_429_honours_retry_after(
    drill_client: Client,
    drill_env: dict[str, str],
    drill_stack: LocalStack,
    source_server: SourceServer,
    start_worker: WorkerFactory,
) -> None:
    body = os.urandom(4096)
    url = source_server.add("/throttled.pdf", ScriptedResponse(body=body))
    input = drill_input(url)
    queue_upload_fault(drill_stack, 429, retry_after="2", count=3)
    start_worker()

    handle = await start(drill_client, drill_env, input)
    output = await handle.result()

    uploads = upload_log(drill_stack, input.external_id)
    assert [entry["status"] for entry in uploads] == [429, 429, 429, 201]
    expected_fields = ["add_to_index_names", "contents", "external_id", "label"]
    expected_fields += ["metadata"]
    for entry in uploads:
        assert entry["form_fields"] == expected_fields
    arrivals = [float(str(entry["received_at"])) for entry in uploads]
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert all(gap >= 2.0 for gap in gaps), gaps
    assert_one_document_with_bytes(drill_stack, input, body, output.remote_key)


async def test_vellum_retry_after_hour_goes_to_temporal(
    drill_client: Client,
    drill_env: dict[str, str],
    drill_stack: LocalStack,
    source_server: SourceServer,
    start_worker: WorkerFactory,
) -> None:
    url = source_server.add(
        "/throttled-hour.pdf", ScriptedResponse(body=b"wait an hour")
    )
    input = drill_input(url)
    queue_upload_fault(drill_stack, 429, retry_after="3600", count=1)
    start_worker()
    started = time.monotonic()
    handle = await start(drill_client, drill_env, input)

    async def pending_retry() -> bool:
        description = await handle.describe()
        pending = description.raw_description.pending_activities
        return bool(pending) and pending[0].attempt == 2

    while not await pending_retry():
        assert time.monotonic() - started < 60
        await asyncio.sleep(0.2)
    description = await handle.describe()
    activity = description.raw_description.pending_activities[0]
    await handle.terminate("drill done")

    # The first attempt failed at once; the hour is Temporal's timer, not a
    # sleeping worker thread.
    assert time.monotonic() - started < 60
    assert activity.state == PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED
    delay = (
        activity.next_attempt_schedule_time.ToDatetime()
        - activity.last_attempt_complete_time.ToDatetime()
    )
    assert timedelta(minutes=59) < delay <= timedelta(hours=1, seconds=5)


async def test_vellum_500_twice_then_created(
    drill_client: Client,
    drill_env: dict[str, str],
    drill_stack: LocalStack,
    source_server: SourceServer,
    start_worker: WorkerFactory,
) -> None:
    body = os.urandom(2048)
    url = source_server.add("/flaky-vellum.pdf", ScriptedResponse(body=body))
    input = drill_input(url)
    queue_upload_fault(drill_stack, 500, count=2)
    start_worker()

    handle = await start(drill_client, drill_env, input)
    output = await handle.result()

    uploads = upload_log(drill_stack, input.external_id)
    assert [entry["status"] for entry in uploads] == [500, 500, 201]
    assert source_server.request_counts["/flaky-vellum.pdf"] == 3
    assert_one_document_with_bytes(drill_stack, input, body, output.remote_key)


@pytest.mark.timeout(600)
async def test_batch_of_200_with_faults(
    drill_client: Client,
    drill_env: dict[str, str],
    drill_stack: LocalStack,
    source_server: SourceServer,
    start_worker: WorkerFactory,
) -> None:
    batch = f"batch-{uuid.uuid4().hex[:8]}"
    inputs = []
    bodies = {}
    for number in range(200):
        body = os.urandom(1024)
        path = f"/{batch}/{number}.pdf"
        # 5% of downloads (10 of 200) first get a 503.
        first = [ScriptedResponse(status=503, body=b"busy")] if number % 20 == 0 else []
        url = source_server.add(path, ScriptedResponse(body=body, first=first))
        input = drill_input(url, external_id=f"{batch}-{number}")
        inputs.append(input)
        bodies[input.external_id] = body
    # 10% of Vellum uploads (20 of 200) get a 503.
    queue_upload_fault(drill_stack, 503, count=20)
    start_worker()

    handles = [await start(drill_client, drill_env, input) for input in inputs]
    outputs = await asyncio.gather(*(handle.result() for handle in handles))

    listed = {}
    offset = 0
    client = drill_stack.vellum_client()
    while True:
        page = client.documents.list(limit=100, offset=offset)
        for document in page.results or []:
            if document.external_id and document.external_id.startswith(batch):
                listed.setdefault(document.external_id, []).append(document.id)
        offset += len(page.results or [])
        if not page.results or offset >= (page.count or 0):
            break
    assert len(listed) == 200
    assert all(len(ids) == 1 for ids in listed.values())
    with admin(drill_stack) as admin_client:
        statuses = [
            entry["status"]
            for entry in admin_client.get("/_emulator/requests").json()
            if str(entry["external_id"]).startswith(batch)
        ]
    assert statuses.count(503) == 20

    s3 = drill_stack.s3_client()
    prefix = "tenants/tenant-drill/"
    keys = set()
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=ARCHIVE_BUCKET, Prefix=prefix
    ):
        keys |= {item["Key"] for item in page.get("Contents", [])}
    output_keys = {output.remote_key for output in outputs}
    assert output_keys <= keys
    # Every archived object of the batch belongs to its document, same bytes.
    for input, output in zip(inputs, outputs, strict=True):
        assert listed[input.external_id] == [output.document_id]
        assert s3_bytes(drill_stack, output.remote_key) == bodies[input.external_id]


# Secrets


async def test_no_secret_in_logs_or_histories(
    drill_client: Client,
    drill_env: dict[str, str],
    drill_stack: LocalStack,
    source_server: SourceServer,
    start_worker: WorkerFactory,
    worker_logs: list[Path],
) -> None:
    # A few failures whose messages reach history, on top of the drills above.
    start_worker()
    failing = {
        "/expired.pdf": ScriptedResponse(status=403, body=EXPIRED_BODY),
        "/gone.pdf": ScriptedResponse(
            status=404, body=b"<Error><Code>NoSuchKey</Code></Error>"
        ),
    }
    for path, answer in failing.items():
        url = source_server.add(path, answer)
        handle = await start(drill_client, drill_env, drill_input(url))
        with pytest.raises(WorkflowFailureError):
            await handle.result()

    secrets = {
        "presigned signature": "test-signature",
        "signature parameter": "X-Amz-Signature=",
        "AWS secret key": drill_stack.secrets.aws_secret_access_key,
        "AWS access key id": drill_stack.secrets.aws_access_key_id,
        "Vellum API key": drill_stack.secrets.vellum_api_key,
        "payload key": drill_stack.secrets.payload_encryption_key,
    }
    texts: dict[str, str] = {}
    for log_path in worker_logs:
        texts[log_path.name] = log_path.read_text(errors="replace")
    temporal = find_executable("temporal")
    address = drill_stack.temporal_address
    async for execution in drill_client.list_workflows():
        shown = subprocess.run(
            [
                temporal,
                "workflow",
                "show",
                "--address",
                address,
                "-w",
                execution.id,
                "-r",
                execution.run_id,
                "--output",
                "json",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        texts[f"history of {execution.id}"] = shown.stdout

    assert len(texts) > len(worker_logs) + len(failing)
    for name, text in texts.items():
        for secret_name, secret in secrets.items():
            assert secret not in text, f"{secret_name} found in {name}"

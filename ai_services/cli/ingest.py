"""`ai-services ingest`: start one workflow per document and report the results."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import mimetypes
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import boto3
import boto3.exceptions
import botocore.config
import botocore.exceptions
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client, WorkflowFailureError
from temporalio.common import WorkflowIDConflictPolicy

from ai_services.local_stack.processes import ServerStartError
from ai_services.local_stack.stack import (
    UPLOADS_BUCKET,
    LocalStack,
    StateDirInUseError,
)
from ai_services.shared.documents import (
    InvalidDocumentInputError,
    check_identifier,
    check_metadata,
)
from ai_services.temporal_workers.helpers.payload_codec import (
    PayloadKeyError,
    build_data_converter,
)
from ai_services.temporal_workers.helpers.redaction import strip_query
from ai_services.temporal_workers.workflows.vellum.create_vellum_document_workflow_v1 import (  # noqa: E501
    CreateVellumDocumentWorkflowInput,
    CreateVellumDocumentWorkflowOutput,
    CreateVellumDocumentWorkflowV1,
)

# Presigned URLs handed to workflows stay valid this long, as a web application's
# short-lived URLs would.
PRESIGNED_URL_SECONDS = 3600
WORKFLOW_ID_PREFIX = "create-vellum-document"


class UsageError(Exception):
    """Invalid command-line input; the message names what to change."""


class IngestError(Exception):
    """The run could not start: no connection, or staging failed."""


@dataclass
class DocumentRequest:
    """One SOURCE argument, resolved to what the workflow needs."""

    source: str
    url: str
    external_id: str
    filename: str
    content_type: str | None
    local_path: Path | None = None


@dataclass
class DocumentResult:
    """One line of the report."""

    source: str
    external_id: str
    workflow_id: str
    status: str
    document_id: str | None = None
    bucket: str | None = None
    remote_key: str | None = None
    s3_uploaded: bool | None = None
    # True when the document existed already, so nothing was downloaded or stored.
    existing: bool | None = None
    error: str | None = None


def parse_metadata(entries: list[str]) -> dict[str, str]:
    """Parse `KEY=VALUE` entries."""
    metadata: dict[str, str] = {}
    for entry in entries:
        key, separator, value = entry.partition("=")
        if not separator or not key:
            raise UsageError(f"--metadata {entry!r} is invalid: use KEY=VALUE")
        metadata[key] = value
    return metadata


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def resolve_sources(
    sources: list[str], *, tenant_id: str, external_id: str | None
) -> list[DocumentRequest]:
    """Turn SOURCE arguments into requests, with default external ids.

    A default external id starts with the tenant id: Vellum keeps one document per
    external id in the whole workspace, and the same file from two tenants must
    stay two documents.
    """
    if external_id is not None and len(sources) != 1:
        raise UsageError("--external-id needs exactly one SOURCE")
    requests: list[DocumentRequest] = []
    for source in sources:
        scheme = urlsplit(source).scheme.lower()
        if scheme in ("http", "https"):
            without_query = strip_query(source)
            filename = unquote(urlsplit(source).path.rsplit("/", 1)[-1]) or "document"
            digest = hashlib.sha256(without_query.encode()).hexdigest()[:32]
            request = DocumentRequest(
                source=without_query,
                url=source,
                external_id=external_id or f"{tenant_id}-url-{digest}",
                filename=filename,
                content_type=mimetypes.guess_type(filename)[0],
            )
        else:
            path = Path(source)
            if not path.is_file():
                raise UsageError(
                    f"SOURCE {source!r} is neither a readable file nor an http(s) URL"
                )
            digest = file_sha256(path)[:32]
            request = DocumentRequest(
                source=source,
                url="",
                external_id=external_id or f"{tenant_id}-{digest}",
                filename=path.name,
                content_type=mimetypes.guess_type(path.name)[0],
                local_path=path,
            )
        try:
            check_identifier("external_id", request.external_id)
        except InvalidDocumentInputError as error:
            raise UsageError(str(error)) from None
        requests.append(request)
    return requests


def stage_local_files(
    requests: list[DocumentRequest], *, tenant_id: str, env: Mapping[str, str]
) -> None:
    """Upload local files to the uploads bucket and presign a GET URL for each."""
    local = [request for request in requests if request.local_path is not None]
    if not local:
        return
    bucket = env.get("INGEST_UPLOADS_BUCKET", UPLOADS_BUCKET)
    client = boto3.client(
        "s3",
        endpoint_url=env.get("AWS_ENDPOINT_URL_S3") or None,
        aws_access_key_id=env.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY"),
        region_name=env.get("AWS_REGION", "us-east-1"),
        # Signature version 4, as AWS S3 requires for presigned URLs.
        config=botocore.config.Config(signature_version="s3v4"),
    )
    for request in local:
        assert request.local_path is not None
        key = f"{tenant_id}/{request.external_id}/{request.filename}"
        extra = {"ContentType": request.content_type} if request.content_type else {}
        client.upload_file(str(request.local_path), bucket, key, ExtraArgs=extra)
        request.url = client.generate_presigned_url(
            "get_object",
            Params={"Bucket": bucket, "Key": key},
            ExpiresIn=PRESIGNED_URL_SECONDS,
        )


def workflow_id_for(tenant_id: str, external_id: str) -> str:
    return f"{WORKFLOW_ID_PREFIX}/{tenant_id}/{external_id}"


def describe_failure(error: BaseException) -> str:
    """Return the innermost message of a workflow failure, where the cause is."""
    messages = []
    current: BaseException | None = error
    while current is not None:
        text = getattr(current, "message", None) or str(current)
        if text:
            messages.append(text)
        current = current.__cause__
    return messages[-1] if messages else type(error).__name__


async def run_workflows(
    client: Client,
    requests: list[DocumentRequest],
    *,
    args: argparse.Namespace,
    task_queue: str,
    index_id: str,
    metadata: dict[str, str],
    progress: Progress | None,
) -> list[DocumentResult]:
    """Start every workflow, then wait for all of them."""
    task = progress.add_task("Ingesting", total=len(requests)) if progress else None

    async def run_one(request: DocumentRequest) -> DocumentResult:
        workflow_id = workflow_id_for(args.tenant_id, request.external_id)
        result = DocumentResult(
            source=request.source,
            external_id=request.external_id,
            workflow_id=workflow_id,
            status="failed",
        )
        try:
            handle = await client.start_workflow(
                CreateVellumDocumentWorkflowV1.run,
                CreateVellumDocumentWorkflowInput(
                    s3_url=request.url,
                    source=args.source,
                    external_id=request.external_id,
                    filename=request.filename,
                    tenant_id=args.tenant_id,
                    tenant_name=args.tenant_name,
                    index_id=index_id,
                    metadata=metadata or None,
                    content_type=request.content_type,
                ),
                id=workflow_id,
                task_queue=task_queue,
                # A run of the same document that is still going is joined, not
                # duplicated.
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            )
            output: CreateVellumDocumentWorkflowOutput = await handle.result()
        except WorkflowFailureError as error:
            result.error = describe_failure(error)
        except Exception as error:
            result.error = f"{type(error).__name__}: {error}"
        else:
            result.status = "completed"
            result.document_id = output.document_id
            result.bucket = output.bucket
            result.remote_key = output.remote_key
            result.s3_uploaded = output.s3_uploaded
            result.existing = output.existing
        if progress is not None and task is not None:
            progress.advance(task)
        return result

    return list(await asyncio.gather(*(run_one(request) for request in requests)))


def _flag(value: bool | None) -> str:
    return "" if value is None else str(value).lower()


def print_table(results: list[DocumentResult], console: Console) -> None:
    table = Table(title="Ingested documents")
    for column in ("source", "status", "document_id", "s3_uploaded", "existing"):
        table.add_column(column, overflow="fold")
    for result in results:
        table.add_row(
            Path(result.source).name if "://" not in result.source else result.source,
            result.status,
            result.document_id or "",
            _flag(result.s3_uploaded),
            _flag(result.existing),
        )
    console.print(table)
    for result in results:
        if result.error:
            console.print(f"[red]{result.source}[/red]: {result.error}")


@contextlib.contextmanager
def client_environment(
    args: argparse.Namespace, console: Console
) -> Iterator[dict[str, str]]:
    """Yield the settings to use: the environment, or an embedded stack's."""
    if os.environ.get("TEMPORAL_ADDRESS"):
        yield dict(os.environ)
        return
    with contextlib.ExitStack() as cleanup:
        state_dir = args.state_dir
        if state_dir is None:
            state_dir = Path(
                cleanup.enter_context(
                    tempfile.TemporaryDirectory(prefix="ai-services-")
                )
            )
        console.print(f"Starting the embedded stack in {state_dir} ...")
        stack = cleanup.enter_context(LocalStack(state_dir))
        console.print(
            f"Embedded stack ready; Temporal UI at {stack.temporal_ui_url} "
            "while this command runs"
        )
        yield {**os.environ, **stack.client_env()}


@dataclass
class IngestPlan:
    """Checked command-line input, ready to run."""

    requests: list[DocumentRequest]
    metadata: dict[str, str]


def plan_ingest(args: argparse.Namespace) -> IngestPlan:
    """Check every argument before anything starts or connects.

    Raises:
        UsageError: an argument is invalid; the message names it.
    """
    try:
        check_identifier("tenant_id", args.tenant_id)
        metadata = parse_metadata(args.metadata)
        check_metadata(metadata)
    except InvalidDocumentInputError as error:
        raise UsageError(str(error)) from None
    requests = resolve_sources(
        args.sources, tenant_id=args.tenant_id, external_id=args.external_id
    )
    return IngestPlan(requests=requests, metadata=metadata)


async def connect(env: Mapping[str, str]) -> Client:
    address = env["TEMPORAL_ADDRESS"]
    try:
        return await Client.connect(
            address,
            namespace=env.get("TEMPORAL_NAMESPACE", "default"),
            data_converter=build_data_converter(
                env.get("TEMPORAL_PAYLOAD_ENCRYPTION_KEY")
            ),
        )
    except RuntimeError as error:
        raise IngestError(
            f"cannot connect to Temporal at {address} (TEMPORAL_ADDRESS): {error}"
        ) from None


async def warn_without_pollers(
    client: Client, task_queue: str, console: Console
) -> None:
    """Say so when no worker polls the task queue: the workflows would just wait."""
    description = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    if not description.pollers:
        console.print(
            f"[yellow]No worker polls task queue {task_queue!r} yet; the workflows "
            "wait until one does (start one with `ai-services worker`).[/yellow]"
        )


async def ingest_async(
    args: argparse.Namespace,
    plan: IngestPlan,
    env: Mapping[str, str],
    console: Console,
) -> list[DocumentResult]:
    index_id = args.index_id or env.get("VELLUM_INDEX_ID")
    if not index_id:
        raise UsageError("no index given: pass --index-id or set VELLUM_INDEX_ID")
    client = await connect(env)
    try:
        stage_local_files(plan.requests, tenant_id=args.tenant_id, env=env)
    except (
        botocore.exceptions.BotoCoreError,
        botocore.exceptions.ClientError,
    ) as error:
        raise IngestError(f"staging the local files in S3 failed: {error}") from None
    except boto3.exceptions.S3UploadFailedError as error:
        raise IngestError(f"staging the local files in S3 failed: {error}") from None
    task_queue = env.get("TEMPORAL_TASK_QUEUE", "vellum-documents")
    # An embedded stack's worker is starting up now and polls within seconds.
    if os.environ.get("TEMPORAL_ADDRESS"):
        await warn_without_pollers(client, task_queue, console)
    show_progress = console.is_terminal and not args.json
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
        disable=not show_progress,
    )
    with progress:
        return await run_workflows(
            client,
            plan.requests,
            args=args,
            task_queue=task_queue,
            index_id=index_id,
            metadata=plan.metadata,
            progress=progress,
        )


def run_ingest(args: argparse.Namespace) -> int:
    """Run `ai-services ingest`.

    Returns:
        0 if every document completed, 1 if any failed or the run could not
        start, 2 for invalid arguments, 130 when interrupted.
    """
    console = Console(stderr=args.json, soft_wrap=True)
    try:
        plan = plan_ingest(args)
        with client_environment(args, console) as env:
            results = asyncio.run(ingest_async(args, plan, env, console))
    except UsageError as error:
        print(f"ai-services ingest: {error}", file=sys.stderr)
        return 2
    except (
        IngestError,
        ServerStartError,
        StateDirInUseError,
        PayloadKeyError,
    ) as error:
        print(f"ai-services ingest: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            "ai-services ingest: interrupted. Workflows already started keep running "
            "in Temporal; run the same command again to wait for their results.",
            file=sys.stderr,
        )
        return 130
    if args.json:
        for result in results:
            print(json.dumps(asdict(result), ensure_ascii=False), flush=True)
    else:
        print_table(results, Console())
    return 0 if all(result.status == "completed" for result in results) else 1

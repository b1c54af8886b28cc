"""The production worker: polls the task queue until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import signal
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from ai_services.settings import Settings, get_settings
from ai_services.temporal_workers.activities.s3.download_file_and_upload_to_s3_activity import (  # noqa: E501
    download_file_and_upload_to_s3_activity,
)
from ai_services.temporal_workers.activities.vellum.create_vellum_document_activity import (  # noqa: E501
    create_vellum_document_activity,
)
from ai_services.temporal_workers.activities.vellum.download_and_upload_document_activity import (  # noqa: E501
    download_and_upload_document_activity,
)
from ai_services.temporal_workers.activities.vellum.get_vellum_document_activity import (  # noqa: E501
    get_vellum_document_by_external_id_activity,
)
from ai_services.temporal_workers.helpers.payload_codec import build_data_converter
from ai_services.temporal_workers.helpers.redaction import redact_secrets
from ai_services.temporal_workers.workflows.vellum.create_vellum_document_workflow_v1 import (  # noqa: E501
    CreateVellumDocumentWorkflowV1,
)

logger = logging.getLogger(__name__)

WORKFLOWS = [CreateVellumDocumentWorkflowV1]
ACTIVITIES: list[Callable[..., Any]] = [
    get_vellum_document_by_external_id_activity,
    download_and_upload_document_activity,
    # TODO: remove the two legacy activities once no workflow that started before
    # the single-download activity is still running or replayed.
    download_file_and_upload_to_s3_activity,
    create_vellum_document_activity,
]


async def connect_client(settings: Settings) -> Client:
    """Connect to the Temporal cluster named by the settings."""
    api_key = settings.temporal_api_key
    encryption_key = settings.temporal_payload_encryption_key
    if encryption_key is None:
        logger.warning(
            "TEMPORAL_PAYLOAD_ENCRYPTION_KEY is not set: workflow history stores "
            "payloads, presigned URLs included, unencrypted"
        )
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        api_key=api_key.get_secret_value() if api_key else None,
        tls=settings.temporal_tls or api_key is not None,
        data_converter=build_data_converter(
            encryption_key.get_secret_value() if encryption_key else None
        ),
    )


def build_worker(
    client: Client,
    settings: Settings,
    executor: concurrent.futures.ThreadPoolExecutor,
    *,
    workflows: Sequence[type] = WORKFLOWS,
    activities: Sequence[Callable[..., Any]] = ACTIVITIES,
) -> Worker:
    """Build the worker with the workflow and every activity it may still call."""
    return Worker(
        client,
        task_queue=settings.temporal_task_queue,
        workflows=list(workflows),
        activities=list(activities),
        activity_executor=executor,
        max_concurrent_activities=settings.worker_max_concurrent_activities,
        graceful_shutdown_timeout=timedelta(
            seconds=settings.worker_graceful_shutdown_seconds
        ),
    )


async def run_worker(
    stop: asyncio.Event | None = None,
    *,
    workflows: Sequence[type] = WORKFLOWS,
    activities: Sequence[Callable[..., Any]] = ACTIVITIES,
) -> None:
    """Run the worker until `stop` is set, or until SIGTERM or SIGINT."""
    settings = get_settings()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)

    client = await connect_client(settings)
    # Sync activities run on this pool: one thread per activity slot, so a slot
    # never waits for a thread.
    with concurrent.futures.ThreadPoolExecutor(
        max_workers=settings.worker_max_concurrent_activities,
        thread_name_prefix="activity",
    ) as executor:
        async with build_worker(
            client, settings, executor, workflows=workflows, activities=activities
        ):
            logger.info(
                "Worker started on task queue %s of namespace %s at %s",
                settings.temporal_task_queue,
                settings.temporal_namespace,
                settings.temporal_address,
            )
            await stop.wait()
            logger.info("Worker stopping: waiting for running activities")
    logger.info("Worker stopped")


class RedactingFilter(logging.Filter):
    """Remove query strings, signatures and credentials from every log record.

    Libraries log URLs in their warnings (urllib3's "Failed to parse headers",
    for one), and a presigned URL's query string is a credential.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_secrets(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True


def configure_logging() -> None:
    """Log at INFO, but keep the HTTP clients' per-request lines out."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactingFilter())
    for name in ("httpx", "httpcore", "botocore", "urllib3"):
        logging.getLogger(name).setLevel(logging.WARNING)


def main() -> None:
    """Run the worker with settings from the environment."""
    configure_logging()
    asyncio.run(run_worker())


if __name__ == "__main__":
    main()

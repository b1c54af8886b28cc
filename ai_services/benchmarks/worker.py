"""Worker variants for the benchmarks: the production worker, the legacy
two-activity workflow, and the production workflow over no-op activities.

Run: `python -m ai_services.benchmarks.worker production|legacy|noop`, configured
from the environment like `ai-services worker`.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Sequence
from typing import Any

from temporalio import activity

from ai_services.benchmarks.legacy_workflow import LegacyCreateVellumDocumentWorkflow
from ai_services.settings import get_settings
from ai_services.temporal_workers.activities.vellum.download_and_upload_document_activity import (  # noqa: E501
    DownloadAndUploadDocumentActivityInput,
    DownloadAndUploadDocumentActivityOutput,
)
from ai_services.temporal_workers.activities.vellum.get_vellum_document_activity import (  # noqa: E501
    GetVellumDocumentActivityInput,
    GetVellumDocumentActivityOutput,
)
from ai_services.temporal_workers.workers.main_worker import (
    ACTIVITIES,
    WORKFLOWS,
    configure_logging,
    run_worker,
)


@activity.defn(name="get_vellum_document_by_external_id_activity")
def noop_lookup_activity(
    input: GetVellumDocumentActivityInput,
) -> GetVellumDocumentActivityOutput | None:
    """Find nothing, at once: the orchestration floor's lookup."""
    return None


@activity.defn(name="download_and_upload_document_activity")
def noop_transfer_activity(
    input: DownloadAndUploadDocumentActivityInput,
) -> DownloadAndUploadDocumentActivityOutput:
    """Transfer nothing, at once: the orchestration floor's transfer."""
    return DownloadAndUploadDocumentActivityOutput(
        document_id="noop", bucket=input.bucket, remote_key=input.remote_key
    )


VARIANTS: dict[str, tuple[Sequence[type], Sequence[Callable[..., Any]]]] = {
    "production": (WORKFLOWS, ACTIVITIES),
    "legacy": ([LegacyCreateVellumDocumentWorkflow], ACTIVITIES),
    "noop": (WORKFLOWS, [noop_lookup_activity, noop_transfer_activity]),
}


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if len(arguments) != 1 or arguments[0] not in VARIANTS:
        print(f"usage: worker {'|'.join(VARIANTS)}", file=sys.stderr)
        return 2
    configure_logging()
    get_settings()
    workflows, activities = VARIANTS[arguments[0]]
    asyncio.run(run_worker(workflows=workflows, activities=activities))
    return 0


if __name__ == "__main__":
    sys.exit(main())

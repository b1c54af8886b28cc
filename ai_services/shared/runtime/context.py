"""The origin of a workflow run, and what each origin allows."""

from __future__ import annotations

from enum import StrEnum


class ExecutionSource(StrEnum):
    """Origin of a workflow run.

    Each value is the member's name in lower case, so a run can be started by
    workflow type name with a plain JSON object such as ``{"source": "local"}``.
    """

    LOCAL = "local"
    TEST = "test"
    DRATA_WEBAPP_DEV = "drata_webapp_dev"
    DRATA_WEBAPP_STAGING = "drata_webapp_staging"
    DRATA_WEBAPP_PROD = "drata_webapp_prod"

    @property
    def drata_run(self) -> bool:
        """Whether the Drata web application started the run, in any environment.

        Only these runs archive the document in the service's S3 bucket.
        """
        return self.name.startswith("DRATA_WEBAPP_")

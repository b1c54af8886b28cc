"""`ai-services worker`: the production worker."""

from __future__ import annotations

import asyncio
import sys

from ai_services.settings import SettingsError, get_settings
from ai_services.temporal_workers.workers.main_worker import (
    configure_logging,
    run_worker,
)


def run_worker_command() -> int:
    configure_logging()
    try:
        get_settings()
    except SettingsError as error:
        print(f"ai-services worker: {error}", file=sys.stderr)
        return 2
    asyncio.run(run_worker())
    return 0

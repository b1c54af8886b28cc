"""`ai-services dev`: the embedded stack in the foreground until Ctrl-C."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from ai_services.local_stack.processes import ServerStartError
from ai_services.local_stack.stack import LocalStack, StateDirInUseError


def run_dev(state_dir: Path, *, worker: bool) -> int:
    stop = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signal_number, lambda *_: stop.set())

    stack = LocalStack(state_dir, worker=worker)
    try:
        stack.start()
    except (ServerStartError, StateDirInUseError) as error:
        print(f"ai-services dev: {error}", file=sys.stderr)
        return 1
    try:
        if stop.is_set():
            return 0
        print(f"Temporal server:   {stack.temporal_address} (namespace default)")
        print(f"Temporal UI:       {stack.temporal_ui_url}")
        print(f"S3 (SeaweedFS):    {stack.s3_url}")
        print(f"Vellum-compatible: {stack.vellum_url} (index {stack.index_id})")
        print(f"Worker:            {'running' if worker else 'not started'}")
        print(f"Settings:          {stack.env_path}")
        print(f"Logs:              {stack.logs_dir}")
        print("Press Ctrl-C to stop.", flush=True)
        while not stop.wait(1.0):
            for process in stack.processes.values():
                if not process.running():
                    print(
                        f"ai-services dev: {process.name} exited; see "
                        f"{process.log_path}",
                        file=sys.stderr,
                    )
                    return 1
    finally:
        print("Stopping...", flush=True)
        stack.stop()
    return 0

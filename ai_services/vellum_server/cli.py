"""Command line of the Vellum-compatible server."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Final

from ai_services.vellum_server.app import (
    DEFAULT_MAX_DOCUMENT_BYTES,
    DEFAULT_PROCESSING_DELAY_SECONDS,
    create_app,
)
from ai_services.vellum_server.server import run_server

API_KEY_ENV_VAR: Final = "VELLUM_API_KEY"
_LOG_LEVELS: Final = ("debug", "info", "warning", "error")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(
            f"expected a port from 0 to 65535, got {text!r}"
        )
    return value


def _non_negative_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(
            f"expected a non-negative number of seconds, got {text!r}"
        )
    return value


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    """Build the argument parser of the Vellum-compatible server.

    Args:
        prog: Program name shown in usage and errors, or None for argparse's
            default.
    """
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Serve Vellum's documents and document-index API locally, with "
            "storage in a state folder, for the unmodified vellum-ai SDK. "
            "Admin endpoints under /_emulator/ queue faults, return the request "
            "log and reset the state."
        ),
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: %(default)s)",
    )
    parser.add_argument(
        "--port",
        type=_port,
        required=True,
        help=(
            "TCP port to listen on (0 picks a free port and prints it in the "
            "ready line)"
        ),
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        required=True,
        help="folder for the SQLite database and uploaded files, created if missing",
    )
    parser.add_argument(
        "--api-key",
        default=None,
        help=(
            "value every request must send in the X-API-KEY header "
            f"(default: ${API_KEY_ENV_VAR}). Prefer the variable, because command "
            "lines are visible to other local users."
        ),
    )
    parser.add_argument(
        "--max-document-bytes",
        type=_positive_int,
        default=DEFAULT_MAX_DOCUMENT_BYTES,
        help=(
            "largest accepted upload file, in bytes (default: %(default)s, "
            "32 MiB, the worker's default MAX_DOCUMENT_BYTES)"
        ),
    )
    parser.add_argument(
        "--processing-delay",
        type=_non_negative_seconds,
        default=DEFAULT_PROCESSING_DELAY_SECONDS,
        help=(
            "seconds before an uploaded document moves from QUEUED to "
            "PROCESSED or FAILED (default: %(default)s)"
        ),
    )
    parser.add_argument(
        "--log-level",
        choices=_LOG_LEVELS,
        default="info",
        help="log level of the server log on stderr (default: %(default)s)",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Start the server from parsed arguments and block until it stops.

    Returns:
        The process exit status: 0 after a clean stop, 1 when the server cannot
        start, 2 when no API key is configured or the state folder path is a
        file.
    """
    api_key = args.api_key or os.environ.get(API_KEY_ENV_VAR)
    if not api_key:
        print(
            f"error: no API key: pass --api-key KEY or set {API_KEY_ENV_VAR}",
            file=sys.stderr,
        )
        return 2

    if args.state_dir.exists() and not args.state_dir.is_dir():
        print(
            f"error: --state-dir {args.state_dir} exists and is not a folder",
            file=sys.stderr,
        )
        return 2

    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    app = create_app(
        args.state_dir,
        api_key,
        max_document_bytes=args.max_document_bytes,
        processing_delay=args.processing_delay,
    )
    return run_server(app, host=args.host, port=args.port)

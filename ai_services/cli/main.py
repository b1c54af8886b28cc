"""The `ai-services` command: dev stack, worker, ingest, Vellum-compatible server."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from ai_services.shared.runtime.context import ExecutionSource


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ai-services",
        description="Ingest documents into a Vellum document index through Temporal.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    dev = commands.add_parser(
        "dev",
        help="run Temporal, SeaweedFS, the Vellum server and a worker until Ctrl-C",
    )
    dev.add_argument(
        "--state-dir",
        type=Path,
        required=True,
        help="folder for all state; DIR/env gets the client settings",
    )
    dev.add_argument(
        "--no-worker",
        action="store_true",
        help="start no worker, so that `ai-services worker` can be run against it",
    )

    commands.add_parser(
        "worker", help="run the production worker, configured from the environment"
    )

    ingest = commands.add_parser(
        "ingest",
        help="start one workflow per document and wait for the results",
        description=(
            "Start CreateVellumDocumentWorkflowV1 for each SOURCE and wait for it. "
            "Without TEMPORAL_ADDRESS in the environment, an embedded stack is "
            "started and stopped around the run."
        ),
    )
    ingest.add_argument(
        "sources",
        nargs="+",
        metavar="SOURCE",
        help="a local file (staged and presigned) or an http(s) URL used as given",
    )
    ingest.add_argument(
        "--index-id",
        help="document index UUID or name (default: VELLUM_INDEX_ID)",
    )
    ingest.add_argument("--tenant-id", required=True)
    ingest.add_argument("--tenant-name", required=True)
    ingest.add_argument(
        "--source",
        type=ExecutionSource,
        default=ExecutionSource.LOCAL,
        choices=list(ExecutionSource),
        metavar="|".join(member.value for member in ExecutionSource),
        help="execution source; Drata web-app sources archive in S3 (default: local)",
    )
    ingest.add_argument(
        "--external-id",
        help="external id (one SOURCE only; default: derived from tenant and "
        "content, or from the URL without its query)",
    )
    ingest.add_argument(
        "--metadata",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="document metadata entry; repeat for more",
    )
    ingest.add_argument(
        "--json", action="store_true", help="print one JSON object per document"
    )
    ingest.add_argument(
        "--state-dir",
        type=Path,
        help="state folder of the embedded stack, kept after the run "
        "(default: a temporary folder, removed after the run)",
    )

    bench = commands.add_parser(
        "bench",
        help="run the benchmarks on an embedded stack and write a Markdown report",
    )
    bench.add_argument(
        "--output",
        type=Path,
        default=Path("docs/benchmarks.md"),
        help="report file (default: docs/benchmarks.md)",
    )
    bench.add_argument(
        "--notes",
        type=Path,
        help="Markdown file appended to the report, e.g. the analysis of a miss",
    )
    bench.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes and one repeat: checks the harness, measures nothing",
    )

    vellum = commands.add_parser(
        "vellum-server",
        help="run the Vellum-compatible server in the foreground",
        add_help=False,
    )
    vellum.add_argument("server_args", nargs=argparse.REMAINDER)
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    # The server parses its own options, so that `--help` shows them.
    if arguments[:1] == ["vellum-server"]:
        from ai_services.vellum_server.__main__ import main as vellum_main

        return vellum_main(arguments[1:], prog="ai-services vellum-server")

    args = build_parser().parse_args(arguments)
    if args.command == "worker":
        from ai_services.cli.worker import run_worker_command

        return run_worker_command()
    if args.command == "dev":
        from ai_services.cli.dev import run_dev

        return run_dev(args.state_dir, worker=not args.no_worker)
    if args.command == "bench":
        from ai_services.cli.bench import run_bench_command

        return run_bench_command(args, " ".join(["ai-services", *arguments]))
    from ai_services.cli.ingest import run_ingest

    # Termination and hang-up stop the run like Ctrl-C, so that an embedded
    # stack is stopped too.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGHUP, signal.default_int_handler)
    return run_ingest(args)


def run() -> None:
    """Console entry point."""
    status = main()
    # NOTE: with a Temporal client still alive, interpreter shutdown can abort
    # with "PyGILState_Release: thread state must be current" (temporalio 1.35,
    # sdk-python#300). Every result is printed and every child process stopped
    # by now, so the process ends without that shutdown.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    run()

"""`ai-services bench`: run the benchmarks and write the report."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from ai_services.benchmarks.harness import BenchConfig, run_bench
from ai_services.benchmarks.report import render


def run_bench_command(args: argparse.Namespace, command: str) -> int:
    config = BenchConfig.quick() if args.quick else BenchConfig()
    with tempfile.TemporaryDirectory(prefix="ai-services-bench-") as state_dir:
        results = run_bench(Path(state_dir), config)
    report = render(results, command)
    if args.notes is not None:
        report += "\n" + args.notes.read_text()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report)
    print(report)
    return 0

"""The benchmark harness runs end to end on tiny sizes, so that it cannot rot."""

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.timeout(600)
def test_quick_bench_writes_report(tmp_path: Path) -> None:
    output = tmp_path / "benchmarks.md"
    notes = tmp_path / "notes.md"
    notes.write_text("## Notes\n\nHand-written analysis.\n")

    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "ai_services.cli.main",
            "bench",
            "--quick",
            "--output",
            str(output),
            "--notes",
            str(notes),
        ],
        capture_output=True,
        text=True,
        timeout=540,
    )

    assert completed.returncode == 0, completed.stderr[-3000:]
    report = output.read_text()
    for heading in (
        "## Machine",
        "## Figures",
        "## Ratios and goals",
        "## Throughput by activity slots and worker processes",
        "## Notes",
    ):
        assert heading in report
    for figure in (
        "production path: source GETs per document",
        "legacy path: S3 GETs per document",
        "sum of the three plain transfers",
        "no-op activities (orchestration floor)",
        "plain transfers, 16 threads (I/O floor)",
        "worker peak RSS above idle",
    ):
        assert f"| {figure} |" in report
    assert "| 1x1 |" in report
    assert "| 16x2 |" in report
    # The request counts are exact even on tiny sizes.
    assert "| production path: S3 GETs per document | requests | 0.000 |" in report
    assert "| legacy path: S3 GETs per document | requests | 1.000 |" in report

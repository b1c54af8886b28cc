"""`ai-services ingest --json` on the example documents, through the whole stack."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ai_services.local_stack.stack import ARCHIVE_BUCKET, LocalStack

REPOSITORY = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPOSITORY / "examples" / "documents").iterdir())
CLI = [sys.executable, "-m", "ai_services.cli.main"]


def run_ingest(state_dir: Path, source: str, tenant_id: str) -> list[dict[str, object]]:
    env = {key: value for key, value in os.environ.items()}
    env.pop("TEMPORAL_ADDRESS", None)
    completed = subprocess.run(
        [
            *CLI,
            "ingest",
            *map(str, EXAMPLES),
            "--json",
            "--state-dir",
            str(state_dir),
            "--source",
            source,
            "--tenant-id",
            tenant_id,
            "--tenant-name",
            f"Tenant {tenant_id}",
            "--metadata",
            "team=compliance",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert completed.returncode == 0, completed.stderr + completed.stdout
    return [json.loads(line) for line in completed.stdout.splitlines()]


@pytest.mark.timeout(600)
def test_ingest_local_and_production_runs(tmp_path: Path) -> None:
    state_dir = tmp_path / "stack"
    local = run_ingest(state_dir, "local", "tenant-local")
    production = run_ingest(state_dir, "drata_webapp_prod", "tenant-prod")

    assert len(local) == len(EXAMPLES) >= 4
    assert len(production) == len(EXAMPLES)
    for row in local + production:
        assert row["status"] == "completed", row
        assert row["document_id"]
        assert row["error"] is None
    assert all(row["s3_uploaded"] is False for row in local)
    assert all(row["s3_uploaded"] is True for row in production)

    # Look at what was stored, with the stack restarted on the same folder.
    with LocalStack(state_dir, worker=False, ui=False) as stack:
        vellum = stack.vellum_client()
        s3 = stack.s3_client()
        listed = vellum.documents.list(document_index_id=stack.index_id, limit=100)
        assert listed.count == 2 * len(EXAMPLES)

        archived = s3.list_objects_v2(Bucket=ARCHIVE_BUCKET).get("Contents", [])
        archived_keys = {item["Key"] for item in archived}
        assert archived_keys == {row["remote_key"] for row in production}

        for rows in (local, production):
            for row, path in zip(rows, EXAMPLES, strict=True):
                expected = path.read_bytes()
                document = vellum.documents.retrieve(str(row["external_id"]))
                assert document.id == row["document_id"]
                assert document.label == path.name
                assert document.metadata == {
                    "team": "compliance",
                    "S3_BUCKET": ARCHIVE_BUCKET,
                    "S3_OBJECT_KEY": row["remote_key"],
                }
                stored = vellum_file_bytes(stack, str(document.original_file_url))
                assert (
                    hashlib.sha256(stored).digest() == hashlib.sha256(expected).digest()
                )

        for row, path in zip(production, EXAMPLES, strict=True):
            body = s3.get_object(Bucket=ARCHIVE_BUCKET, Key=row["remote_key"])["Body"]
            assert body.read() == path.read_bytes()


def vellum_file_bytes(stack: LocalStack, url: str) -> bytes:
    import httpx

    response = httpx.get(url, headers={"X-API-KEY": stack.secrets.vellum_api_key})
    response.raise_for_status()
    return response.content

"""Benchmarks of the ingestion path on an embedded stack, all in one run.

Every figure is measured `repeats` times, interleaved with the figures it is
compared with, so that a drift in the machine's speed affects both sides.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import re
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import requests
from temporalio.client import Client
from vellum.core import ApiError

from ai_services.local_stack.processes import ManagedProcess
from ai_services.local_stack.stack import (
    ARCHIVE_BUCKET,
    INDEX_NAME,
    UPLOADS_BUCKET,
    LocalStack,
)
from ai_services.shared.runtime.context import ExecutionSource
from ai_services.temporal_workers.helpers.payload_codec import build_data_converter
from ai_services.temporal_workers.workflows.vellum.create_vellum_document_workflow_v1 import (  # noqa: E501
    CreateVellumDocumentWorkflowInput,
)

MIB = 1024 * 1024
KIB = 1024
PRESIGNED_URL_SECONDS = 4 * 3600
_GET_COUNTER = re.compile(
    r'^SeaweedFS_s3_request_total\{bucket="(?P<bucket>[^"]*)",'
    r'code="(?P<code>\d+)",type="GET"\} (?P<value>[0-9.e+]+)$',
    re.MULTILINE,
)


@dataclass(frozen=True)
class BenchConfig:
    """Sizes and counts of one benchmark run."""

    large_bytes: int = 32 * MIB
    small_bytes: int = 64 * KIB
    batch_documents: int = 300
    memory_documents: int = 8
    scaling_documents: int = 100
    counting_documents: int = 5
    slots: tuple[int, ...] = (1, 4, 16)
    processes: tuple[int, ...] = (1, 2)
    repeats: int = 5
    worker_slots: int = 16
    # Pause before each timed run, so that the servers' background work from the
    # previous run (the Vellum-compatible server's processing, SeaweedFS's
    # flushes) does not fall into it.
    settle_seconds: float = 2.0

    @classmethod
    def quick(cls) -> BenchConfig:
        """Tiny sizes, one repeat: checks that the harness runs, measures nothing."""
        return cls(
            large_bytes=256 * KIB,
            small_bytes=2 * KIB,
            batch_documents=4,
            memory_documents=2,
            scaling_documents=3,
            counting_documents=2,
            slots=(1, 4),
            processes=(1, 2),
            repeats=1,
            settle_seconds=0.0,
        )


@dataclass
class Figure:
    """One measured quantity over the repeats."""

    name: str
    unit: str
    values: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def minimum(self) -> float:
        return min(self.values)

    @property
    def maximum(self) -> float:
        return max(self.values)


@dataclass
class Results:
    """Every figure of a run, by key, plus notes for the report."""

    config: BenchConfig
    figures: dict[str, Figure] = field(default_factory=dict)
    scaling: list[tuple[str, Figure]] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, key: str, name: str, unit: str, value: float) -> None:
        self.figures.setdefault(key, Figure(name, unit)).values.append(value)


class Bench:
    """Runs the measurements against one embedded stack."""

    def __init__(self, stack: LocalStack, config: BenchConfig) -> None:
        self.stack = stack
        self.config = config
        self.results = Results(config)
        self.s3 = stack.s3_client()
        self.vellum = stack.vellum_client()
        self.session = requests.Session()
        self.workers: list[ManagedProcess] = []
        self.worker_pids: dict[str, int] = {}
        self.client: Client

    # Workers and workflows

    def start_worker(self, variant: str, task_queue: str, slots: int) -> ManagedProcess:
        env = {
            **os.environ,
            **self.stack.client_env(),
            "TEMPORAL_TASK_QUEUE": task_queue,
            "WORKER_MAX_CONCURRENT_ACTIVITIES": str(slots),
        }
        process = ManagedProcess(
            f"{variant} worker",
            [sys.executable, "-m", "ai_services.benchmarks.worker", variant],
            log_path=self.stack.logs_dir
            / f"bench-{variant}-{uuid.uuid4().hex[:6]}.log",
            env=env,
        )
        self.workers.append(process)
        return process

    def stop_workers(self) -> None:
        for process in self.workers:
            process.stop()
        self.workers.clear()

    def stage(self, data: bytes, name: str) -> str:
        """Store a source document in the uploads bucket; return its presigned URL."""
        key = f"bench/{uuid.uuid4().hex}/{name}"
        self.s3.put_object(Bucket=UPLOADS_BUCKET, Key=key, Body=data)
        return str(
            self.s3.generate_presigned_url(
                "get_object",
                Params={"Bucket": UPLOADS_BUCKET, "Key": key},
                ExpiresIn=PRESIGNED_URL_SECONDS,
            )
        )

    def workflow_input(self, url: str) -> CreateVellumDocumentWorkflowInput:
        return CreateVellumDocumentWorkflowInput(
            s3_url=url,
            source=ExecutionSource.DRATA_WEBAPP_PROD,
            external_id=f"bench-{uuid.uuid4().hex}",
            filename="bench.pdf",
            tenant_id="bench",
            tenant_name="Benchmark",
            index_id=self.stack.index_id,
            metadata=None,
            content_type="application/pdf",
        )

    async def run_workflows(self, task_queue: str, urls: list[str]) -> float:
        """Start one workflow per URL, wait for all; return the wall time."""
        await asyncio.sleep(self.config.settle_seconds)
        started = time.perf_counter()
        handles = [
            await self.client.start_workflow(
                "CreateVellumDocumentWorkflowV1",
                self.workflow_input(url),
                id=f"bench/{uuid.uuid4().hex}",
                task_queue=task_queue,
            )
            for url in urls
        ]
        await asyncio.gather(*(handle.result() for handle in handles))
        return time.perf_counter() - started

    # Plain transfers, the I/O floor

    def raw_transfers(
        self, url: str, *, settle: bool = True
    ) -> tuple[float, float, float]:
        """GET, S3 PUT and Vellum upload of one document; seconds of each."""
        if settle:
            time.sleep(self.config.settle_seconds)
        started = time.perf_counter()
        response = self.session.get(url, timeout=60)
        response.raise_for_status()
        data = response.content
        downloaded = time.perf_counter()
        key = f"raw/{uuid.uuid4().hex}/bench.pdf"
        self.s3.put_object(Bucket=ARCHIVE_BUCKET, Key=key, Body=data)
        archived = time.perf_counter()
        self.vellum.documents.upload(
            label="bench.pdf",
            contents=("bench.pdf", data, "application/pdf"),
            external_id=f"raw-{uuid.uuid4().hex}",
            add_to_index_names=[INDEX_NAME],
            metadata='{"S3_BUCKET": "b", "S3_OBJECT_KEY": "k"}',
        )
        uploaded = time.perf_counter()
        return downloaded - started, archived - downloaded, uploaded - archived

    def raw_document(self, url: str) -> None:
        """Lookup, GET, S3 PUT and Vellum upload, as the workflow does them."""
        try:
            self.vellum.documents.retrieve(f"raw-missing-{uuid.uuid4().hex}")
        except ApiError as error:
            if error.status_code != 404:
                raise
        self.raw_transfers(url, settle=False)

    def raw_batch(self, urls: list[str], concurrency: int) -> float:
        time.sleep(self.config.settle_seconds)
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(self.raw_document, urls))
        return time.perf_counter() - started

    # SeaweedFS counters

    def get_counts(self) -> dict[str, float]:
        """Return successful S3 GETs so far, by bucket, from SeaweedFS's metrics."""
        text = httpx.get(self.stack.seaweed_metrics_url, timeout=10).text
        counts: dict[str, float] = {}
        for match in _GET_COUNTER.finditer(text):
            if match["code"].startswith("2"):
                bucket = match["bucket"]
                counts[bucket] = counts.get(bucket, 0.0) + float(match["value"])
        return counts

    # The measurements

    async def measure_requests_per_document(self, queues: dict[str, str]) -> None:
        count = self.config.counting_documents
        for variant in ("production", "legacy"):
            urls = [
                self.stage(os.urandom(self.config.small_bytes), "count.pdf")
                for _ in range(count)
            ]
            before = self.get_counts()
            await self.run_workflows(queues[variant], urls)
            after = self.get_counts()
            for bucket, label in ((UPLOADS_BUCKET, "source"), (ARCHIVE_BUCKET, "S3")):
                done = after.get(bucket, 0.0) - before.get(bucket, 0.0)
                self.results.add(
                    f"{variant}_{label}_gets",
                    f"{variant} path: {label} GETs per document",
                    "requests",
                    done / count,
                )

    async def measure_large_document(self, queues: dict[str, str]) -> None:
        data = os.urandom(self.config.large_bytes)
        url = self.stage(data, "large.pdf")
        runs = ["raw", "production", "legacy"]
        for repeat in range(self.config.repeats):
            # Each repeat starts with another of the three, so that none always
            # runs right after the heaviest.
            for run in runs[repeat % 3 :] + runs[: repeat % 3]:
                if run == "raw":
                    get, put, upload = self.raw_transfers(url)
                    self.results.add("raw_get", "plain GET", "s", get)
                    self.results.add("raw_put", "plain S3 PUT", "s", put)
                    self.results.add("raw_upload", "plain Vellum upload", "s", upload)
                    total = get + put + upload
                    self.results.add(
                        "raw_sum", "sum of the three plain transfers", "s", total
                    )
                else:
                    seconds = await self.run_workflows(queues[run], [url])
                    self.results.add(
                        f"large_{run}", f"{run} workflow, one document", "s", seconds
                    )

    async def measure_batch(self, queues: dict[str, str]) -> None:
        count = self.config.batch_documents
        urls = [
            self.stage(os.urandom(self.config.small_bytes), f"small-{number}.pdf")
            for number in range(count)
        ]
        for _ in range(self.config.repeats):
            with self.cpu_per_document("noop", count):
                seconds = await self.run_workflows(queues["noop"], urls)
            self.results.add(
                "batch_noop",
                "no-op activities (orchestration floor)",
                "documents/s",
                count / seconds,
            )
            seconds = await asyncio.to_thread(
                self.raw_batch, urls, self.config.worker_slots
            )
            self.results.add(
                "batch_io",
                f"plain transfers, {self.config.worker_slots} threads (I/O floor)",
                "documents/s",
                count / seconds,
            )
            with self.cpu_per_document("production", count):
                seconds = await self.run_workflows(queues["production"], urls)
            self.results.add(
                "batch_production",
                "production workflow, batch",
                "documents/s",
                count / seconds,
            )

    @contextmanager
    def cpu_per_document(self, variant: str, count: int) -> Iterator[None]:
        """Record each process's CPU time per document over the block, in ms.

        On a machine where every server shares the same cores, throughput follows
        the CPU time a document costs in all of them together.
        """
        processes = {
            name: process.pid for name, process in self.stack.processes.items()
        }
        processes[f"{variant} worker"] = self.worker_pids[variant]
        processes["bench client"] = os.getpid()
        before = {name: cpu_seconds(pid) for name, pid in processes.items()}
        yield
        for name, pid in processes.items():
            used = cpu_seconds(pid) - before[name]
            self.results.add(
                f"cpu_{variant}_{name}",
                f"CPU per document in the {variant} batch: {name}",
                "ms",
                used / count * 1000,
            )

    async def measure_memory(self) -> None:
        data = os.urandom(self.config.large_bytes)
        urls = [
            self.stage(data, f"memory-{number}.pdf")
            for number in range(self.config.memory_documents)
        ]
        warm_up = self.stage(os.urandom(KIB), "warm-up.pdf")
        for _ in range(self.config.repeats):
            queue = f"bench-memory-{uuid.uuid4().hex[:8]}"
            worker = self.start_worker("production", queue, self.config.worker_slots)
            await self.run_workflows(queue, [warm_up])
            await asyncio.sleep(1.0)
            idle = rss_bytes(worker.pid)
            with peak_rss(worker.pid) as peak:
                await self.run_workflows(queue, urls)
            self.results.add("memory_idle", "worker idle RSS", "MiB", idle / MIB)
            self.results.add(
                "memory_growth",
                "worker peak RSS above idle",
                "MiB",
                (peak() - idle) / MIB,
            )
            worker.stop()
            self.workers.remove(worker)

    async def measure_scaling(self) -> None:
        urls = [
            self.stage(os.urandom(self.config.small_bytes), f"scale-{number}.pdf")
            for number in range(self.config.scaling_documents)
        ]
        setups = [(slots, 1) for slots in self.config.slots]
        setups += [
            (self.config.worker_slots, processes)
            for processes in self.config.processes
            if processes != 1 or self.config.worker_slots not in self.config.slots
        ]
        for slots, processes in setups:
            queue = f"bench-scale-{uuid.uuid4().hex[:8]}"
            workers = [
                self.start_worker("production", queue, slots) for _ in range(processes)
            ]
            # Warm every worker's clients up before timing.
            await self.run_workflows(queue, urls[: 4 * processes])
            figure = Figure(f"{slots} slots x {processes} process(es)", "documents/s")
            for _ in range(self.config.repeats):
                seconds = await self.run_workflows(queue, urls)
                figure.values.append(len(urls) / seconds)
            self.results.scaling.append((f"{slots}x{processes}", figure))
            for worker in workers:
                worker.stop()
                self.workers.remove(worker)

    async def run(self) -> Results:
        started = time.perf_counter()
        self.client = await Client.connect(
            self.stack.temporal_address,
            data_converter=build_data_converter(
                self.stack.secrets.payload_encryption_key
            ),
        )
        queues = {
            variant: f"bench-{variant}-{uuid.uuid4().hex[:8]}"
            for variant in ("production", "legacy", "noop")
        }
        try:
            for variant, queue in queues.items():
                worker = self.start_worker(variant, queue, self.config.worker_slots)
                self.worker_pids[variant] = worker.pid
            warm_up = self.stage(os.urandom(KIB), "warm-up.pdf")
            for queue in queues.values():
                await self.run_workflows(queue, [warm_up])
            self.raw_transfers(warm_up)

            await self.measure_requests_per_document(queues)
            await self.measure_large_document(queues)
            await self.measure_batch(queues)
            self.stop_workers()
            await self.measure_memory()
            await self.measure_scaling()
        finally:
            self.stop_workers()
        self.results.seconds = time.perf_counter() - started
        return self.results


def cpu_seconds(pid: int) -> float:
    """Return the user plus system CPU time a process has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    # utime and stime are fields 14 and 15 of /proc/PID/stat, in clock ticks.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    """Return a process's resident set size from /proc, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


@contextmanager
def peak_rss(pid: int, interval: float = 0.01) -> Iterator[Callable[[], int]]:
    """Sample a process's RSS every `interval` seconds; yield a getter of the peak."""
    peak = rss_bytes(pid)
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, rss_bytes(pid))
            stop.wait(interval)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield lambda: peak
    finally:
        stop.set()
        thread.join()


def run_bench(state_dir: Path, config: BenchConfig) -> Results:
    """Start an embedded stack in `state_dir`, run every measurement, stop it."""
    with LocalStack(state_dir, worker=False, ui=False) as stack:
        return asyncio.run(Bench(stack, config).run())

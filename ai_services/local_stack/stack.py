"""The embedded stack for local runs and tests: Temporal, SeaweedFS, Vellum, worker.

Every server binds to 127.0.0.1 on free ports, keeps its state under one folder,
and is stopped by the process that started it. Restarting on the same folder keeps the
stored workflows, objects and documents, and reuses the ports, credentials and
API key when the ports are still free.
"""

from __future__ import annotations

import base64
import fcntl
import json
import logging
import os
import secrets
import shutil
import signal
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

import boto3
import botocore.exceptions
from vellum import (
    DocumentIndexIndexingConfigRequest,
    PrivateVectorizerRequest,
    Vellum,
    VellumEnvironment,
)
from vellum.core import ApiError

from ai_services.local_stack.processes import (
    LOOPBACK,
    ManagedProcess,
    ServerStartError,
    http_ready,
    pick_free_port,
    port_is_free,
    tcp_ready,
)

logger = logging.getLogger(__name__)

ARCHIVE_BUCKET = "ai-services-documents"
# Stands in for the web application's own bucket, from which `ingest` hands out
# presigned URLs for local files.
UPLOADS_BUCKET = "webapp-uploads"
INDEX_NAME = "local-documents"
TASK_QUEUE = "vellum-documents"
NAMESPACE = "default"
# SeaweedFS opens a gRPC port at each HTTP port + 10000.
SEAWEED_GRPC_OFFSET = 10000
START_TIMEOUT_SECONDS = 60.0
UNIX_SOCKET_PATH_BYTES = 107


class StateDirInUseError(RuntimeError):
    """Another process runs a stack on the same state folder."""


@dataclass
class StackPorts:
    """Ports of every listener, all on 127.0.0.1."""

    temporal: int
    temporal_ui: int
    temporal_http: int
    temporal_metrics: int
    s3: int
    seaweed_master: int
    seaweed_volume: int
    seaweed_filer: int
    seaweed_admin: int
    vellum: int
    codec: int
    seaweed_metrics: int

    @classmethod
    def pick(cls) -> StackPorts:
        taken: set[int] = set()
        plain = {
            name: pick_free_port(avoid=taken)
            for name in ("temporal", "temporal_ui", "temporal_http", "temporal_metrics")
        }
        paired = {
            name: pick_free_port(with_offset=SEAWEED_GRPC_OFFSET, avoid=taken)
            for name in (
                "s3",
                "seaweed_master",
                "seaweed_volume",
                "seaweed_filer",
                "seaweed_admin",
            )
        }
        return cls(
            **plain,
            **paired,
            vellum=pick_free_port(avoid=taken),
            codec=pick_free_port(avoid=taken),
            seaweed_metrics=pick_free_port(avoid=taken),
        )

    def all_free(self) -> bool:
        ports = list(asdict(self).values())
        seaweed = [self.s3, self.seaweed_master, self.seaweed_volume]
        seaweed += [self.seaweed_filer, self.seaweed_admin]
        ports += [port + SEAWEED_GRPC_OFFSET for port in seaweed]
        return all(port_is_free(port) for port in ports)


@dataclass
class StackSecrets:
    """Credentials of the embedded stack, kept in the state folder."""

    aws_access_key_id: str
    aws_secret_access_key: str
    vellum_api_key: str
    payload_encryption_key: str

    @classmethod
    def generate(cls) -> StackSecrets:
        return cls(
            aws_access_key_id="local" + secrets.token_hex(8),
            aws_secret_access_key=secrets.token_urlsafe(30),
            vellum_api_key=secrets.token_urlsafe(24),
            payload_encryption_key=base64.b64encode(os.urandom(32)).decode(),
        )


def find_executable(name: str) -> str:
    """Find a server executable installed with the project, next to Python first."""
    beside_python = Path(sys.executable).parent / name
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which(name)
    if found is None:
        raise ServerStartError(
            f"executable {name!r} not found: install the project into this "
            "virtualenv with `pip install -e .`"
        )
    return found


class LocalStack:
    """Start and stop the embedded stack; use it as a context manager."""

    def __init__(
        self,
        state_dir: Path,
        *,
        worker: bool = True,
        ui: bool = True,
        worker_env: dict[str, str] | None = None,
    ) -> None:
        self.state_dir = state_dir.resolve()
        self.with_worker = worker
        self.with_ui = ui
        self.worker_env = worker_env or {}
        self.processes: dict[str, ManagedProcess] = {}
        self._lock: TextIO | None = None
        self.ports: StackPorts
        self.secrets: StackSecrets
        self.index_id = ""

    # Layout of the state folder.
    @property
    def logs_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def env_path(self) -> Path:
        return self.state_dir / "env"

    @property
    def vellum_url(self) -> str:
        return f"http://{LOOPBACK}:{self.ports.vellum}"

    @property
    def s3_url(self) -> str:
        return f"http://{LOOPBACK}:{self.ports.s3}"

    @property
    def seaweed_metrics_url(self) -> str:
        return f"http://{LOOPBACK}:{self.ports.seaweed_metrics}/metrics"

    @property
    def temporal_address(self) -> str:
        return f"{LOOPBACK}:{self.ports.temporal}"

    @property
    def temporal_ui_url(self) -> str:
        return f"http://{LOOPBACK}:{self.ports.temporal_ui}"

    def _load_or_create_config(self) -> None:
        config_path = self.state_dir / "stack.json"
        saved: dict[str, Any] = {}
        if config_path.exists():
            saved = json.loads(config_path.read_text())
        self.secrets = StackSecrets(
            **{**asdict(StackSecrets.generate()), **saved.get("secrets", {})}
        )
        try:
            ports = StackPorts(**saved["ports"])
        except (KeyError, TypeError):
            # No saved ports, or saved by a version with other listeners.
            ports = None
        self.ports = ports if ports and ports.all_free() else StackPorts.pick()
        self._write_private(
            config_path,
            json.dumps({"ports": asdict(self.ports), "secrets": asdict(self.secrets)}),
        )

    @staticmethod
    def _write_private(path: Path, text: str) -> None:
        """Write a file that only its owner can read: it contains credentials."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)

    def client_env(self) -> dict[str, str]:
        """Return every setting a client or worker needs to use this stack."""
        return {
            "TEMPORAL_ADDRESS": self.temporal_address,
            "TEMPORAL_NAMESPACE": NAMESPACE,
            "TEMPORAL_TASK_QUEUE": TASK_QUEUE,
            "TEMPORAL_PAYLOAD_ENCRYPTION_KEY": self.secrets.payload_encryption_key,
            "AWS_ENDPOINT_URL_S3": self.s3_url,
            "AWS_ACCESS_KEY_ID": self.secrets.aws_access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secrets.aws_secret_access_key,
            "AWS_REGION": "us-east-1",
            "AWS_S3_BUCKET": ARCHIVE_BUCKET,
            "INGEST_UPLOADS_BUCKET": UPLOADS_BUCKET,
            "VELLUM_API_URL": self.vellum_url,
            "VELLUM_API_KEY": self.secrets.vellum_api_key,
            "VELLUM_INDEX_ID": self.index_id,
            "SOURCE_URL_ALLOWED_HOSTS": f"{LOOPBACK}:{self.ports.s3}",
        }

    def _lock_state_dir(self) -> None:
        """Hold an exclusive lock on the state folder while the stack runs."""
        lock_path = self.state_dir / "lock"
        handle = lock_path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "unknown"
            handle.close()
            raise StateDirInUseError(
                f"state folder {self.state_dir} is in use by another ai-services "
                f"process (pid {owner}); stop it first or use another --state-dir"
            ) from None
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock = handle

    def start(self) -> None:
        """Start every server, wait until each is ready, then start the worker."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._lock_state_dir()
        try:
            self._load_or_create_config()
            self._start_servers()
            self._prepare_vellum_index()
            self._write_private(
                self.env_path,
                "".join(f"{key}={value}\n" for key, value in self.client_env().items()),
            )
            if self.with_worker:
                self._start_worker()
        except BaseException:
            self.stop()
            raise

    def _start_servers(self) -> None:
        # All start at once; then each is waited for.
        self._start_temporal()
        self._start_seaweedfs()
        self._start_vellum()
        self.processes["temporal"].wait_until(
            tcp_ready(self.ports.temporal), START_TIMEOUT_SECONDS
        )
        self.processes["vellum"].wait_until(
            http_ready(f"{self.vellum_url}/v1/documents"), START_TIMEOUT_SECONDS
        )
        self.processes["seaweedfs"].wait_until(
            self._buckets_ready, START_TIMEOUT_SECONDS
        )

    def _start_temporal(self) -> None:
        ports = self.ports
        command = [
            find_executable("temporal"),
            "server",
            "start-dev",
            "--ip",
            LOOPBACK,
            "--port",
            str(ports.temporal),
            "--http-port",
            str(ports.temporal_http),
            "--metrics-port",
            str(ports.temporal_metrics),
            "--db-filename",
            str(self.state_dir / "temporal.db"),
            "--namespace",
            NAMESPACE,
            "--log-level",
            "warn",
            "--sqlite-pragma",
            "journal_mode=wal",
            "--sqlite-pragma",
            "synchronous=normal",
        ]
        if self.with_ui:
            command += [
                "--ui-ip",
                LOOPBACK,
                "--ui-port",
                str(ports.temporal_ui),
                # Without this flag the UI fetches a news feed from the internet.
                "--ui-disable-news-fetch",
                # The UI's browser side decrypts payloads through this server.
                "--ui-codec-endpoint",
                f"http://{LOOPBACK}:{ports.codec}",
            ]
            self._start_codec_server()
        else:
            command.append("--headless")
        self.processes["temporal"] = ManagedProcess(
            "Temporal dev server", command, log_path=self.logs_dir / "temporal.log"
        )

    def _start_codec_server(self) -> None:
        key = self.secrets.payload_encryption_key
        self.processes["codec"] = ManagedProcess(
            "codec server",
            [
                sys.executable,
                "-m",
                "ai_services.local_stack.codec_server",
                "--port",
                str(self.ports.codec),
                "--ui-origin",
                self.temporal_ui_url,
            ],
            log_path=self.logs_dir / "codec.log",
            env={**os.environ, "TEMPORAL_PAYLOAD_ENCRYPTION_KEY": key},
        )

    def _start_seaweedfs(self) -> None:
        ports = self.ports
        seaweed_dir = self.state_dir / "seaweedfs"
        seaweed_dir.mkdir(exist_ok=True)
        # With credentials in its environment at start, SeaweedFS creates that
        # identity and checks every signature and presigned URL's expiry.
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": self.secrets.aws_access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secrets.aws_secret_access_key,
        }
        self.processes["seaweedfs"] = ManagedProcess(
            "SeaweedFS",
            [
                find_executable("weed"),
                # Standard error goes to the log file; no glog files in /tmp.
                "-logtostderr",
                "mini",
                f"-dir={seaweed_dir}",
                f"-ip={LOOPBACK}",
                f"-ip.bind={LOOPBACK}",
                f"-bucket={ARCHIVE_BUCKET},{UPLOADS_BUCKET}",
                "-admin.ui=false",
                "-webdav=false",
                "-master.telemetry=false",
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
                f"-master.port={ports.seaweed_master}",
                f"-volume.port={ports.seaweed_volume}",
                f"-filer.port={ports.seaweed_filer}",
                f"-s3.port={ports.s3}",
                f"-admin.port={ports.seaweed_admin}",
                # Prometheus metrics, e.g. S3 requests by type, on 127.0.0.1.
                f"-metricsPort={ports.seaweed_metrics}",
                *self._seaweed_socket_flags(seaweed_dir),
            ],
            log_path=self.logs_dir / "seaweedfs.log",
            env=env,
            cwd=seaweed_dir,
        )

    @staticmethod
    def _seaweed_socket_flags(seaweed_dir: Path) -> list[str]:
        """Put SeaweedFS's Unix sockets in the state folder instead of /tmp."""
        flags = []
        for service in ("filer", "s3"):
            path = seaweed_dir / f"{service}.sock"
            # A Unix socket path is at most 107 bytes on Linux, so longer paths
            # keep SeaweedFS's default in /tmp.
            if len(str(path).encode()) <= UNIX_SOCKET_PATH_BYTES:
                flags.append(f"-{service}.localSocket={path}")
        return flags

    def _start_vellum(self) -> None:
        # The key goes in the environment, not on the command line that `ps` shows.
        env = {**os.environ, "VELLUM_API_KEY": self.secrets.vellum_api_key}
        self.processes["vellum"] = ManagedProcess(
            "Vellum-compatible server",
            [
                sys.executable,
                "-m",
                "ai_services.vellum_server",
                "--host",
                LOOPBACK,
                "--port",
                str(self.ports.vellum),
                "--state-dir",
                str(self.state_dir / "vellum"),
            ],
            log_path=self.logs_dir / "vellum.log",
            env=env,
        )

    def restart_seaweedfs(self, pause_seconds: float) -> None:
        """Stop SeaweedFS, wait, and start it again on the same ports and data."""
        self.processes.pop("seaweedfs").stop()
        time.sleep(pause_seconds)
        self._start_seaweedfs()
        self.processes["seaweedfs"].wait_until(
            self._buckets_ready, START_TIMEOUT_SECONDS
        )

    def s3_client(self) -> Any:
        """Return a boto3 S3 client for the embedded SeaweedFS."""
        return boto3.client(
            "s3",
            endpoint_url=self.s3_url,
            aws_access_key_id=self.secrets.aws_access_key_id,
            aws_secret_access_key=self.secrets.aws_secret_access_key,
            region_name="us-east-1",
        )

    def _buckets_ready(self) -> bool:
        client = self.s3_client()
        try:
            for bucket in (ARCHIVE_BUCKET, UPLOADS_BUCKET):
                client.head_bucket(Bucket=bucket)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError):
            return False
        return True

    def vellum_client(self) -> Vellum:
        """Return an SDK client for the embedded Vellum-compatible server."""
        url = self.vellum_url
        return Vellum(
            api_key=self.secrets.vellum_api_key,
            environment=VellumEnvironment(default=url, documents=url, predict=url),
            timeout=30,
        )

    def _prepare_vellum_index(self) -> None:
        client = self.vellum_client()
        try:
            index = client.document_indexes.retrieve(INDEX_NAME)
        except ApiError as error:
            if error.status_code != 404:
                raise
            index = client.document_indexes.create(
                label="Local documents",
                name=INDEX_NAME,
                indexing_config=DocumentIndexIndexingConfigRequest(
                    vectorizer=PrivateVectorizerRequest()
                ),
            )
        self.index_id = index.id

    def _start_worker(self) -> None:
        env = {**os.environ, **self.client_env(), **self.worker_env}
        # Hosts the caller allows as sources come on top of the local S3 store.
        extra_hosts = os.environ.get("SOURCE_URL_ALLOWED_HOSTS")
        if extra_hosts and "SOURCE_URL_ALLOWED_HOSTS" not in self.worker_env:
            env["SOURCE_URL_ALLOWED_HOSTS"] += f",{extra_hosts}"
        self.processes["worker"] = ManagedProcess(
            "worker",
            [sys.executable, "-m", "ai_services.temporal_workers.workers.main_worker"],
            log_path=self.logs_dir / "worker.log",
            env=env,
        )

    def stop(self) -> None:
        """Stop the worker first, then the servers, each by its process group.

        Ctrl-C and termination signals wait until every process is stopped, so a
        second Ctrl-C cannot leave servers running.
        """
        deferred = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, deferred)
        try:
            for name in ("worker", "temporal", "codec", "seaweedfs", "vellum"):
                process = self.processes.pop(name, None)
                if process is not None:
                    try:
                        process.stop()
                    except OSError:
                        logger.exception("Stopping %s failed", process.name)
            if self._lock is not None:
                self._lock.close()
                self._lock = None
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

"""Streaming transfers shared by the activities: source download, S3, Vellum.

A document is downloaded once into a buffer that stays in memory up to
`SPOOL_THRESHOLD_BYTES` and spools to a temporary file beyond it, so a worker's
memory does not grow with document size. Each consumer reads the same buffer
after a rewind.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urljoin

import requests
from temporalio import activity
from temporalio.exceptions import ApplicationError

from ai_services.shared.documents import document_label, safe_filename
from ai_services.temporal_workers.helpers.http_errors import (
    HttpStatusError,
    format_ids,
)
from ai_services.temporal_workers.helpers.redaction import strip_query
from ai_services.temporal_workers.helpers.source_urls import (
    InvalidSourceUrlError,
    check_source_url,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from vellum import Vellum

    from ai_services.settings import Settings

SPOOL_THRESHOLD_BYTES = 1024 * 1024
CHUNK_BYTES = 64 * 1024
MAX_REDIRECTS = 5
ERROR_BODY_BYTES = 4096
# Well below the workflow's 30 s heartbeat timeout.
HEARTBEAT_INTERVAL_SECONDS = 5.0

ProgressCallback = Callable[[int, int | None], None]


@dataclass(frozen=True, slots=True)
class DownloadLimits:
    """Limits of one source download."""

    max_bytes: int
    connect_timeout: float
    read_timeout: float
    # Wall-clock limit for the whole download, headers to last byte.
    deadline_seconds: float
    allowed_hosts: tuple[str, ...]

    @classmethod
    def from_settings(cls, settings: Settings) -> DownloadLimits:
        """Read the limits from the worker's settings."""
        return cls(
            max_bytes=settings.max_document_bytes,
            connect_timeout=settings.download_connect_timeout_seconds,
            read_timeout=settings.download_read_timeout_seconds,
            deadline_seconds=settings.download_deadline_seconds,
            allowed_hosts=settings.source_url_allowed_hosts,
        )


class TransferProgress:
    """Latest step and byte counts of an activity's transfers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # The download is every activity's first step.
        self._details: dict[str, object] = {
            "step": "download",
            "bytes_done": 0,
            "bytes_total": None,
        }

    def update(self, step: str, done: int, total: int | None) -> None:
        with self._lock:
            self._details = {"step": step, "bytes_done": done, "bytes_total": total}

    def details(self) -> dict[str, object]:
        with self._lock:
            return dict(self._details)


_current_progress: contextvars.ContextVar[TransferProgress | None] = (
    contextvars.ContextVar("transfer_progress", default=None)
)


@contextlib.contextmanager
def heartbeating() -> Iterator[TransferProgress]:
    """Heartbeat the latest transfer progress every `HEARTBEAT_INTERVAL_SECONDS`.

    A timer thread heartbeats for as long as the block runs. It also beats while a
    call waits for a response without progress, such as a slow source's headers
    or S3's and Vellum's response to a whole upload, so Temporal does not take a
    live attempt for a dead one. The transfers only record their progress, which
    costs nothing per chunk.
    """
    progress = TransferProgress()
    token = _current_progress.set(progress)
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT_INTERVAL_SECONDS):
            activity.heartbeat(progress.details())

    thread = None
    if activity.in_activity():
        # The copied context carries the activity, which heartbeat() needs.
        context = contextvars.copy_context()
        thread = threading.Thread(target=context.run, args=(beat,), daemon=True)
        thread.start()
    try:
        yield progress
    finally:
        stop.set()
        if thread is not None:
            thread.join()
        _current_progress.reset(token)


def heartbeat_progress(step: str) -> ProgressCallback:
    """Return a callback that records a step's progress for `heartbeating()`."""
    progress = _current_progress.get()

    def report(done: int, total: int | None) -> None:
        if progress is not None:
            progress.update(step, done, total)

    return report


def invalid_input(message: str, error_type: str = "InvalidInput") -> ApplicationError:
    """Build a non-retryable error for input that no retry can fix."""
    return ApplicationError(message, type=error_type, non_retryable=True)


def _open_source(
    session: requests.Session, url: str, limits: DownloadLimits
) -> requests.Response:
    """Send the GET, following redirects only to allowed hosts."""
    for _ in range(MAX_REDIRECTS + 1):
        try:
            check_source_url(url, limits.allowed_hosts)
        except InvalidSourceUrlError as error:
            raise invalid_input(str(error)) from None
        response = session.get(
            url,
            stream=True,
            allow_redirects=False,
            timeout=(limits.connect_timeout, limits.read_timeout),
            # The stored bytes must be the document's own: no transfer compression,
            # which the raw stream below would keep compressed.
            headers={"Accept-Encoding": "identity"},
        )
        if not response.is_redirect or "Location" not in response.headers:
            return response
        location = response.headers.get("Location", "")
        response.close()
        url = urljoin(url, location)
    raise invalid_input(
        f"source URL redirected more than {MAX_REDIRECTS} times "
        f"(last: {strip_query(url)})"
    )


def download_to_buffer(
    session: requests.Session,
    url: str,
    limits: DownloadLimits,
    ids: Mapping[str, str],
    progress: ProgressCallback,
) -> IO[bytes]:
    """Download `url` once into a spooled buffer, rewound to its start.

    The caller closes the buffer, which removes its temporary file.

    Raises:
        ApplicationError: non-retryable for a rejected URL, an empty document or
            one larger than `limits.max_bytes`.
        HttpStatusError: the source returned an error status.
        requests.RequestException, urllib3 errors: connection, timeout or a body
            shorter than its Content-Length.
        TimeoutError: the download passed `limits.deadline_seconds`.
    """
    started = time.monotonic()
    response = _open_source(session, url, limits)
    with response:
        # Anything but 200 is not the whole document: an error, a partial
        # response, or a redirect without a Location.
        if response.status_code != 200:
            excerpt = response.raw.read(ERROR_BODY_BYTES, decode_content=True) or b""
            raise HttpStatusError(response, excerpt)
        declared = response.headers.get("Content-Length")
        expected = int(declared) if declared and declared.isdigit() else None
        if expected is not None and expected > limits.max_bytes:
            raise invalid_input(
                f"document is {expected} bytes, larger than the maximum of "
                f"{limits.max_bytes} bytes (MAX_DOCUMENT_BYTES), for {format_ids(ids)}",
                "DocumentTooLarge",
            )

        buffer = new_spooled_buffer()
        try:
            received = 0
            while True:
                # read1 returns what has arrived instead of waiting for a full
                # chunk, so a trickling source still meets the deadline check.
                chunk = response.raw.read1(CHUNK_BYTES)
                if not chunk:
                    break
                received += len(chunk)
                if received > limits.max_bytes:
                    raise invalid_input(
                        f"document is larger than the maximum of {limits.max_bytes} "
                        f"bytes (MAX_DOCUMENT_BYTES): download stopped after "
                        f"{received} bytes, for {format_ids(ids)}",
                        "DocumentTooLarge",
                    )
                buffer.write(chunk)
                progress(received, expected)
                if time.monotonic() - started > limits.deadline_seconds:
                    deadline = limits.deadline_seconds
                    raise TimeoutError(
                        f"download passed its deadline of {deadline:g} s after "
                        f"{received} bytes (DOWNLOAD_DEADLINE_SECONDS)"
                    )
            if expected is not None and received != expected:
                raise requests.exceptions.ChunkedEncodingError(
                    f"body ended after {received} of {expected} bytes"
                )
            if received == 0:
                raise invalid_input(
                    f"source returned an empty document for {format_ids(ids)}",
                    "EmptyDocument",
                )
        except BaseException:
            buffer.close()
            raise
    buffer.seek(0)
    return buffer


class ProgressReader:
    """A read-only file wrapper that reports progress and never closes the buffer.

    Upload libraries may close the file they are given (boto3's managed transfers
    do); the activity still needs the buffer for the next consumer.
    """

    def __init__(self, buffer: IO[bytes], total: int, progress: ProgressCallback):
        self._buffer = buffer
        self._total = total
        self._progress = progress
        self._done = 0

    def read(self, size: int = -1) -> bytes:
        data = self._buffer.read(size)
        self._done += len(data)
        self._progress(self._done, self._total)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        position = self._buffer.seek(offset, whence)
        self._done = position
        return position

    def tell(self) -> int:
        return self._buffer.tell()

    def close(self) -> None:
        """Leave the buffer open for its owner."""


def new_spooled_buffer() -> IO[bytes]:
    """Return an empty buffer that spools to a temporary file past the threshold."""
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_THRESHOLD_BYTES)


def buffer_size(buffer: IO[bytes]) -> int:
    """Return the size of a seekable buffer and rewind it."""
    size = buffer.seek(0, 2)
    buffer.seek(0)
    return size


def put_s3_object(
    client: S3Client,
    buffer: IO[bytes],
    *,
    bucket: str,
    key: str,
    content_type: str | None,
    progress: ProgressCallback,
) -> None:
    """Upload the whole buffer to `bucket/key` in one PUT, then rewind it."""
    size = buffer_size(buffer)
    extra: dict[str, Any] = {"ContentType": content_type} if content_type else {}
    client.put_object(
        Bucket=bucket,
        Key=key,
        Body=ProgressReader(buffer, size, progress),  # type: ignore[arg-type]
        ContentLength=size,
        **extra,
    )
    buffer.seek(0)


def upload_to_vellum(
    client: Vellum,
    buffer: IO[bytes],
    *,
    filename: str,
    external_id: str,
    index_id: str,
    content_type: str | None,
    metadata: Mapping[str, str],
    timeout_seconds: float,
    progress: ProgressCallback,
) -> str:
    """Upload the buffer as a Vellum document and return its id.

    `index_id` may be an index UUID or its unique name: the SDK's upload takes
    names as `add_to_index_names`, and ids go in the `add_to_index_ids` form field.
    """
    buffer.seek(0)
    size = buffer_size(buffer)
    request_options: dict[str, Any] = {
        "max_retries": 0,
        "timeout_in_seconds": timeout_seconds,
    }
    index_names: list[str] = []
    if _is_uuid(index_id):
        request_options["additional_body_parameters"] = {"add_to_index_ids": [index_id]}
    else:
        index_names = [index_id]
    contents: Any = (
        safe_filename(filename),
        ProgressReader(buffer, size, progress),
        content_type or "application/octet-stream",
    )
    response = client.documents.upload(
        label=document_label(filename),
        contents=contents,
        external_id=external_id,
        add_to_index_names=index_names,
        metadata=json.dumps(dict(metadata)),
        request_options=request_options,  # type: ignore[arg-type]
    )
    return str(response.document_id)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@contextlib.contextmanager
def closing_buffer(buffer: IO[bytes]) -> Iterator[IO[bytes]]:
    """Close the buffer, and so remove its temporary file, whatever happens."""
    try:
        yield buffer
    finally:
        buffer.close()

"""Uploaded document contents, stored as one file per upload in the state folder.

A content file is written under ``tmp/``, flushed with fsync and renamed into
``files/``, so a crash never leaves a partly written file under ``files/``. Each
upload gets a new random content id, and the database row is committed only
after the rename, so a document never points to a partial file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import BinaryIO, Final

_COPY_CHUNK_BYTES: Final = 1024 * 1024
_TEMP_SUFFIX: Final = ".part"


def _fsync_directory(directory: Path) -> None:
    # Makes a rename in the directory durable on POSIX file systems.
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class ContentFileStore:
    """Content files under ``<state_dir>/files`` with temporary files in ``tmp``."""

    def __init__(self, state_dir: Path) -> None:
        self.files_dir = state_dir / "files"
        self.temp_dir = state_dir / "tmp"
        self.files_dir.mkdir(parents=True, exist_ok=True)
        self.temp_dir.mkdir(parents=True, exist_ok=True)

    def save(self, source: BinaryIO) -> tuple[str, int]:
        """Copy ``source`` from its current position into a new content file.

        Returns:
            The new content id and the number of bytes written.
        """
        content_id = uuid.uuid4().hex
        descriptor, temp_name = tempfile.mkstemp(
            dir=self.temp_dir, prefix=f"{content_id}-", suffix=_TEMP_SUFFIX
        )
        temp_path = Path(temp_name)
        try:
            with os.fdopen(descriptor, "wb") as target:
                shutil.copyfileobj(source, target, _COPY_CHUNK_BYTES)
                target.flush()
                os.fsync(target.fileno())
                size = target.tell()
            os.replace(temp_path, self.files_dir / content_id)
        except BaseException:
            temp_path.unlink(missing_ok=True)
            raise
        _fsync_directory(self.files_dir)
        return content_id, size

    def open(self, content_id: str) -> BinaryIO:
        """Open a content file for reading."""
        return (self.files_dir / self._checked(content_id)).open("rb")

    def delete(self, content_id: str) -> None:
        """Delete a content file if it exists."""
        (self.files_dir / self._checked(content_id)).unlink(missing_ok=True)

    def remove_temp_files(self) -> int:
        """Delete leftovers of uploads that stopped before their rename.

        Call this only while no upload is running, e.g. at startup.

        Returns:
            The number of files deleted.
        """
        removed = 0
        for path in self.temp_dir.iterdir():
            if path.is_file():
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def remove_unreferenced(self, referenced: set[str]) -> int:
        """Delete content files that no document points to.

        Such files are left when the process stops between the rename and the
        database commit, or before an old file of a replaced document is deleted.
        Call this only while no upload is running, e.g. at startup.

        Returns:
            The number of files deleted.
        """
        removed = 0
        for path in self.files_dir.iterdir():
            if path.is_file() and path.name not in referenced:
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    @staticmethod
    def _checked(content_id: str) -> str:
        # Content ids come from uuid4().hex, and any other name could escape files_dir.
        if len(content_id) != 32 or not all(
            c in "0123456789abcdef" for c in content_id
        ):
            raise ValueError(f"invalid content id {content_id!r}")
        return content_id

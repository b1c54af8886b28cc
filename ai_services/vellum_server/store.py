"""SQLite storage for documents, document indexes and the links between them.

One connection is shared by all threads and guarded by one lock, so every method
is safe to call from Starlette's thread pool. Each write runs in one
``BEGIN IMMEDIATE`` transaction.
"""

from __future__ import annotations

import enum
import json
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, Final, Generic, TypeVar

QUEUED: Final = "QUEUED"
PROCESSED: Final = "PROCESSED"
FAILED: Final = "FAILED"
INVALID_FILE: Final = "INVALID_FILE"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    external_id TEXT UNIQUE,
    label TEXT NOT NULL,
    keywords TEXT NOT NULL,
    metadata TEXT,
    url TEXT,
    content_id TEXT,
    filename TEXT,
    content_type TEXT,
    size_bytes INTEGER,
    processing_state TEXT NOT NULL,
    processing_failure_reason TEXT,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    last_uploaded_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS document_indexes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    status TEXT NOT NULL,
    indexing_config TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS document_index_links (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    document_index_id TEXT NOT NULL
        REFERENCES document_indexes (id) ON DELETE CASCADE,
    UNIQUE (document_id, document_index_id)
);
CREATE INDEX IF NOT EXISTS document_index_links_by_index
    ON document_index_links (document_index_id);
"""

# Public ordering field names mapped to trusted SQL columns. Every query appends
# ``seq`` so that pages stay stable when the chosen field has ties.
_DOCUMENT_ORDERING: Final = {
    "created": "d.seq",
    "id": "d.id",
    "external_id": "d.external_id",
    "label": "d.label",
    "last_uploaded_at": "d.last_uploaded_at",
}
_INDEX_ORDERING: Final = {
    "created": "seq",
    "id": "id",
    "name": "name",
    "label": "label",
    "status": "status",
}

# Batches keep each IN list far below SQLite's limit on host parameters.
_IN_CLAUSE_BATCH: Final = 500


class Unset(enum.Enum):
    """Type of ``UNSET``."""

    UNSET = enum.auto()


UNSET: Final = Unset.UNSET
"""Marker for a field that an update leaves unchanged."""


class IndexNotFoundError(LookupError):
    """Raised when a document index UUID or name matches no index."""

    def __init__(self, reference: str) -> None:
        super().__init__(reference)
        self.reference = reference


class DocumentNotFoundError(LookupError):
    """Raised when a document UUID or external id matches no document."""

    def __init__(self, reference: str) -> None:
        super().__init__(reference)
        self.reference = reference


class DuplicateIndexNameError(ValueError):
    """Raised when a document index name is already taken."""


class InvalidOrderingError(ValueError):
    """Raised when an ``ordering`` value names a field that cannot be sorted on."""


@dataclass(frozen=True, slots=True)
class StoredContent:
    """A content file that was written to disk and is ready to be committed."""

    content_id: str
    filename: str
    content_type: str
    size_bytes: int


@dataclass(frozen=True, slots=True)
class DocumentUpload:
    """Validated fields of one upload request."""

    label: str
    external_id: str | None
    keywords: tuple[str, ...]
    metadata: dict[str, Any] | None
    url: str | None
    content: StoredContent | None
    index_references: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """Outcome of an upload: the document, its new version and the file it replaced."""

    document_id: str
    version: int
    created: bool
    replaced_content_id: str | None


@dataclass(frozen=True, slots=True)
class IndexLink:
    """Membership of a document in a document index."""

    id: str
    document_index_id: str


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """A stored document with its index memberships."""

    id: str
    external_id: str | None
    label: str
    keywords: tuple[str, ...]
    metadata: dict[str, Any] | None
    url: str | None
    content_id: str | None
    filename: str | None
    content_type: str | None
    size_bytes: int | None
    processing_state: str
    processing_failure_reason: str | None
    version: int
    last_uploaded_at: datetime
    links: tuple[IndexLink, ...]


@dataclass(frozen=True, slots=True)
class DocumentIndexRecord:
    """A stored document index."""

    id: str
    name: str
    label: str
    status: str
    indexing_config: dict[str, Any]
    created: datetime


_Item = TypeVar("_Item")


@dataclass(frozen=True, slots=True)
class Page(Generic[_Item]):
    """One page of a list query and the total number of matching rows."""

    count: int
    items: list[_Item]


def _now() -> datetime:
    return datetime.now(UTC)


def _format_time(value: datetime) -> str:
    # Fixed-width text with microseconds, so that string order is time order.
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _like_pattern(search: str) -> str:
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _order_by(ordering: Sequence[str], columns: dict[str, str], seq: str) -> str:
    terms: list[str] = []
    for raw_field in ordering:
        field = raw_field.strip()
        descending = field.startswith("-")
        name = field.removeprefix("-")
        if name not in columns:
            allowed = ", ".join(sorted(columns))
            raise InvalidOrderingError(
                f"cannot order by {raw_field!r}, so use one of {allowed}, "
                "optionally prefixed with '-'"
            )
        terms.append(f"{columns[name]} {'DESC' if descending else 'ASC'}")
    terms.append(f"{seq} ASC")
    return ", ".join(terms)


def _limit_clause(limit: int | None, offset: int) -> tuple[str, list[int]]:
    # SQLite needs a LIMIT before an OFFSET, and -1 means no limit.
    return " LIMIT ? OFFSET ?", [-1 if limit is None else limit, offset]


class DocumentStore:
    """Documents, document indexes and their links in one SQLite database."""

    def __init__(self, database_path: Path) -> None:
        self._lock = threading.Lock()
        self._connection = sqlite3.connect(
            database_path,
            isolation_level=None,
            check_same_thread=False,
        )
        self._connection.row_factory = sqlite3.Row
        self._connection.execute("PRAGMA journal_mode = WAL")
        # FULL makes each commit durable once COMMIT returns, at the cost of an
        # fsync per transaction.
        self._connection.execute("PRAGMA synchronous = FULL")
        self._connection.execute("PRAGMA foreign_keys = ON")
        self._connection.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._connection.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            connection = self._connection
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    # Documents

    def upsert_document(self, upload: DocumentUpload) -> UpsertResult:
        """Insert a document, or replace the one with the same external id.

        The UNIQUE constraint on ``external_id`` and the ``ON CONFLICT`` clause
        keep one document per external id even under concurrent uploads. A
        replacement keeps the document id, bumps ``version`` and moves
        ``last_uploaded_at`` strictly forward.

        Args:
            upload: The validated upload, with its content file already on disk.

        Returns:
            The document id, the new version, whether the document is new, and
            the content file that the replacement made unused.

        Raises:
            IndexNotFoundError: An index named in the upload does not exist.
                Nothing is written in that case.
        """
        with self._transaction() as connection:
            index_ids = [
                self._require_index_id(connection, reference)
                for reference in upload.index_references
            ]

            previous = None
            if upload.external_id is not None:
                previous = connection.execute(
                    "SELECT id, content_id, last_uploaded_at FROM documents "
                    "WHERE external_id = ?",
                    (upload.external_id,),
                ).fetchone()

            uploaded_at = _now()
            if previous is not None:
                earliest = _parse_time(previous["last_uploaded_at"]) + timedelta(
                    microseconds=1
                )
                uploaded_at = max(uploaded_at, earliest)

            content = upload.content
            row = connection.execute(
                """
                INSERT INTO documents (
                    id, external_id, label, keywords, metadata, url, content_id,
                    filename, content_type, size_bytes, processing_state,
                    processing_failure_reason, version, created_at, last_uploaded_at
                )
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 1, ?, ?)
                ON CONFLICT (external_id) DO UPDATE SET
                    label = excluded.label,
                    keywords = excluded.keywords,
                    metadata = excluded.metadata,
                    url = excluded.url,
                    content_id = excluded.content_id,
                    filename = excluded.filename,
                    content_type = excluded.content_type,
                    size_bytes = excluded.size_bytes,
                    processing_state = excluded.processing_state,
                    processing_failure_reason = NULL,
                    version = documents.version + 1,
                    last_uploaded_at = excluded.last_uploaded_at
                RETURNING id, version
                """,
                (
                    str(uuid.uuid4()),
                    upload.external_id,
                    upload.label,
                    json.dumps(list(upload.keywords)),
                    None if upload.metadata is None else json.dumps(upload.metadata),
                    upload.url,
                    None if content is None else content.content_id,
                    None if content is None else content.filename,
                    None if content is None else content.content_type,
                    None if content is None else content.size_bytes,
                    QUEUED,
                    _format_time(uploaded_at),
                    _format_time(uploaded_at),
                ),
            ).fetchone()
            document_id: str = row["id"]
            version: int = row["version"]

            for index_id in index_ids:
                self._insert_link(connection, document_id, index_id)

        return UpsertResult(
            document_id=document_id,
            version=version,
            created=previous is None,
            replaced_content_id=None if previous is None else previous["content_id"],
        )

    def get_document(self, reference: str) -> DocumentRecord | None:
        """Return the document whose UUID, or else external id, is ``reference``."""
        with self._transaction() as connection:
            row = self._find_document_row(connection, reference)
            if row is None:
                return None
            return self._documents_from_rows(connection, [row])[0]

    def list_documents(
        self,
        *,
        index_reference: str | None,
        search: str | None,
        ordering: Sequence[str],
        limit: int | None,
        offset: int,
    ) -> Page[DocumentRecord]:
        """Return one page of documents, optionally only those in one index.

        Args:
            index_reference: UUID or name of a document index to filter on.
            search: Case-insensitive substring of the label or external id.
            ordering: Field names, each optionally prefixed with ``-``.
            limit: Maximum number of documents to return, or None for all.
            offset: Number of matching documents to skip.

        Raises:
            IndexNotFoundError: ``index_reference`` matches no index.
            InvalidOrderingError: An ordering field is not supported.
        """
        order_by = _order_by(ordering, _DOCUMENT_ORDERING, "d.seq")
        with self._transaction() as connection:
            conditions: list[str] = []
            parameters: list[Any] = []
            if index_reference is not None:
                index_id = self._require_index_id(connection, index_reference)
                conditions.append(
                    "d.id IN (SELECT document_id FROM document_index_links "
                    "WHERE document_index_id = ?)"
                )
                parameters.append(index_id)
            if search:
                conditions.append(
                    "(d.label LIKE ? ESCAPE '\\' OR d.external_id LIKE ? ESCAPE '\\')"
                )
                parameters += [_like_pattern(search), _like_pattern(search)]
            where = f" WHERE {' AND '.join(conditions)}" if conditions else ""

            count = connection.execute(
                f"SELECT COUNT(*) FROM documents d{where}", parameters
            ).fetchone()[0]
            limit_sql, limit_parameters = _limit_clause(limit, offset)
            rows = connection.execute(
                f"SELECT d.* FROM documents d{where} ORDER BY {order_by}{limit_sql}",
                [*parameters, *limit_parameters],
            ).fetchall()
            return Page(count=count, items=self._documents_from_rows(connection, rows))

    def update_document(
        self,
        reference: str,
        *,
        label: str | Unset = UNSET,
        keywords: Sequence[str] | Unset | None = UNSET,
        metadata: dict[str, Any] | Unset | None = UNSET,
    ) -> DocumentRecord | None:
        """Change the given fields of a document and return it, or None if absent."""
        assignments: list[str] = []
        parameters: list[Any] = []
        if not isinstance(label, Unset):
            assignments.append("label = ?")
            parameters.append(label)
        if not isinstance(keywords, Unset):
            assignments.append("keywords = ?")
            parameters.append(json.dumps([] if keywords is None else list(keywords)))
        if not isinstance(metadata, Unset):
            assignments.append("metadata = ?")
            parameters.append(None if metadata is None else json.dumps(metadata))

        with self._transaction() as connection:
            row = self._find_document_row(connection, reference)
            if row is None:
                return None
            if assignments:
                connection.execute(
                    f"UPDATE documents SET {', '.join(assignments)} WHERE id = ?",
                    [*parameters, row["id"]],
                )
                row = self._find_document_row(connection, row["id"])
                assert row is not None
            return self._documents_from_rows(connection, [row])[0]

    def delete_document(self, reference: str) -> DocumentRecord | None:
        """Delete a document and its index links, and return what was deleted."""
        with self._transaction() as connection:
            row = self._find_document_row(connection, reference)
            if row is None:
                return None
            record = self._documents_from_rows(connection, [row])[0]
            connection.execute("DELETE FROM documents WHERE id = ?", (record.id,))
            return record

    def list_queued_documents(self) -> list[tuple[str, int]]:
        """Return the id and version of every document still waiting to process."""
        with self._transaction() as connection:
            rows = connection.execute(
                "SELECT id, version FROM documents WHERE processing_state = ? "
                "ORDER BY seq",
                (QUEUED,),
            ).fetchall()
        return [(row["id"], row["version"]) for row in rows]

    def finish_processing(self, document_id: str, version: int) -> str | None:
        """Move a queued document to PROCESSED, or to FAILED if its file is empty.

        Only the given version changes: when a newer upload replaced the document
        meanwhile, nothing is written and None is returned.

        Returns:
            The new processing state, or None when nothing changed.
        """
        with self._transaction() as connection:
            row = connection.execute(
                "SELECT size_bytes, content_id FROM documents "
                "WHERE id = ? AND version = ? AND processing_state = ?",
                (document_id, version, QUEUED),
            ).fetchone()
            if row is None:
                return None
            is_empty_file = row["content_id"] is not None and row["size_bytes"] == 0
            state, reason = (
                (FAILED, INVALID_FILE) if is_empty_file else (PROCESSED, None)
            )
            connection.execute(
                "UPDATE documents SET processing_state = ?, "
                "processing_failure_reason = ? WHERE id = ?",
                (state, reason, document_id),
            )
            return state

    def open_content(
        self, reference: str, open_file: Callable[[str], BinaryIO]
    ) -> tuple[DocumentRecord, BinaryIO]:
        """Open the content file of a document while no upload can replace it.

        The file is opened under the store lock, so the record and the open file
        belong to the same upload even if a replacement deletes the file later.

        Args:
            reference: Document UUID or external id.
            open_file: Opens a content file by its content id.

        Returns:
            The document and a binary file object that the caller must close.

        Raises:
            DocumentNotFoundError: No document matches, or it has no stored file.
        """
        with self._transaction() as connection:
            row = self._find_document_row(connection, reference)
            if row is None or row["content_id"] is None:
                raise DocumentNotFoundError(reference)
            record = self._documents_from_rows(connection, [row])[0]
            return record, open_file(row["content_id"])

    def referenced_content_ids(self) -> set[str]:
        """Return the content file names that some document points to."""
        with self._transaction() as connection:
            rows = connection.execute(
                "SELECT content_id FROM documents WHERE content_id IS NOT NULL"
            ).fetchall()
        return {row["content_id"] for row in rows}

    def delete_everything(self) -> list[str]:
        """Delete every document, index and link, and return the freed content ids."""
        with self._transaction() as connection:
            rows = connection.execute(
                "SELECT content_id FROM documents WHERE content_id IS NOT NULL"
            ).fetchall()
            connection.execute("DELETE FROM document_index_links")
            connection.execute("DELETE FROM documents")
            connection.execute("DELETE FROM document_indexes")
        return [row["content_id"] for row in rows]

    # Document indexes

    def create_index(
        self,
        *,
        name: str,
        label: str,
        status: str,
        indexing_config: dict[str, Any],
        copy_documents_from: str | None,
    ) -> DocumentIndexRecord:
        """Create a document index, optionally with the documents of another one.

        Raises:
            DuplicateIndexNameError: Another index already has ``name``.
            IndexNotFoundError: ``copy_documents_from`` matches no index.
        """
        index_id = str(uuid.uuid4())
        created = _format_time(_now())
        with self._transaction() as connection:
            source_id = None
            if copy_documents_from is not None:
                source_id = self._require_index_id(connection, copy_documents_from)
            try:
                connection.execute(
                    "INSERT INTO document_indexes "
                    "(id, name, label, status, indexing_config, created) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        index_id,
                        name,
                        label,
                        status,
                        json.dumps(indexing_config),
                        created,
                    ),
                )
            except sqlite3.IntegrityError as error:
                raise DuplicateIndexNameError(name) from error
            if source_id is not None:
                documents = connection.execute(
                    "SELECT document_id FROM document_index_links "
                    "WHERE document_index_id = ? ORDER BY seq",
                    (source_id,),
                ).fetchall()
                for document in documents:
                    self._insert_link(connection, document["document_id"], index_id)
            row = connection.execute(
                "SELECT * FROM document_indexes WHERE id = ?", (index_id,)
            ).fetchone()
            return self._index_from_row(row)

    def get_index(self, reference: str) -> DocumentIndexRecord | None:
        """Return the index whose UUID, or else name, is ``reference``."""
        with self._transaction() as connection:
            row = self._find_index_row(connection, reference)
            return None if row is None else self._index_from_row(row)

    def list_indexes(
        self,
        *,
        search: str | None,
        status: str | None,
        ordering: Sequence[str],
        limit: int | None,
        offset: int,
    ) -> Page[DocumentIndexRecord]:
        """Return one page of document indexes.

        Raises:
            InvalidOrderingError: An ordering field is not supported.
        """
        order_by = _order_by(ordering, _INDEX_ORDERING, "seq")
        conditions: list[str] = []
        parameters: list[Any] = []
        if search:
            conditions.append("(label LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\')")
            parameters += [_like_pattern(search), _like_pattern(search)]
        if status:
            conditions.append("status = ?")
            parameters.append(status)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        limit_sql, limit_parameters = _limit_clause(limit, offset)

        with self._transaction() as connection:
            count = connection.execute(
                f"SELECT COUNT(*) FROM document_indexes{where}", parameters
            ).fetchone()[0]
            rows = connection.execute(
                f"SELECT * FROM document_indexes{where} ORDER BY {order_by}{limit_sql}",
                [*parameters, *limit_parameters],
            ).fetchall()
        return Page(count=count, items=[self._index_from_row(row) for row in rows])

    def update_index(
        self,
        reference: str,
        *,
        label: str | Unset = UNSET,
        status: str | Unset = UNSET,
    ) -> DocumentIndexRecord | None:
        """Change the label or status of an index and return it, or None if absent."""
        with self._transaction() as connection:
            row = self._find_index_row(connection, reference)
            if row is None:
                return None
            if not isinstance(label, Unset):
                connection.execute(
                    "UPDATE document_indexes SET label = ? WHERE id = ?",
                    (label, row["id"]),
                )
            if not isinstance(status, Unset):
                connection.execute(
                    "UPDATE document_indexes SET status = ? WHERE id = ?",
                    (status, row["id"]),
                )
            row = self._find_index_row(connection, row["id"])
            assert row is not None
            return self._index_from_row(row)

    def delete_index(self, reference: str) -> bool:
        """Delete an index and its links but keep the documents.

        Returns:
            Whether the index existed.
        """
        with self._transaction() as connection:
            row = self._find_index_row(connection, reference)
            if row is None:
                return False
            connection.execute(
                "DELETE FROM document_indexes WHERE id = ?", (row["id"],)
            )
            return True

    def add_document_to_index(
        self, index_reference: str, document_reference: str
    ) -> None:
        """Add a document to an index, which is a no-op the second time.

        Raises:
            IndexNotFoundError: No index matches ``index_reference``.
            DocumentNotFoundError: No document matches ``document_reference``.
        """
        with self._transaction() as connection:
            index_id = self._require_index_id(connection, index_reference)
            document = self._find_document_row(connection, document_reference)
            if document is None:
                raise DocumentNotFoundError(document_reference)
            self._insert_link(connection, document["id"], index_id)

    def remove_document_from_index(
        self, index_reference: str, document_reference: str
    ) -> bool:
        """Remove a document from an index and return whether it was in it.

        Raises:
            IndexNotFoundError: No index matches ``index_reference``.
            DocumentNotFoundError: No document matches ``document_reference``.
        """
        with self._transaction() as connection:
            index_id = self._require_index_id(connection, index_reference)
            document = self._find_document_row(connection, document_reference)
            if document is None:
                raise DocumentNotFoundError(document_reference)
            cursor = connection.execute(
                "DELETE FROM document_index_links "
                "WHERE document_id = ? AND document_index_id = ?",
                (document["id"], index_id),
            )
            return cursor.rowcount > 0

    # Helpers that expect the caller to hold a transaction

    @staticmethod
    def _find_document_row(
        connection: sqlite3.Connection, reference: str
    ) -> sqlite3.Row | None:
        row: sqlite3.Row | None = connection.execute(
            "SELECT * FROM documents WHERE id = ?", (reference,)
        ).fetchone()
        if row is None:
            row = connection.execute(
                "SELECT * FROM documents WHERE external_id = ?", (reference,)
            ).fetchone()
        return row

    @staticmethod
    def _find_index_row(
        connection: sqlite3.Connection, reference: str
    ) -> sqlite3.Row | None:
        row: sqlite3.Row | None = connection.execute(
            "SELECT * FROM document_indexes WHERE id = ?", (reference,)
        ).fetchone()
        if row is None:
            row = connection.execute(
                "SELECT * FROM document_indexes WHERE name = ?", (reference,)
            ).fetchone()
        return row

    def _require_index_id(self, connection: sqlite3.Connection, reference: str) -> str:
        row = self._find_index_row(connection, reference)
        if row is None:
            raise IndexNotFoundError(reference)
        index_id: str = row["id"]
        return index_id

    @staticmethod
    def _insert_link(
        connection: sqlite3.Connection, document_id: str, index_id: str
    ) -> None:
        connection.execute(
            "INSERT INTO document_index_links (id, document_id, document_index_id) "
            "VALUES (?, ?, ?) ON CONFLICT (document_id, document_index_id) DO NOTHING",
            (str(uuid.uuid4()), document_id, index_id),
        )

    @staticmethod
    def _documents_from_rows(
        connection: sqlite3.Connection, rows: Sequence[sqlite3.Row]
    ) -> list[DocumentRecord]:
        links: dict[str, list[IndexLink]] = {row["id"]: [] for row in rows}
        document_ids = list(links)
        for start in range(0, len(document_ids), _IN_CLAUSE_BATCH):
            batch = document_ids[start : start + _IN_CLAUSE_BATCH]
            placeholders = ", ".join("?" for _ in batch)
            link_rows = connection.execute(
                "SELECT id, document_id, document_index_id FROM document_index_links "
                f"WHERE document_id IN ({placeholders}) ORDER BY seq",
                batch,
            ).fetchall()
            for link in link_rows:
                links[link["document_id"]].append(
                    IndexLink(
                        id=link["id"], document_index_id=link["document_index_id"]
                    )
                )

        return [
            DocumentRecord(
                id=row["id"],
                external_id=row["external_id"],
                label=row["label"],
                keywords=tuple(json.loads(row["keywords"])),
                metadata=None
                if row["metadata"] is None
                else json.loads(row["metadata"]),
                url=row["url"],
                content_id=row["content_id"],
                filename=row["filename"],
                content_type=row["content_type"],
                size_bytes=row["size_bytes"],
                processing_state=row["processing_state"],
                processing_failure_reason=row["processing_failure_reason"],
                version=row["version"],
                last_uploaded_at=_parse_time(row["last_uploaded_at"]),
                links=tuple(links[row["id"]]),
            )
            for row in rows
        ]

    @staticmethod
    def _index_from_row(row: sqlite3.Row) -> DocumentIndexRecord:
        return DocumentIndexRecord(
            id=row["id"],
            name=row["name"],
            label=row["label"],
            status=row["status"],
            indexing_config=json.loads(row["indexing_config"]),
            created=_parse_time(row["created"]),
        )

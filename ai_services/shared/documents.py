"""Rules for document identifiers and S3 object keys; pure functions, no I/O.

The workflow imports this module, so it must stay deterministic and free of
side effects.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

# Vellum puts an external id directly into URL paths (`/v1/documents/{id}`), where
# `/`, `?` and `#` change the URL, and documents it as 1 to 1000 characters.
MAX_EXTERNAL_ID_CHARS = 1000
# S3 object keys are at most 1024 bytes of UTF-8.
MAX_S3_KEY_BYTES = 1024
MAX_FILENAME_BYTES = 255
# Vellum documents a label of 1 to 1000 characters.
MAX_LABEL_CHARS = 1000
REMOTE_KEY_PREFIX = "tenants"
# Metadata keys that locate the archived copy. The worker always sets them, also
# when the S3 upload was skipped, so that every document records where its copy
# is or would be.
S3_BUCKET_METADATA_KEY = "S3_BUCKET"
S3_OBJECT_KEY_METADATA_KEY = "S3_OBJECT_KEY"
RESERVED_METADATA_KEYS = frozenset({S3_BUCKET_METADATA_KEY, S3_OBJECT_KEY_METADATA_KEY})

# The Vellum SDK puts ids into URL paths without encoding them, so `%` would be
# decoded by the server into another id.
_FORBIDDEN_ID_CHARACTERS = re.compile(r"[/?#%\\\x00-\x1f\x7f]")
_UNSAFE_KEY_CHARACTERS = re.compile(r"[\x00-\x1f\x7f/\\]+")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]+")


class InvalidDocumentInputError(ValueError):
    """Workflow input that no retry can fix; the message names the field."""


def check_identifier(field: str, value: str) -> None:
    """Reject an id that cannot be used in a Vellum URL path or an S3 key segment.

    Raises:
        InvalidDocumentInputError: the id is empty, too long, `.`/`..`, or contains
            `/`, `?`, `#`, a backslash or a control character.
    """
    if not value:
        raise InvalidDocumentInputError(f"{field} is empty: give a non-empty id")
    if len(value) > MAX_EXTERNAL_ID_CHARS:
        raise InvalidDocumentInputError(
            f"{field} is {len(value)} characters long: the maximum is "
            f"{MAX_EXTERNAL_ID_CHARS}"
        )
    if value in (".", "..") or value != value.strip():
        raise InvalidDocumentInputError(
            f"{field} {value!r} is invalid: use an id without leading or trailing "
            "spaces that is not '.' or '..'"
        )
    found = _FORBIDDEN_ID_CHARACTERS.search(value)
    if found:
        raise InvalidDocumentInputError(
            f"{field} {value!r} contains {found.group()!r}, which cannot be used in "
            "a Vellum URL path: use an id without '/', '?', '#', '%', '\\' or "
            "control characters"
        )
    if not _is_encodable(value):
        raise InvalidDocumentInputError(
            f"{field} {value!r} is not valid Unicode text (a lone surrogate)"
        )


def _is_encodable(value: str) -> bool:
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def check_metadata(metadata: dict[str, str] | None) -> None:
    """Reject caller metadata that would override the S3 location keys."""
    if not metadata:
        return
    clash = sorted(RESERVED_METADATA_KEYS & set(metadata))
    if clash:
        raise InvalidDocumentInputError(
            f"metadata key(s) {', '.join(clash)} are set by the worker to the "
            "archived copy's location: remove them from the metadata"
        )
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise InvalidDocumentInputError(
                f"metadata entry {key!r} must map a string to a string"
            )


def _without_surrogates(text: str) -> str:
    """Replace lone surrogates, which no UTF-8 key or header can carry, by `_`."""
    return (
        text.encode("utf-8", "surrogatepass")
        .decode("utf-8", "replace")
        .replace("\ufffd", "_")
    )


def safe_filename(filename: str) -> str:
    """Return `filename` as one safe S3 key segment.

    Path separators and control characters become `_`, `.` and `..` and empty
    names become `document`, and the name is cut to 255 bytes, keeping its
    extension where it fits.
    """
    name = unicodedata.normalize("NFC", _without_surrogates(filename))
    name = _UNSAFE_KEY_CHARACTERS.sub("_", name).strip(" ")
    if name.strip(".") == "":
        name = "document"
    encoded = name.encode()
    if len(encoded) <= MAX_FILENAME_BYTES:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension.encode()) > 16:
        stem, extension = name, ""
    suffix = f".{extension}" if extension else ""
    budget = MAX_FILENAME_BYTES - len(suffix.encode())
    stem = stem.encode()[:budget].decode(errors="ignore")
    return stem + suffix


def document_label(filename: str) -> str:
    """Return the Vellum label for `filename`: the name itself where it is safe.

    Control characters (which could break the multipart headers) become `_`, the
    label is cut to Vellum's 1000 characters, and an empty name becomes
    `document`. Path-like names such as `../a.pdf` are kept, because a label is
    only text.
    """
    label = unicodedata.normalize("NFC", _without_surrogates(filename))
    label = _CONTROL_CHARACTERS.sub("_", label)
    label = label.strip()[:MAX_LABEL_CHARS]
    return label or "document"


def tenant_key_prefix(tenant_id: str) -> str:
    """Return the S3 key prefix under which all of a tenant's documents are kept."""
    return f"{REMOTE_KEY_PREFIX}/{tenant_id}/"


def build_remote_key(tenant_id: str, external_id: str, filename: str) -> str:
    """Build the S3 key of a document's archived copy, inside its tenant's prefix.

    The key is `tenants/<tenant_id>/<sha256 of external_id>/<filename>`. Hashing
    the external id keeps the key short and free of characters S3 treats
    specially, and the same inputs always give the same key.
    """
    check_identifier("tenant_id", tenant_id)
    digest = hashlib.sha256(external_id.encode()).hexdigest()
    prefix = f"{tenant_key_prefix(tenant_id)}{digest}/"
    if len(prefix.encode()) > MAX_S3_KEY_BYTES - 16:
        raise InvalidDocumentInputError(
            f"tenant_id is {len(tenant_id.encode())} bytes long: too long for an "
            f"S3 key of at most {MAX_S3_KEY_BYTES} bytes"
        )
    name = safe_filename(filename)
    room = MAX_S3_KEY_BYTES - len(prefix.encode())
    if len(name.encode()) > room:
        name = name.encode()[:room].decode(errors="ignore")
    return prefix + name


def build_document_metadata(
    metadata: dict[str, str] | None, *, bucket: str, remote_key: str
) -> dict[str, str]:
    """Merge the caller's metadata with the S3 location keys, which always win."""
    return {
        **(metadata or {}),
        S3_BUCKET_METADATA_KEY: bucket,
        S3_OBJECT_KEY_METADATA_KEY: remote_key,
    }

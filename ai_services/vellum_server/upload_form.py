"""Validation of the multipart form that ``documents.upload`` sends.

vellum-ai 1.14.8 sends list fields as one part per item, sends an explicit
``None`` as an empty-string part, and sends ``metadata`` as a JSON string. An
empty-string part therefore counts as absent here. List fields also accept a
JSON array in a single part, as in Vellum's curl examples.
"""

from __future__ import annotations

import io
import json
import mimetypes
from dataclasses import dataclass
from typing import Any, BinaryIO, Final
from urllib.parse import urlsplit

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

# Vellum documents these limits for labels and external ids.
MAX_LABEL_CHARS: Final = 1000
MAX_EXTERNAL_ID_CHARS: Final = 1000

DEFAULT_FILENAME: Final = "upload"
DEFAULT_CONTENT_TYPE: Final = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class UploadedContents:
    """The ``contents`` part: an open file positioned at its start."""

    file: BinaryIO
    filename: str
    content_type: str
    size_bytes: int


@dataclass(frozen=True, slots=True)
class UploadFields:
    """The validated fields of one upload request."""

    label: str
    external_id: str | None
    keywords: tuple[str, ...]
    metadata: dict[str, Any] | None
    url: str | None
    index_references: tuple[str, ...]
    contents: UploadedContents | None


def _bad_request(detail: str) -> HTTPException:
    return HTTPException(400, detail)


def _text_values(form: FormData, name: str) -> list[str]:
    values: list[str] = []
    for value in form.getlist(name):
        if not isinstance(value, str):
            raise _bad_request(f"{name} must be a text field, not a file.")
        if value != "":
            values.append(value)
    return values


def optional_text(form: FormData, name: str) -> str | None:
    """Return a single text field, or None when it is absent or empty.

    Raises:
        HTTPException: 400 when the field is a file or is given more than once.
    """
    values = _text_values(form, name)
    if len(values) > 1:
        raise _bad_request(
            f"{name} was given {len(values)} times, but it must be sent once."
        )
    return values[0] if values else None


def text_list(form: FormData, name: str) -> tuple[str, ...]:
    """Return a list field sent as repeated parts or as one JSON-array part.

    A part that starts with ``[`` but is not valid JSON is kept as one item.

    Raises:
        HTTPException: 400 when a JSON array contains something other than
            strings.
    """
    items: list[str] = []
    for value in _text_values(form, name):
        if value.lstrip().startswith("["):
            try:
                parsed = json.loads(value)
            except json.JSONDecodeError:
                parsed = None
            if isinstance(parsed, list):
                if not all(isinstance(item, str) for item in parsed):
                    raise _bad_request(f"{name} must be a list of strings.")
                items.extend(item for item in parsed if item != "")
                continue
        items.append(value)
    return tuple(items)


def _parse_label(form: FormData) -> str:
    label = optional_text(form, "label")
    if label is None or not label.strip():
        raise _bad_request("label is required and must not be empty.")
    if len(label) > MAX_LABEL_CHARS:
        raise _bad_request(
            f"label is {len(label)} characters long, but the maximum is "
            f"{MAX_LABEL_CHARS}."
        )
    return label


def _parse_external_id(form: FormData) -> str | None:
    external_id = optional_text(form, "external_id")
    if external_id is not None and len(external_id) > MAX_EXTERNAL_ID_CHARS:
        raise _bad_request(
            f"external_id is {len(external_id)} characters long, but "
            f"the maximum is {MAX_EXTERNAL_ID_CHARS}."
        )
    return external_id


def _parse_metadata(form: FormData) -> dict[str, Any] | None:
    raw = optional_text(form, "metadata")
    if raw is None:
        return None
    try:
        metadata = json.loads(raw)
    except json.JSONDecodeError as error:
        raise _bad_request(
            f"metadata must be a JSON object encoded as a string: {error}."
        ) from error
    if not isinstance(metadata, dict):
        raise _bad_request(
            f"metadata must be a JSON object, got a JSON {type(metadata).__name__}."
        )
    return metadata


def _parse_url(form: FormData) -> str | None:
    url = optional_text(form, "url")
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _bad_request(f"url must be an absolute http or https URL, got {url!r}.")
    return url


def _parse_contents(form: FormData, max_document_bytes: int) -> UploadedContents | None:
    values = [value for value in form.getlist("contents") if value != ""]
    if len(values) > 1:
        raise _bad_request(
            f"contents was given {len(values)} times, but it must be one file."
        )
    if not values:
        return None
    value = values[0]

    if isinstance(value, UploadFile):
        filename = value.filename or DEFAULT_FILENAME
        content_type = value.content_type or (
            mimetypes.guess_type(filename)[0] or DEFAULT_CONTENT_TYPE
        )
        size = value.size if value.size is not None else _measure(value.file)
        contents = UploadedContents(
            file=value.file,
            filename=filename,
            content_type=content_type,
            size_bytes=size,
        )
    else:
        # A text part without a filename, e.g. ``curl -F contents=hello``.
        data = value.encode("utf-8")
        contents = UploadedContents(
            file=io.BytesIO(data),
            filename=DEFAULT_FILENAME,
            content_type="text/plain; charset=utf-8",
            size_bytes=len(data),
        )

    if contents.size_bytes > max_document_bytes:
        raise _bad_request(
            f"contents is {contents.size_bytes} bytes, larger than the maximum "
            f"document size of {max_document_bytes} bytes."
        )
    return contents


def _measure(file: BinaryIO) -> int:
    size = file.seek(0, io.SEEK_END)
    file.seek(0)
    return size


def parse_upload_form(form: FormData, *, max_document_bytes: int) -> UploadFields:
    """Validate an upload form.

    Exactly one of ``contents`` and ``url`` must be given, ``label`` must not be
    empty, and ``metadata``, when given, must be a JSON object.

    Raises:
        HTTPException: 400 with a detail that names the invalid field.
    """
    label = _parse_label(form)
    external_id = _parse_external_id(form)
    metadata = _parse_metadata(form)
    url = _parse_url(form)
    contents = _parse_contents(form, max_document_bytes)
    if contents is None and url is None:
        raise _bad_request("Either contents or url is required.")
    if contents is not None and url is not None:
        raise _bad_request("Send either contents or url, not both.")

    # vellum-ai 1.14.8 has no add_to_index_ids argument, but callers can send it
    # as an additional body parameter. It takes index UUIDs or names.
    index_references = text_list(form, "add_to_index_names") + text_list(
        form, "add_to_index_ids"
    )
    return UploadFields(
        label=label,
        external_id=external_id,
        keywords=text_list(form, "keywords"),
        metadata=metadata,
        url=url,
        index_references=tuple(dict.fromkeys(index_references)),
        contents=contents,
    )

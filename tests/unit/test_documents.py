import pytest

from ai_services.shared.documents import (
    MAX_S3_KEY_BYTES,
    InvalidDocumentInputError,
    build_document_metadata,
    build_remote_key,
    check_identifier,
    check_metadata,
    document_label,
    safe_filename,
)

HOSTILE_FILENAMES = [
    "../../other-tenant/x.pdf",
    "/etc/passwd",
    "a//b.pdf",
    "..",
    ".",
    "",
    "a\x00b.pdf",
    "report\r\n.pdf",
    "x" * 1100 + ".pdf",
    "ü" * 600 + ".pdf",
    "C:\\Windows\\system32",
    "lone\udc80surrogate.pdf",
]


@pytest.mark.parametrize("filename", HOSTILE_FILENAMES)
def test_remote_key_stays_in_tenant_prefix(filename: str) -> None:
    key = build_remote_key("tenant-1", "ext-1", filename)
    segments = key.split("/")
    assert key.startswith("tenants/tenant-1/")
    assert len(segments) == 4
    assert all(segment not in ("", ".", "..") for segment in segments)
    assert not any(ord(character) < 32 or ord(character) == 127 for character in key)
    assert len(key.encode()) <= MAX_S3_KEY_BYTES


def test_remote_key_is_deterministic() -> None:
    first = build_remote_key("t", "ext", "a.pdf")
    assert first == build_remote_key("t", "ext", "a.pdf")
    assert first != build_remote_key("t", "ext-2", "a.pdf")
    assert first != build_remote_key("t2", "ext", "a.pdf")


def test_safe_filename_keeps_plain_and_non_ascii_names() -> None:
    assert safe_filename("report.pdf") == "report.pdf"
    assert safe_filename("Política de contraseñas.txt") == "Política de contraseñas.txt"


def test_safe_filename_keeps_extension_when_cut() -> None:
    name = safe_filename("x" * 1100 + ".pdf")
    assert name.endswith(".pdf")
    assert len(name.encode()) == 255


@pytest.mark.parametrize(
    "value",
    ["a/b", "a?b", "a#b", "a%20b", "", "..", " a", "a\nb", "x\udc80", "x" * 1001],
)
def test_identifier_rejected(value: str) -> None:
    with pytest.raises(InvalidDocumentInputError, match="external_id"):
        check_identifier("external_id", value)


def test_identifier_accepted() -> None:
    check_identifier("external_id", "tenant-1-3f2a:doc.pdf@v2 (copy)")


def test_metadata_cannot_override_location_keys() -> None:
    with pytest.raises(InvalidDocumentInputError, match="S3_OBJECT_KEY"):
        check_metadata({"S3_OBJECT_KEY": "elsewhere"})


def test_document_metadata_always_has_location() -> None:
    metadata = build_document_metadata({"team": "risk"}, bucket="b", remote_key="k")
    assert metadata == {"team": "risk", "S3_BUCKET": "b", "S3_OBJECT_KEY": "k"}
    assert build_document_metadata(None, bucket="b", remote_key="k") == {
        "S3_BUCKET": "b",
        "S3_OBJECT_KEY": "k",
    }


@pytest.mark.parametrize(
    ("filename", "label"),
    [
        ("report.pdf", "report.pdf"),
        ("Política de contraseñas.txt", "Política de contraseñas.txt"),
        ("../../other-tenant/x.pdf", "../../other-tenant/x.pdf"),
        ("a\x00b.pdf", "a_b.pdf"),
        ("report\r\n.pdf", "report_.pdf"),
        ("", "document"),
        ("x" * 1100, "x" * 1000),
    ],
)
def test_document_label(filename: str, label: str) -> None:
    assert document_label(filename) == label

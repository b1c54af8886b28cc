"""Worker settings, read from the environment.

`get_settings()` loads them once per process. The worker calls it at start, so a
missing or invalid variable stops the process with the variable's name before any
task is polled.
"""

from __future__ import annotations

import functools
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ai_services.temporal_workers.helpers.payload_codec import (
    PayloadKeyError,
    parse_key,
)

# Hosts that serve presigned GET URLs for AWS S3 buckets, path and virtual-hosted
# style, in every region: s3.amazonaws.com, s3.eu-west-1.amazonaws.com,
# bucket.s3.amazonaws.com, bucket.s3.eu-west-1.amazonaws.com.
DEFAULT_SOURCE_URL_ALLOWED_HOSTS = ("s3.amazonaws.com", "*.amazonaws.com")

# Vellum documents accept files up to 32 MB. The limit is read as 32 MiB here, the
# larger reading, so that no file Vellum accepts is rejected by the worker.
DEFAULT_MAX_DOCUMENT_BYTES = 32 * 1024 * 1024


class SettingsError(Exception):
    """A setting is missing or invalid; the message names the variable."""


class Settings(BaseSettings):
    """Settings of the worker and of the `ai-services` commands."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore")

    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    temporal_task_queue: str = "vellum-documents"
    # Temporal Cloud: an API key turns on TLS as well.
    temporal_api_key: SecretStr | None = None
    temporal_tls: bool = False
    # Base64 AES-256 key that encrypts workflow and activity payloads, which carry
    # presigned URLs. Clients that start workflows need the same key.
    temporal_payload_encryption_key: SecretStr | None = None

    aws_s3_bucket: str = Field(min_length=3, max_length=63)
    # boto3 reads AWS_ENDPOINT_URL_S3 itself; it is kept here to show it in logs.
    aws_endpoint_url_s3: str | None = None

    vellum_api_key: SecretStr = Field(min_length=1)
    # One base URL for Vellum's default, documents and predict hosts, as the SDK's
    # own helper reads it. None means Vellum's production hosts.
    vellum_api_url: str | None = None
    # Whole seconds: the SDK's per-request timeout is an int.
    vellum_timeout_seconds: int = Field(default=120, ge=1)

    max_document_bytes: int = Field(default=DEFAULT_MAX_DOCUMENT_BYTES, gt=0)
    source_url_allowed_hosts: Annotated[tuple[str, ...], NoDecode] = (
        DEFAULT_SOURCE_URL_ALLOWED_HOSTS
    )
    download_connect_timeout_seconds: float = Field(default=10.0, gt=0)
    download_read_timeout_seconds: float = Field(default=60.0, gt=0)
    # With S3's 60 s read timeout and Vellum's 120 s, an attempt stays within the
    # activity's 5-minute start-to-close timeout, so that a slow source fails with
    # a clear timeout error instead of an activity timeout.
    download_deadline_seconds: float = Field(default=120.0, gt=0)
    s3_connect_timeout_seconds: float = Field(default=10.0, gt=0)
    s3_read_timeout_seconds: float = Field(default=60.0, gt=0)

    worker_max_concurrent_activities: int = Field(default=16, ge=1, le=1000)
    worker_graceful_shutdown_seconds: float = Field(default=30.0, ge=0)

    @field_validator("temporal_payload_encryption_key")
    @classmethod
    def _check_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                parse_key(value.get_secret_value())
            except PayloadKeyError as error:
                raise ValueError(str(error)) from None
        return value

    @field_validator("source_url_allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            parts = (part.strip().lower() for part in value.split(","))
            return tuple(part for part in parts if part)
        return value

    @field_validator("source_url_allowed_hosts")
    @classmethod
    def _check_hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            host = entry.removeprefix("*.")
            if not host or "*" in host or "/" in host or "@" in host:
                raise ValueError(
                    f"invalid host entry {entry!r}: use 'host', 'host:port' or "
                    "'*.domain', separated by commas"
                )
        return value


def describe_validation_error(error: ValidationError) -> str:
    """Turn a pydantic error into one line per variable, without its value."""
    lines = []
    for item in error.errors():
        variable = "_".join(str(part) for part in item["loc"]).upper()
        reason = "is not set" if item["type"] == "missing" else item["msg"]
        lines.append(f"{variable} {reason}")
    return "invalid settings: " + "; ".join(lines)


@functools.cache
def get_settings() -> Settings:
    """Load the settings once per process.

    Raises:
        SettingsError: a variable is missing or invalid.
    """
    try:
        return Settings()  # type: ignore[call-arg]
    except ValidationError as error:
        raise SettingsError(describe_validation_error(error)) from None

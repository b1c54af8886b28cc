"""Clients for the source, S3 and Vellum, built once per worker process.

`requests.Session`, boto3 clients and `vellum.Vellum` are costly to build, so
each is built once and shared by the activity threads. A boto3 client is
thread-safe, unlike a boto3 session. The requests Session is shared for its
connection pool only.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import boto3
import botocore.config
import requests
import requests.adapters
from vellum import Vellum, VellumEnvironment

from ai_services.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@functools.cache
def get_http_session() -> requests.Session:
    """Return the process's session for source downloads."""
    session = requests.Session()
    # Enough pooled connections for every activity slot; retries are Temporal's.
    adapter = requests.adapters.HTTPAdapter(
        pool_connections=16,
        pool_maxsize=get_settings().worker_max_concurrent_activities,
        max_retries=0,
    )
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


@functools.cache
def get_s3_client() -> S3Client:
    """Return the process's S3 client, with timeouts and few quick retries."""
    settings = get_settings()
    config = botocore.config.Config(
        connect_timeout=settings.s3_connect_timeout_seconds,
        read_timeout=settings.s3_read_timeout_seconds,
        retries={"max_attempts": 3, "mode": "standard"},
        max_pool_connections=settings.worker_max_concurrent_activities,
        # Path-style URLs work with S3-compatible stores on a plain host:port.
        s3={"addressing_style": "path"} if settings.aws_endpoint_url_s3 else None,
    )
    return boto3.session.Session().client("s3", config=config)


@functools.cache
def get_vellum_client() -> Vellum:
    """Return the process's Vellum client, with a timeout and no SDK retries.

    The SDK's own retry drops the multipart form fields of an upload, so every
    call passes `max_retries=0` as well, and Temporal does the retrying.
    """
    settings = get_settings()
    if settings.vellum_api_url:
        url = settings.vellum_api_url.rstrip("/")
        environment = VellumEnvironment(default=url, documents=url, predict=url)
    else:
        environment = VellumEnvironment.PRODUCTION
    return Vellum(
        api_key=settings.vellum_api_key.get_secret_value(),
        environment=environment,
        timeout=settings.vellum_timeout_seconds,
    )

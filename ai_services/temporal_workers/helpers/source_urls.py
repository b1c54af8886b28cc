"""Checks on source URLs, made before any connection is opened."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

import urllib3.util

_HOST_CHARACTERS = re.compile(r"[a-z0-9.\-]+|[0-9a-f:.]+")


class InvalidSourceUrlError(ValueError):
    """A source URL that the worker must not fetch; the message gives the reason."""


def _host_matches(host: str, port: int | None, entry: str) -> tuple[bool, bool]:
    """Return (matches, exact) for one allow-list entry."""
    if entry.startswith("*."):
        domain = entry[2:]
        return host.endswith("." + domain), False
    entry_host, _, entry_port = entry.rpartition(":")
    if entry_host and entry_port.isdigit():
        return host == entry_host and port == int(entry_port), True
    return host == entry, True


def check_source_url(url: str, allowed_hosts: Iterable[str]) -> None:
    """Reject a URL whose scheme or host is not allowed.

    `https` is allowed to every host on the allow-list. Plain `http` is allowed only
    to hosts listed by exact name (with or without a port), never through a `*.`
    entry, so that local stores can be reached without TLS.

    Raises:
        InvalidSourceUrlError: the scheme, the host or the URL itself is invalid.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise InvalidSourceUrlError(f"invalid source URL: {error}") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    shown = f"{scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"
    # urllib3, which opens the connection, must read the same host as this check:
    # a backslash or percent sign in the authority makes the two parsers differ.
    if host and (
        not _HOST_CHARACTERS.fullmatch(host)
        or (urllib3.util.parse_url(url).host or "").lower().rstrip(".") != host
    ):
        raise InvalidSourceUrlError(
            f"source URL host {host!r} is invalid: use a DNS name or an IP address"
        )
    if scheme not in ("http", "https"):
        raise InvalidSourceUrlError(
            f"source URL scheme {scheme!r} is not allowed ({shown}): use an https URL"
        )
    if not host:
        raise InvalidSourceUrlError(f"source URL has no host ({shown})")
    if parts.username or parts.password:
        raise InvalidSourceUrlError(
            f"source URL must not contain credentials ({shown})"
        )
    host_allowed = False
    for entry in allowed_hosts:
        matches, exact = _host_matches(host, port, entry)
        if matches and (scheme == "https" or exact):
            return
        host_allowed = host_allowed or matches
    reason = (
        "plain http is allowed only to hosts listed by exact name"
        if host_allowed
        else "the host is not allowed"
    )
    raise InvalidSourceUrlError(
        f"source URL {shown} rejected: {reason}; "
        "add the host to SOURCE_URL_ALLOWED_HOSTS if it is trusted"
    )

"""Removal of secrets from text that may reach logs or workflow history."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

# A URL's query string: presigned URLs carry their signature and credential there.
_URL_QUERY = re.compile(r"((?:https?://|url: )[^\s'\"<>?]*)\?[^\s'\"<>]*")
# Signature parameters and XML elements that can appear without a URL around them,
# e.g. in S3's SignatureDoesNotMatch body.
_SECRET_PARAMETER = re.compile(
    r"((?:X-Amz-(?:Signature|Credential|Security-Token)|AWSAccessKeyId|Signature"
    r"|x-amz-security-token)=)[^&\s'\"<>]+",
    re.IGNORECASE,
)
_SECRET_XML = re.compile(
    r"<(StringToSign|CanonicalRequest|AWSAccessKeyId|SignatureProvided"
    r"|StringToSignBytes|CanonicalRequestBytes)>.*?</\1>",
    re.DOTALL,
)


def strip_query(url: str) -> str:
    """Return `url` without its query string and fragment."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def redact_secrets(text: str) -> str:
    """Replace query strings, signatures and credential fields in `text`."""
    text = _URL_QUERY.sub(r"\1?[query removed]", text)
    text = _SECRET_PARAMETER.sub(r"\1[removed]", text)
    return _SECRET_XML.sub(r"<\1>[removed]</\1>", text)

"""Encryption of workflow and activity payloads before they reach Temporal.

Workflow inputs carry presigned URLs, whose query strings are credentials. With
this codec on the client and the worker, Temporal stores only ciphertext in
workflow history, so neither its database nor its UI shows them. Error messages
are not encrypted; they are kept free of secrets where they are built.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter, PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID_METADATA = "encryption-key-id"
NONCE_BYTES = 12


class PayloadKeyError(ValueError):
    """The encryption key is invalid or does not match a payload."""


def parse_key(encoded: str) -> bytes:
    """Decode a base64 AES-256 key, as in TEMPORAL_PAYLOAD_ENCRYPTION_KEY."""
    try:
        key = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        key = b""
    if len(key) != 32:
        raise PayloadKeyError(
            "TEMPORAL_PAYLOAD_ENCRYPTION_KEY must be 32 random bytes in base64, "
            'e.g. the output of: python -c "import os, base64; '
            'print(base64.b64encode(os.urandom(32)).decode())"'
        )
    return key


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM over each whole payload, metadata included.

    Payloads without the `binary/encrypted` encoding pass through decoding
    unchanged, so histories recorded before encryption was turned on still
    replay.
    """

    def __init__(self, key: bytes) -> None:
        self._cipher = AESGCM(key)
        # Names the key without revealing it, to tell a wrong key from a damaged
        # payload.
        self.key_id = hashlib.sha256(key).hexdigest()[:16].encode()

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._encrypt(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._decrypt(payload) for payload in payloads]

    def _encrypt(self, payload: Payload) -> Payload:
        nonce = os.urandom(NONCE_BYTES)
        ciphertext = self._cipher.encrypt(nonce, payload.SerializeToString(), None)
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID_METADATA: self.key_id},
            data=nonce + ciphertext,
        )

    def _decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        key_id = payload.metadata.get(KEY_ID_METADATA, b"")
        if key_id != self.key_id:
            raise PayloadKeyError(
                f"payload was encrypted with key id {key_id.decode(errors='replace')}, "
                f"but this process has key id {self.key_id.decode()}: set the same "
                "TEMPORAL_PAYLOAD_ENCRYPTION_KEY on every client and worker"
            )
        nonce, ciphertext = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            plaintext = self._cipher.decrypt(nonce, ciphertext, None)
        except InvalidTag:
            raise PayloadKeyError("encrypted payload failed authentication") from None
        decoded = Payload()
        decoded.ParseFromString(plaintext)
        return decoded


def build_data_converter(encoded_key: str | None) -> DataConverter:
    """Return the default converter, with encryption when a key is given."""
    if not encoded_key:
        return DataConverter.default
    return dataclasses.replace(
        DataConverter.default, payload_codec=EncryptionCodec(parse_key(encoded_key))
    )

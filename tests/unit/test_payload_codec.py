import base64
import os

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter

from ai_services.temporal_workers.helpers.payload_codec import (
    EncryptionCodec,
    PayloadKeyError,
    build_data_converter,
    parse_key,
)

SECRET_URL = "https://b.s3.amazonaws.com/k?X-Amz-Signature=s3cr3t"


async def test_round_trip_hides_plaintext() -> None:
    codec = EncryptionCodec(os.urandom(32))
    payload = DataConverter.default.payload_converter.to_payloads([SECRET_URL])[0]

    encoded = await codec.encode([payload])
    decoded = await codec.decode(encoded)

    assert b"s3cr3t" not in encoded[0].SerializeToString()
    assert encoded[0].metadata["encoding"] == b"binary/encrypted"
    assert decoded == [payload]


async def test_unencrypted_payloads_pass_through() -> None:
    codec = EncryptionCodec(os.urandom(32))
    payload = Payload(metadata={"encoding": b"json/plain"}, data=b'"x"')
    assert await codec.decode([payload]) == [payload]


async def test_wrong_key_named_in_error() -> None:
    payload = Payload(metadata={"encoding": b"json/plain"}, data=b'"x"')
    encoded = await EncryptionCodec(os.urandom(32)).encode([payload])
    with pytest.raises(PayloadKeyError, match="TEMPORAL_PAYLOAD_ENCRYPTION_KEY"):
        await EncryptionCodec(os.urandom(32)).decode(encoded)


@pytest.mark.parametrize(
    "value", ["", "not base64!", base64.b64encode(b"short").decode()]
)
def test_invalid_key_rejected(value: str) -> None:
    with pytest.raises(PayloadKeyError, match="32 random bytes"):
        parse_key(value)


def test_converter_without_key_is_default() -> None:
    assert build_data_converter(None) is DataConverter.default
    key = base64.b64encode(os.urandom(32)).decode()
    assert isinstance(build_data_converter(key).payload_codec, EncryptionCodec)

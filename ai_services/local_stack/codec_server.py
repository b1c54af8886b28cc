"""Codec server that lets the local Temporal UI show encrypted payloads.

It implements Temporal's remote codec protocol: the UI posts
`{"payloads": [...]}` (protobuf JSON) to `/decode` or `/encode` and gets the
converted payloads back. It has the payload encryption key, so it listens on
127.0.0.1 only and is meant for the embedded stack.

Run: `TEMPORAL_PAYLOAD_ENCRYPTION_KEY=... python -m ai_services.local_stack.codec_server
--port PORT --ui-origin http://127.0.0.1:UI_PORT`.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import uvicorn
from google.protobuf import json_format
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from temporalio.api.common.v1 import Payload

from ai_services.temporal_workers.helpers.payload_codec import (
    EncryptionCodec,
    PayloadKeyError,
    parse_key,
)


def create_app(codec: EncryptionCodec, ui_origin: str) -> Starlette:
    """Build the codec app; only `ui_origin` may call it from a browser."""

    async def convert(request: Request) -> JSONResponse:
        body: Any = await request.json()
        payloads = [
            json_format.ParseDict(item, Payload()) for item in body.get("payloads", [])
        ]
        try:
            if request.url.path.endswith("/decode"):
                converted = await codec.decode(payloads)
            else:
                converted = await codec.encode(payloads)
        except PayloadKeyError as error:
            return JSONResponse({"detail": str(error)}, status_code=400)
        return JSONResponse(
            {"payloads": [json_format.MessageToDict(item) for item in converted]}
        )

    return Starlette(
        routes=[
            Route("/decode", convert, methods=["POST"]),
            Route("/encode", convert, methods=["POST"]),
        ],
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=[ui_origin],
                allow_methods=["POST"],
                allow_headers=["*"],
                allow_credentials=True,
            )
        ],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ui-origin", required=True, help="the Temporal UI's origin")
    args = parser.parse_args(argv)
    try:
        key = parse_key(os.environ.get("TEMPORAL_PAYLOAD_ENCRYPTION_KEY", ""))
    except PayloadKeyError as error:
        print(f"codec server: {error}", file=sys.stderr)
        return 2
    app = create_app(EncryptionCodec(key), args.ui_origin)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())

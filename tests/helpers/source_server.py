"""A local HTTP server that plays the source of presigned URLs in tests.

Each path gets a scripted response: status, headers and body, or a misbehaviour
(a body shorter than its Content-Length, a slow trickle, no response at all).
The server counts the requests each path received.
"""

from __future__ import annotations

import collections
import dataclasses
import gzip
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class ScriptedResponse:
    """The response the server sends for one path."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Declared Content-Length; None means the body's length.
    content_length: int | None = None
    # Send no Content-Length and close the connection after the body.
    omit_content_length: bool = False
    # Bytes per second for the body; None means all at once.
    trickle_bytes_per_second: int | None = None
    # Accept the request and never respond (until the server stops).
    hang: bool = False
    # Send the body gzip-compressed, with Content-Encoding, when the request's
    # Accept-Encoding allows it, as compressing servers and CDNs do.
    gzip_if_accepted: bool = False
    # Responses to send first, one per request, before this one.
    first: list[ScriptedResponse] = field(default_factory=list)


class SourceServer:
    """A threaded HTTP server on 127.0.0.1 with per-path scripted responses."""

    def __init__(self) -> None:
        self._responses: dict[str, ScriptedResponse] = {}
        self.request_counts: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                response = server._next_response(path)
                if response is None:
                    self.send_error(404)
                    return
                accepted = self.headers.get("Accept-Encoding", "")
                if response.gzip_if_accepted and "gzip" in accepted:
                    response = dataclasses.replace(
                        response,
                        body=gzip.compress(response.body),
                        headers={**response.headers, "Content-Encoding": "gzip"},
                    )
                server._send(self, response)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.host = f"127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str, query: str = "X-Amz-Signature=test-signature") -> str:
        return f"http://{self.host}{path}" + (f"?{query}" if query else "")

    def add(self, path: str, response: ScriptedResponse) -> str:
        """Script the response for `path` and return its URL (with a fake signature)."""
        with self._lock:
            self._responses[path] = response
            self.request_counts[path] = 0
        return self.url(path)

    def _next_response(self, path: str) -> ScriptedResponse | None:
        with self._lock:
            self.request_counts[path] += 1
            response = self._responses.get(path)
            if response is not None and response.first:
                return response.first.pop(0)
            return response

    def _send(
        self, handler: BaseHTTPRequestHandler, response: ScriptedResponse
    ) -> None:
        if response.hang:
            self._stopping.wait()
            return
        handler.send_response(response.status)
        for name, value in response.headers.items():
            handler.send_header(name, value)
        if response.omit_content_length:
            handler.send_header("Connection", "close")
        else:
            length = response.content_length
            handler.send_header(
                "Content-Length", str(len(response.body) if length is None else length)
            )
        handler.end_headers()
        try:
            if response.trickle_bytes_per_second:
                step = response.trickle_bytes_per_second
                for start in range(0, len(response.body), step):
                    if self._stopping.is_set():
                        break
                    handler.wfile.write(response.body[start : start + step])
                    handler.wfile.flush()
                    time.sleep(1)
            else:
                handler.wfile.write(response.body)
            handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        declared = response.content_length
        if response.omit_content_length or (
            declared is not None and declared != len(response.body)
        ):
            handler.close_connection = True

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

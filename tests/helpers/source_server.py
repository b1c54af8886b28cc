"""A local HTTP server that plays the source of presigned URLs in tests.

Each path gets a scripted answer: status, headers and body, or a misbehaviour
(a body shorter than its Content-Length, a slow trickle, no answer at all). The
server counts the requests each path received.
"""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    """How the server answers one path."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Declared Content-Length; None means the body's length.
    content_length: int | None = None
    # Send no Content-Length and close the connection after the body.
    omit_content_length: bool = False
    # Bytes per second for the body; None means all at once.
    trickle_bytes_per_second: int | None = None
    # Accept the request and never answer (until the server stops).
    hang: bool = False
    # Answers to use first, one per request, before this one.
    first: list[Answer] = field(default_factory=list)


class SourceServer:
    """A threaded HTTP server on 127.0.0.1 with per-path scripted answers."""

    def __init__(self) -> None:
        self._answers: dict[str, Answer] = {}
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
                answer = server._next_answer(path)
                if answer is None:
                    self.send_error(404)
                    return
                server._send(self, answer)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.host = f"127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str, query: str = "X-Amz-Signature=test-signature") -> str:
        return f"http://{self.host}{path}" + (f"?{query}" if query else "")

    def add(self, path: str, answer: Answer) -> str:
        """Script the answer for `path` and return its URL (with a fake signature)."""
        with self._lock:
            self._answers[path] = answer
            self.request_counts[path] = 0
        return self.url(path)

    def _next_answer(self, path: str) -> Answer | None:
        with self._lock:
            self.request_counts[path] += 1
            answer = self._answers.get(path)
            if answer is not None and answer.first:
                return answer.first.pop(0)
            return answer

    def _send(self, handler: BaseHTTPRequestHandler, answer: Answer) -> None:
        if answer.hang:
            self._stopping.wait()
            return
        handler.send_response(answer.status)
        for name, value in answer.headers.items():
            handler.send_header(name, value)
        if answer.omit_content_length:
            handler.send_header("Connection", "close")
        else:
            length = answer.content_length
            handler.send_header(
                "Content-Length", str(len(answer.body) if length is None else length)
            )
        handler.end_headers()
        try:
            if answer.trickle_bytes_per_second:
                step = answer.trickle_bytes_per_second
                for start in range(0, len(answer.body), step):
                    if self._stopping.is_set():
                        break
                    handler.wfile.write(answer.body[start : start + step])
                    handler.wfile.flush()
                    time.sleep(1)
            else:
                handler.wfile.write(answer.body)
            handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        declared = answer.content_length
        if answer.omit_content_length or (
            declared is not None and declared != len(answer.body)
        ):
            handler.close_connection = True

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

"""A real local HTTP server that answers from a table of recorded or made-up responses, and can misbehave."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Answer = tuple[int, str, bytes]  # status, content type, body
Route = Callable[[str], Answer | None]  # path with query -> answer, or None for 404


@contextmanager
def replay_server(route: Route) -> Iterator[str]:
    """Yield the base URL of a server on 127.0.0.1 that answers GETs by `route`; `hits` lists the paths asked."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            answer = route(self.path) or (404, "text/plain", b"not found")
            status, kind, body = answer
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# --- a server that misbehaves on purpose (fault tests) --------------------------------------------------------

@dataclass
class Reply:
    """One answer of `misbehaving_server`: a body as bytes or as a generator made lazily, never held whole."""

    status: int = 200
    content_type: str = "application/json"
    body: bytes | Callable[[], Iterable[bytes]] = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the status line: a server that does not answer in time
    length: int | None = None  # the Content-Length to announce; None: the body's length (bytes) or none (lazy)


@dataclass
class Served:
    """What the misbehaving server saw: its base URL, every path asked, and the body bytes it managed to send."""

    base: str = ""
    hits: list[str] = field(default_factory=list)
    sent: dict[str, int] = field(default_factory=dict)

    def count(self, prefix: str) -> int:
        return sum(1 for hit in self.hits if hit.startswith(prefix))


Behave = Callable[[str], Reply | None]  # path with query -> reply, or None for 404


def lazy_body(total: int, chunk: bytes = b"0" * (1 << 20)) -> Callable[[], Iterator[bytes]]:
    """A body of `total` bytes made chunk by chunk as the client reads: a 2 GB answer costs no memory."""

    def chunks() -> Iterator[bytes]:
        left = total
        while left > 0:
            piece = chunk[: min(len(chunk), left)]
            left -= len(piece)
            yield piece

    return chunks


def gzip_truncated(data: bytes, keep: float = 0.5) -> bytes:
    """`data` gzipped, then cut: what a proxy or a dropped connection leaves of a gzip stream."""
    packed = gzip.compress(data)
    return packed[: max(1, int(len(packed) * keep))]


@contextmanager
def misbehaving_server(behave: Behave) -> Iterator[Served]:
    """A server on 127.0.0.1 answering GETs by `behave`, which may stall, fail, lie about lengths or never end."""
    served = Served()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            served.hits.append(self.path)
            reply = behave(self.path) or Reply(404, "text/plain", b"not found")
            time.sleep(reply.delay)
            # The client may give up (a timeout, a size cap): exactly what a fault test wants.
            with suppress(BrokenPipeError, ConnectionResetError):
                self._send(reply)

        def _send(self, reply: Reply) -> None:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            body = reply.body
            length = reply.length if reply.length is not None else (len(body) if isinstance(body, bytes) else None)
            if length is not None:
                self.send_header("Content-Length", str(length))
            self.send_header("Connection", "close")  # without a length the body ends when the socket closes
            self.end_headers()
            for piece in [body] if isinstance(body, bytes) else body():
                self.wfile.write(piece)
                served.sent[self.path] = served.sent.get(self.path, 0) + len(piece)

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    served.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)

"""Serve an ASGI app with a real uvicorn server in a thread, for tests that drive it with real HTTP clients."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


def free_port() -> int:
    """A port free right now, for a server whose own URL must be known before it starts (base_url, OIDC)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve_app(app: Any, *, host: str = "127.0.0.1", port: int = 0, timeout: float = 10.0) -> Iterator[str]:
    """Yield the base URL (`http://127.0.0.1:PORT`) while the app is served; stop the server afterwards.

    The socket is bound here before the server starts, so port 0 gets a free port without a race between
    choosing it and binding it. The app's lifespan runs, so start-up and shut-down hooks behave as in production.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(app, host=host, port=bound_port, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn:{bound_port}",
                              daemon=True)
    thread.start()
    try:
        _wait_until_started(server, thread, timeout)
        yield f"http://{host}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn stopped before it started serving (see the log above)")
        if time.monotonic() > deadline:
            raise TimeoutError(f"uvicorn did not start within {timeout} s")
        time.sleep(0.01)

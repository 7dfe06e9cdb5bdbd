"""Prove that the fetcher retries what is safe to retry, and never hands a body out twice or without end."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.helpers.replay import Answer, replay_server
from wierde.collect.http import Fetcher, HarvestError


@contextmanager
def cut_off_server() -> Iterator[str]:
    """Promises 1,000 bytes, sends 10, hangs up."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"0123456789")
            self.wfile.flush()
            self.close_connection = True

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_body_cut_off_midway_is_an_error_not_a_repeated_start() -> None:
    with cut_off_server() as base, Fetcher(timeout=5, retries=3, backoff=0.01) as fetcher:
        received = []
        with pytest.raises(HarvestError, match="/data"):
            for chunk in fetcher.stream(f"{base}/data"):
                received.append(chunk)
        assert b"".join(received) == b"0123456789", "the start was handed out once"
        assert fetcher.requests == 1


def test_server_errors_are_retried_then_reported() -> None:
    calls = {"n": 0}

    def route(path: str) -> Answer:
        calls["n"] += 1
        return (503, "text/plain", b"busy") if calls["n"] < 3 else (200, "text/plain", b"ok")

    with replay_server(route) as base, Fetcher(retries=3, backoff=0.01) as fetcher:
        assert fetcher.get_bytes(f"{base}/x") == b"ok"
    calls["n"] = -100
    with replay_server(route) as base, Fetcher(retries=2, backoff=0.01) as fetcher, \
            pytest.raises(HarvestError, match="HTTP 503"):
        fetcher.get_bytes(f"{base}/x")


def test_size_cap_and_deadline() -> None:
    def route(path: str) -> Answer:
        return (200, "application/octet-stream", b"x" * 100_000)

    with replay_server(route) as base:
        with Fetcher(max_bytes=10_000) as fetcher, pytest.raises(HarvestError, match="more than the 10,000"):
            fetcher.get_bytes(f"{base}/big")
        with Fetcher(deadline_seconds=0.0) as fetcher, pytest.raises(HarvestError, match="deadline"):
            fetcher.get_bytes(f"{base}/big")


def test_pages_are_kept_for_a_resumed_run_but_an_unusable_one_is_not(tmp_path: Path) -> None:
    answers = {"/p1": b'{"page": 1}', "/p2": b'{"page": 2'}  # page 2 is cut off: not JSON

    def route(path: str) -> Answer:
        return (200, "application/json", answers[path])

    with replay_server(route) as base:
        with Fetcher(resume_dir=tmp_path / "resume") as fetcher:
            assert fetcher.get_json(f"{base}/p1") == {"page": 1}
            with pytest.raises(HarvestError, match="not valid JSON"):
                fetcher.get_json(f"{base}/p2")
        answers["/p2"] = b'{"page": 2}'
        with Fetcher(resume_dir=tmp_path / "resume") as rerun:
            assert rerun.get_json(f"{base}/p1") == {"page": 1}
            assert rerun.get_json(f"{base}/p2") == {"page": 2}, "the broken page was not kept"
            assert (rerun.resumed, rerun.requests) == (1, 1)

"""Fetching from public APIs politely and safely: timeouts, bounded retries with backoff, a size cap, a deadline."""

from __future__ import annotations

import hashlib
import json
import os
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from wierde import __version__
from wierde.errors import WierdeError

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class HarvestError(WierdeError):
    """A source that failed: the message says which URL and what happened."""

    status = 502
    title = "Source failed"
    exit_code = 6


@dataclass
class Fetcher:
    """One harvest's HTTP client; every call shares the harvest's overall deadline, so no harvest hangs forever."""

    timeout: float = 30.0
    retries: int = 3
    backoff: float = 1.0
    deadline_seconds: float = 3600.0
    max_bytes: int = 2 * 1024**3
    min_interval: float = 0.0  # politeness: seconds between requests to the source
    transport: httpx.BaseTransport | None = None  # tests may route to a local server; never a mock of HTTP
    resume_dir: Path | None = None  # pages read whole are kept here, so a rerun after a failure resumes
    resume_seconds: float = 6 * 3600  # older pages are fetched again: a source may have been revised since

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.deadline_seconds
        self._last = 0.0
        self.requests = 0
        self.bytes = 0
        self.resumed = 0  # pages taken from an earlier, failed run of the same harvest
        self._last_kept: Path | None = None
        self._client = httpx.Client(timeout=self.timeout, follow_redirects=True, transport=self.transport,
                                    headers={"User-Agent": f"Wierde/{__version__} (open-data harvester)"})

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _left(self, url: str) -> float:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise HarvestError(f"{url}: the harvest ran past its deadline of {self.deadline_seconds:.0f} s")
        return left

    def _wait_politely(self) -> None:
        pause = self.min_interval - (time.monotonic() - self._last)
        if pause > 0:
            time.sleep(pause)
        self._last = time.monotonic()

    def get_bytes(self, url: str, params: dict[str, Any] | None = None, *, accept: str | None = None) -> bytes:
        """A whole answer (a page of a paged source); kept for resuming when the harvest has a resume folder."""
        kept = self._kept_path(url, params, accept)
        # asking for the next answer means the caller could use the one before: only the newest is suspect
        self._last_kept = None
        if kept is not None and kept.is_file() and time.time() - kept.stat().st_mtime < self.resume_seconds:
            self.resumed += 1
            self._last_kept = kept
            return kept.read_bytes()
        body = b"".join(self.stream(url, params, accept=accept))
        if kept is not None:
            kept.parent.mkdir(parents=True, exist_ok=True)
            partial = kept.with_suffix(".part")
            partial.write_bytes(body)
            os.replace(partial, kept)
            self._last_kept = kept
        return body

    def get_json(self, url: str, params: dict[str, Any] | None = None, *, accept: str | None = None) -> Any:
        body = self.get_bytes(url, params, accept=accept or "application/json")
        try:
            return json.loads(body)
        except ValueError as error:
            self.forget_last()
            raise HarvestError(f"{url}: the answer is not valid JSON ({error})") from None

    def _kept_path(self, url: str, params: dict[str, Any] | None, accept: str | None) -> Path | None:
        if self.resume_dir is None:
            return None
        key = repr((url, sorted((params or {}).items()), accept)).encode()
        return self.resume_dir / hashlib.sha256(key).hexdigest()[:40]

    def forget_last(self) -> None:
        """Drop the page read last: after a failure it is the likeliest culprit (read whole, but unusable)."""
        if self._last_kept is not None:
            self._last_kept.unlink(missing_ok=True)
            self._last_kept = None

    def stream(self, url: str, params: dict[str, Any] | None = None, *, accept: str | None = None
               ) -> Iterator[bytes]:
        """The body in chunks, retried on 429/5xx and network errors before any byte was handed out."""
        headers = {"Accept": accept} if accept else None
        for attempt in range(self.retries + 1):
            self._wait_politely()
            timeout = min(self.timeout, self._left(url))
            started = False
            try:
                with self._client.stream("GET", url, params=params, timeout=timeout, headers=headers) as response:
                    self.requests += 1
                    if response.status_code in RETRY_STATUS and attempt < self.retries:
                        time.sleep(min(self.backoff * 2**attempt, self._left(url)))
                        continue
                    if response.status_code >= 400:
                        raise HarvestError(f"{url}: HTTP {response.status_code}")
                    self._check_length(url, response)
                    for chunk in self._capped(url, _decoded(url, response)):
                        started = True
                        yield chunk
                    return
            except httpx.TransportError as error:
                # Once bytes went out, a retry would hand the caller the start of the body twice.
                if started or attempt >= self.retries:
                    raise HarvestError(f"{url}: {type(error).__name__}: {error}") from None
                time.sleep(min(self.backoff * 2**attempt, self._left(url)))
            except httpx.RequestError as error:  # redirect loops, undecodable bodies: retrying will not help
                raise HarvestError(f"{url}: {type(error).__name__}: {error}") from None
        raise HarvestError(f"{url}: still failing after {self.retries + 1} attempts")

    def _check_length(self, url: str, response: httpx.Response) -> None:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and self.bytes + int(declared) > self.max_bytes:
            raise HarvestError(f"{url}: the answer is {int(declared):,} bytes, more than the {self.max_bytes:,} "
                               "this harvest may read; refused before reading it")

    def _capped(self, url: str, chunks: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.bytes += len(chunk)
            if self.bytes > self.max_bytes:
                raise HarvestError(f"{url}: more than {self.max_bytes:,} bytes; refusing to read further")
            self._left(url)
            yield chunk


def _decoded(url: str, response: httpx.Response) -> Iterator[bytes]:
    """The body, gzip-decoded by us when the server compressed it: httpx does not check the gzip trailer, so a
    stream cut short would pass for a complete, shorter answer."""
    if response.headers.get("content-encoding", "").strip().lower() != "gzip":
        yield from response.iter_bytes()
        return
    inflater = zlib.decompressobj(wbits=47)  # 32 + 15: gzip or zlib header, checked trailer
    try:
        for raw in response.iter_raw():
            pending = raw
            while pending:  # at most 1 MiB at a time, so a gzip bomb meets the size cap before memory runs out
                if data := inflater.decompress(pending, 1 << 20):
                    yield data
                pending = inflater.unconsumed_tail
        if rest := inflater.flush():
            yield rest
    except zlib.error as error:
        raise HarvestError(f"{url}: the gzip-compressed answer is damaged ({error})") from None
    if not inflater.eof:
        raise HarvestError(f"{url}: the gzip-compressed answer ended early (truncated); nothing of it was kept")

"""Finished downloads of open data kept on disk: a version never changes, so neither does its CSV or Parquet."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path


class DownloadCache:
    """Files named by the download's key; filled while the first caller streams, only when the stream completes."""

    def __init__(self, folder: Path, max_bytes: int = 2 * 1024**3) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        folder.mkdir(parents=True, exist_ok=True)

    def path_for(self, key: str) -> Path:
        return self.folder / hashlib.sha256(key.encode()).hexdigest()

    def get(self, key: str) -> Path | None:
        path = self.path_for(key)
        if path.exists():
            os.utime(path)  # recently used files are the last to go
            return path
        return None

    def fill(self, key: str, chunks: Iterator[bytes]) -> Iterator[bytes]:
        """Pass the chunks on while writing them aside; a download cut short leaves nothing in the cache."""
        partial = self.folder / f".{os.getpid()}-{uuid.uuid4().hex}"
        try:
            with partial.open("wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                    yield chunk
            os.replace(partial, self.path_for(key))
            self._evict()
        finally:
            partial.unlink(missing_ok=True)

    def _evict(self) -> None:
        files = sorted((p for p in self.folder.iterdir() if not p.name.startswith(".")),
                       key=lambda p: p.stat().st_mtime)
        total = sum(p.stat().st_size for p in files)
        for path in files:
            if total <= self.max_bytes:
                break
            total -= path.stat().st_size
            path.unlink(missing_ok=True)

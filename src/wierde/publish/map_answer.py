"""A rendered map answer with its ETag, kept in the response cache when anyone may see it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from wierde.publish.cache import ResponseCache


@dataclass(frozen=True)
class MapAnswer:
    """A rendered map answer; `public` says whether anyone may see it, i.e. whether it may be cached."""

    body: bytes
    etag: str
    public: bool


def cached_answer(key: tuple[str, ...], public: bool, cache: ResponseCache | None,
                  render: Callable[[], dict[str, Any]]) -> MapAnswer:
    """The answer kept under `key`, or `render`ed now as JSON (and kept, when `public`)."""
    cache = cache if public else None  # only what anyone may see is kept
    if cache is not None and (hit := cache.get(key)) is not None:
        return MapAnswer(hit, etag_of(key), True)
    body = orjson.dumps(render())
    if cache is not None:
        cache.put(key, body)
    return MapAnswer(body, etag_of(key), public)


def etag_of(key: tuple[str, ...]) -> str:
    """A strong ETag: the same answer key gives the same tag, in every process."""
    return '"' + hashlib.sha256("\x1f".join(key).encode()).hexdigest()[:24] + '"'

"""Bounded in-memory caches for what never changes: versions are immutable, so neither are answers about them."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SizedLRU(Generic[K, V]):
    """Least-recently-used, bounded by the total of `size(value)` over the values held; thread-safe."""

    def __init__(self, budget: int, size: Callable[[V], int]) -> None:
        self.budget = budget
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self.held = 0  # bytes (or whatever `size` counts) held now
        self._lock = threading.Lock()

    def __contains__(self, key: K) -> bool:
        with self._lock:
            return key in self._items

    def __iter__(self) -> Iterator[K]:
        """The keys, least recently used first (a snapshot)."""
        with self._lock:
            return iter(list(self._items))

    def get(self, key: K) -> V | None:
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: K, value: V) -> None:
        """Keep `value`, dropping the least recently used values until the total fits the budget again."""
        with self._lock:
            old = self._items.pop(key, None)
            self.held -= self._size(old) if old is not None else 0
            self._items[key] = value
            self.held += self._size(value)
            while self.held > self.budget:
                _, dropped = self._items.popitem(last=False)
                self.held -= self._size(dropped)


class ResponseCache:
    """Rendered responses, bounded by total bytes. Only ever fed answers that anyone may see."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024, max_item: int = 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self.max_item = max_item
        self._items: SizedLRU[tuple[str, ...], bytes] = SizedLRU(max_bytes, len)

    def get(self, key: tuple[str, ...]) -> bytes | None:
        return self._items.get(key)

    def put(self, key: tuple[str, ...], body: bytes) -> None:
        if len(body) <= self.max_item:
            self._items.put(key, body)

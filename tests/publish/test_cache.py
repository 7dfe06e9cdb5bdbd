"""The bounded caches keep what fits their budget, dropping the least recently used first."""

from __future__ import annotations

from wierde.publish.cache import ResponseCache, SizedLRU


def test_the_least_recently_used_go_first_and_the_total_stays_in_budget() -> None:
    lru: SizedLRU[str, bytes] = SizedLRU(10, len)
    lru.put("a", b"1234")
    lru.put("b", b"1234")
    assert lru.get("a") == b"1234"  # a is now the most recently used
    lru.put("c", b"1234")
    assert list(lru) == ["a", "c"] and lru.held == 8, "b went: it was used least recently"
    lru.put("a", b"12")  # a new value for a key replaces the old one, and its size
    assert lru.held == 6 and lru.get("a") == b"12"


def test_an_answer_larger_than_one_item_may_be_is_not_kept() -> None:
    cache = ResponseCache(max_bytes=100, max_item=10)
    cache.put(("big",), b"x" * 11)
    cache.put(("small",), b"x" * 10)
    assert cache.get(("big",)) is None and cache.get(("small",)) == b"x" * 10

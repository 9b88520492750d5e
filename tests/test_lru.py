"""The bounded LRU cache behind the plan and query-shape caches."""

from __future__ import annotations

from proxy.lru import LruCache


def test_least_recently_used_goes_first() -> None:
    cache: LruCache[str, int] = LruCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recent
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    assert len(cache) == 2


def test_forget_and_clear() -> None:
    cache: LruCache[str, int] = LruCache(4)
    cache.put("a", 1)
    cache.forget("a")
    cache.forget("missing")
    assert cache.get("a") is None
    cache.put("b", 2)
    cache.clear()
    assert len(cache) == 0

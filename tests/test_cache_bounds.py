"""Every in-process cache is bounded in bytes, not only in entries (issue 29, rel13)."""

from __future__ import annotations

import numpy as np

from tb_plugin import aggregate, backend, caches, grouping, naming


def test_lru_evicts_by_bytes_and_keeps_the_newest():
    cache = caches.LRU(100, 1000, lambda _k, v: len(v))
    for i in range(50):
        cache.put(i, b"x" * 300)
        assert cache.bytes <= 1000 or len(cache) == 1
    assert len(cache) == 3 and cache.get(49) == b"x" * 300 and cache.get(0) is None
    cache.put("huge", b"x" * 5000)  # larger than the bound: kept alone
    assert len(cache) == 1 and cache.get("huge") is not None


def test_bootstrap_weights_cache_is_bounded_in_bytes():
    aggregate._resample_weights.cache_clear()
    for size in range(200, 264):  # 64 sizes × ~1.6-2.1 MB each: over the 64 MiB bound
        weights, multiplicity = aggregate._resample_weights(0, size, 1000)
        assert weights.shape == (size, 1000)
    cache = aggregate._resample_weights.cache
    assert cache.bytes <= aggregate.RESAMPLE_CACHE_BYTES and len(cache) < 64
    # Same answer whether cached or not.
    again, _ = aggregate._resample_weights(0, 200, 1000)
    rng = np.random.default_rng([0, 200])
    counts = rng.multinomial(200, np.full(200, 1 / 200), size=1000)
    np.testing.assert_array_equal(again, counts.T)


def test_memo_is_bounded_in_bytes():
    memo = backend.Memo(max_entries=16, max_bytes=10_000)
    for i in range(16):
        memo.put(("runs", i), b"z" * 3000)
        assert memo.bytes <= 10_000
    assert memo.get(("runs", 15)) is not None and memo.get(("runs", 0)) is None


def test_text_keyed_caches_skip_long_keys():
    grouping._natural_key.cache_clear()
    aggregate.is_loss_like.cache_clear()
    long = "lr=" + "9" * 5000
    assert grouping._natural_key(long) == grouping._natural_key(long)
    assert aggregate.is_loss_like("val_loss" + "x" * 5000)
    assert grouping._natural_key.cache_info().currsize == 0
    assert aggregate.is_loss_like.cache_info().currsize == 0
    grouping._natural_key("seed=1")
    assert grouping._natural_key.cache_info().currsize == 1


def test_parse_caches_empty_when_their_keys_hold_too_many_characters():
    naming._cache_clear()
    # 4,096-entry directory cache: 300 directories of 4,000 characters pass 256 × 4,096.
    names = [f"{'d' * 4000}{i}/lr={i}/seed=1" for i in range(300)]
    parsed = naming.parse_run_names(names)
    assert [p.params["lr"] for p in parsed] == list(range(300))
    entries, chars = naming._directory.cache_size()
    assert chars <= 256 * 4096 + 4100 and entries < 300

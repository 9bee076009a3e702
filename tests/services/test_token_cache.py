from webapp.services.token_cache import MAX_ENTRIES, TokenCache


def test_an_entry_lives_for_its_ttl_only():
    cache = TokenCache(ttl=5)
    cache.put("h", {"id": 1}, now=100.0)
    assert cache.get("h", now=104.9) == {"id": 1}
    assert cache.get("h", now=105.0) is None
    assert cache.get("other", now=100.0) is None


def test_forget_all_drops_every_entry():
    cache = TokenCache()
    cache.put("a", {"id": 1}, now=0.0)
    cache.put("b", {"id": 2}, now=0.0)
    cache.forget_all()
    assert cache.get("a", now=0.0) is None and cache.get("b", now=0.0) is None


def test_the_cache_stays_bounded():
    cache = TokenCache(ttl=5)
    for i in range(MAX_ENTRIES):
        cache.put(f"old{i}", {"id": i}, now=0.0)
    cache.put("new", {"id": -1}, now=10.0)  # the old ones have expired: swept
    assert cache.get("new", now=10.0) == {"id": -1}
    assert len(cache._entries) == 1


def test_stored_values_are_a_copy():
    cache = TokenCache()
    values = {"id": 1}
    cache.put("h", values, now=0.0)
    values["id"] = 2
    assert cache.get("h", now=0.0) == {"id": 1}

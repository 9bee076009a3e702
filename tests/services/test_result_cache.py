from webapp.services.result_cache import ResultCache, cache_seconds


def test_entries_expire_and_failures_are_not_cached():
    cache = ResultCache()
    key = cache.key("s.f", 1, {"b": 2, "a": 1})
    assert key == cache.key("s.f", 1, {"a": 1, "b": 2})  # argument order does not matter
    assert key != cache.key("s.f", 2, {"a": 1, "b": 2})  # a new version is a new function
    cache.put(key, {"status": "success", "return_value": 1}, 10, now=100)
    assert cache.get(key, now=109.9)["return_value"] == 1
    assert cache.get(key, now=110) is None
    cache.put(key, {"status": "failure"}, 10, now=200)
    assert cache.get(key, now=201) is None


def test_cache_seconds_reads_the_option():
    assert cache_seconds({"cache_result": 30}) == 30
    assert cache_seconds({"cache_result": True}) == 0
    assert cache_seconds({}) == 0
    assert cache_seconds({"cache_result": "60"}) == 0

"""DataFlux Func's queue priority: explicit, then the function's, then the origin's default."""

from webapp.services.queues import queue_for


def test_origin_defaults_are_dataflux_funcs():
    assert [queue_for(o) for o in ("debug", "api", "sync", "crontab", "manual", "async")] == [
        5,
        1,
        1,
        2,
        2,
        3,
    ]


def test_the_functions_queue_wins_over_the_default_and_an_explicit_one_over_both():
    assert queue_for("crontab", {"queue": 7}) == 7
    assert queue_for("crontab", {"queue": 7}, explicit=9) == 9


def test_a_queue_out_of_range_or_not_an_integer_is_ignored():
    assert queue_for("async", {"queue": 16}) == 3
    assert queue_for("async", {"queue": True}, explicit="4") == 3

from server.ops.log_limit import LogLimit


def test_once_an_interval_per_subject() -> None:
    limit = LogLimit(interval=60)
    assert limit.allow("a", now=0)
    assert not limit.allow("a", now=59)
    assert limit.allow("a", now=61)


def test_at_most_per_minute_lines_in_all() -> None:
    limit = LogLimit(interval=60, per_minute=3)
    assert [limit.allow(n, now=0) for n in "abcd"] == [True, True, True, False]
    assert limit.allow("d", now=60)  # a new minute


def test_the_memory_is_bounded() -> None:
    limit = LogLimit(interval=60, max_subjects=2)
    assert limit.allow("a", now=0) and limit.allow("b", now=1) and limit.allow("c", now=2)
    assert limit.allow("a", now=3)  # forgotten: the memory holds 2
    assert not limit.allow("c", now=4)

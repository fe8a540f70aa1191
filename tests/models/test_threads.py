import threading

from recsys_core.models.threads import ordered_map


def test_ordered_map_keeps_the_order_and_uses_the_threads():
    names = set()

    def work(x):
        names.add(threading.current_thread().name)
        return x * x

    assert list(ordered_map(work, range(20), threads=3)) == [x * x for x in range(20)]
    assert names and threading.current_thread().name not in names  # the work ran in the pool
    names.clear()
    assert list(ordered_map(work, range(5), threads=1)) == [0, 1, 4, 9, 16]
    assert names == {threading.current_thread().name}

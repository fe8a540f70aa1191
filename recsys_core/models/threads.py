"""Independent blocks of work on several threads, results in order.

Used where each block is mostly numpy / scipy work that releases the GIL (sparse products, sorting,
partitioning): similarity blocks of the neighbour models and blocks of users in batch top-N. Every
block's result is the same however many threads run, so the output does not depend on the cores.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def ordered_map(fn: Callable[[T], R], items: Iterable[T], threads: int) -> Iterator[R]:
    """``map(fn, items)`` on ``threads`` threads, yielding in the order of ``items``.

    At most ``2 x threads`` blocks are submitted ahead of the one being yielded, so finished results
    never pile up in memory when the consumer is slower than the workers."""
    items = list(items)
    if int(threads) <= 1 or len(items) <= 1:
        yield from map(fn, items)
        return
    with ThreadPoolExecutor(max_workers=int(threads)) as pool:
        pending: deque = deque()
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= 2 * int(threads):
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
